import { CancellationScope } from '@temporalio/workflow';
import type { RolloutEvent } from '../libs/domain/src/rollout/rollout.events';
import { durableWrite } from './rollout-activities';
import { ROLLOUT_EVENT_SCHEMA_VERSION } from './rollout.types';

/**
 * Appends the workflow's events to its stream, one batch at a time in the order they were
 * recorded. The workflow is the only writer of its stream, so it knows the expected version
 * of every batch; batches from update handlers queue behind the main flow's.
 */
export class EventRecorder {
  private tail: Promise<void> = Promise.resolve();
  /** Events applied to the live state but not yet recorded (a bake's routine evaluations). */
  private deferred: RolloutEvent[] = [];
  /** Workflow time (ms) the last batch was sent to be recorded. */
  lastRecordedAt = Date.now();

  /** `stream.streamVersion` is the run state's: the version survives with the rest of it. */
  constructor(
    private readonly streamId: string,
    private readonly defaultActor: string,
    private readonly service: string,
    private readonly stream: { streamVersion: number },
  ) {}

  /** Resolves once every batch recorded so far, deferred ones included, is stored (or has failed). */
  idle(): Promise<void> {
    void this.flush();
    return this.tail;
  }

  /** Holds events for the next batch: recorded before anything recorded after them, in order. */
  defer(events: RolloutEvent[]): void {
    this.deferred.push(...events);
  }

  /** Records the deferred events now, if any. */
  flush(): Promise<void> {
    if (this.deferred.length === 0) return this.tail;
    const events = this.deferred;
    this.deferred = [];
    return this.send(events, this.defaultActor);
  }

  record(events: RolloutEvent[], actor = this.defaultActor): Promise<void> {
    // Deferred events share the default actor: one batch with them when this one has it too.
    if (actor !== this.defaultActor) void this.flush();
    const batch = [...this.deferred, ...events];
    this.deferred = [];
    return this.send(batch, actor);
  }

  private send(events: RolloutEvent[], actor: string): Promise<void> {
    this.lastRecordedAt = Date.now();
    const next = this.tail.then(async () => {
      // Never cancelled: a cancelled append may still commit, and the next batch would then
      // reuse its positions and be dropped as a duplicate. A cancellation waits for it instead.
      const result = await CancellationScope.nonCancellable(() =>
        durableWrite.recordEvents.executeWithOptions({ summary: `record ${summarize(events)}` }, [
          {
            streamId: this.streamId,
            service: this.service,
            expectedVersion: this.stream.streamVersion,
            events,
            actor,
            schemaVersion: ROLLOUT_EVENT_SCHEMA_VERSION,
          },
        ]),
      );
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
