import type { RolloutEvent as DomainEvent } from '../../../../../libs/domain/src';
import type { RedundancyCheck } from '../../../../../libs/redundancy/src';
import type { PlanOutcome } from '../../../../../libs/domain/src';
import type { RecordedEvent } from '../../../../../libs/event-store/src';
import type { LiveState } from '../../../../../workflows/rollout.messages';
import type { PlanPreview } from './plan-preview.model';
import type { RolloutLive } from './rollout-live.model';
import type { RolloutEvent as RolloutEventModel } from './rollout.model';
import { eventCursor } from '../../history/cursors';

/** From the event log and the workflow to the API's models; shared by rollouts, history and insight. */
export function toEventModel(e: RecordedEvent): RolloutEventModel {
  return {
    position: e.streamPosition,
    cursor: eventCursor(e.streamPosition),
    globalPosition: e.globalPosition,
    eventId: e.eventId,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt,
  };
}

export function toDomainEvent(event: RecordedEvent): DomainEvent {
  return { type: event.type, data: event.data } as DomainEvent;
}

export function toPlanPreview(outcome: PlanOutcome, redundancy: RedundancyCheck | null = null): PlanPreview {
  return {
    valid: outcome.violations.length === 0 && !(redundancy?.violations ?? []).some((v) => v.severity === 'error'),
    source: outcome.source,
    waves: (outcome.plan?.waves ?? []).map((w, i) => ({ ...w, cumulativeExposure: outcome.exposure[i] ?? 0 })),
    violations: outcome.violations.map((v) => ({ ...v, wave: v.wave ?? null })),
    redundancy,
  };
}

export function toLiveModel(state: LiveState): RolloutLive {
  return {
    rolloutId: state.rolloutId,
    status: state.status,
    wave: state.wave,
    phase: state.phase,
    plan: state.plan?.waves ?? [],
    regions: Object.entries(state.regions).map(([region, s]) => ({ region, state: s })),
    gates: state.gates.map((g) => ({
      ...g,
      value: typeof g.value === 'number' ? g.value : null,
      evidence: g.evidence ?? null,
      scenario: g.scenario
        ? {
            ...g.scenario,
            totalRuns: g.scenario.totalRuns ?? g.scenario.runs,
            totalWallMs: g.scenario.totalWallMs ?? g.scenario.wallMs,
            customers: g.scenario.customers.map((c) => ({
              ...c,
              firstFailureAt: c.firstFailureAt === null ? null : new Date(c.firstFailureAt),
              lastFailureAt: c.lastFailureAt === null ? null : new Date(c.lastFailureAt),
            })),
          }
        : null,
    })),
    actions: state.actions,
    requestedBy: state.requestedBy,
    stopReason: state.stopReason,
    hold: state.hold ?? null,
  };
}
