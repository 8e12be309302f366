import { proxyActivities } from '@temporalio/workflow';
import type { RolloutEvent } from '../libs/domain/src/rollout/rollout.events';
import type { RolloutActivities } from '../apps/worker/src/activities';
import { RECORD_EVENTS } from './activity-presets';
import { ROLLOUT_EVENT_SCHEMA_VERSION } from './rollout.types';

const { recordEvents } = proxyActivities<RolloutActivities>(RECORD_EVENTS);

/**
 * Appends the workflow's events to its stream, in the workflow's order. The workflow is the
 * only writer of its stream, so it knows the expected version of every batch.
 */
export class EventRecorder {
  private version = 0;

  constructor(
    private readonly streamId: string,
    private readonly actor: string,
  ) {}

  async record(...events: RolloutEvent[]): Promise<void> {
    const result = await recordEvents.executeWithOptions(
      { ...RECORD_EVENTS, summary: `record ${events.map((e) => e.type).join(', ')}` },
      [
        {
          streamId: this.streamId,
          expectedVersion: this.version,
          events,
          actor: this.actor,
          schemaVersion: ROLLOUT_EVENT_SCHEMA_VERSION,
        },
      ],
    );
    this.version = result.version;
  }
}
