import type { RolloutEvent } from '../libs/domain/src/rollout/rollout.events';
import { durableWrite, localEventRecording } from './rollout-activities';
import { ROLLOUT_EVENT_SCHEMA_VERSION } from './rollout.types';

/**
 * Appends the workflow's events to its stream, one batch at a time in the order they were
 * recorded. The workflow is the only writer of its stream, so it knows the expected version
 * of every batch; batches from update handlers queue behind the main flow's.
 */
export class EventRecorder {
  private tail: Promise<void> = Promise.resolve();

  /** `stream.streamVersion` is the run state's: the version survives with the rest of it. */
  constructor(
    private readonly streamId: string,
    private readonly defaultActor: string,
    private readonly service: string,
    private readonly stream: { streamVersion: number },
  ) {}

  /** Resolves once every batch recorded so far is stored (or has failed). */
  idle(): Promise<void> {
    return this.tail;
  }

  /** `local`: recorded by a local activity, one marker in the history (a bake tick's evaluations). */
  record(events: RolloutEvent[], actor = this.defaultActor, local = false): Promise<void> {
    const next = this.tail.then(async () => {
      const recording = local ? localEventRecording : durableWrite;
      const result = await recording.recordEvents.executeWithOptions({ summary: `record ${summarize(events)}` }, [
        {
          streamId: this.streamId,
          service: this.service,
          expectedVersion: this.stream.streamVersion,
          events,
          actor,
          schemaVersion: ROLLOUT_EVENT_SCHEMA_VERSION,
        },
      ]);
      this.stream.streamVersion = result.version;
    });
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function summarize(events: RolloutEvent[]): string {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => (n > 1 ? `${n}× ${type}` : type)).join(', ');
}
