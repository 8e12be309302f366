import type { ChangeAssessment } from '../../../../libs/domain/src';
import type { PgEventStore } from '../../../../libs/event-store/src';
import type { IncidentAnalyzer } from '../../../../libs/insight/src';
import type { AssessHaltInput } from '../../../../workflows/activity-contracts';

export function createInsightActivities(eventStore: PgEventStore, analyzer: IncidentAnalyzer) {
  return {
    /**
     * Our change or something outside? The regions the rollout had pushed to against the rest,
     * from its first push to the halt. Unreadable metrics give UNCLEAR, never an error.
     */
    async assessHalt(input: AssessHaltInput): Promise<ChangeAssessment> {
      const events = await eventStore.readStream(input.rolloutId);
      const pushes = events.filter((e) => e.type === 'RegionConfigPushed' && e.data.changed !== false);
      if (pushes.length === 0) {
        return {
          verdict: 'LIKELY_EXTERNAL',
          summary: 'the rollout had not changed any region when it was halted',
          service: input.service,
          pivot: input.haltedAt,
          beforeFrom: input.haltedAt,
          afterTo: input.haltedAt,
          regions: [],
        };
      }
      const pivot = new Date(Math.min(...pushes.map((e) => e.recordedAt.getTime())));
      return analyzer.assessChange({
        service: input.service,
        pivot,
        changedRegions: [...new Set(pushes.map((e) => String(e.data.region)))],
        serviceRegions: input.serviceRegions,
        until: new Date(input.haltedAt),
      });
    },
  };
}
