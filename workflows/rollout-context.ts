import { condition, patched } from '@temporalio/workflow';
import type { RolloutEvent } from '../libs/domain/src/rollout/rollout.events';
import type { ConfigRef } from './activity-contracts';
import { evolve } from '../libs/domain/src/rollout/rollout-state';
import { EventRecorder } from './event-recorder';
import { durableWrite } from './rollout-activities';
import type { RolloutWorkflowInput } from './rollout.types';
import { RolloutUi } from './rollout-ui';
import { initialRunState, type RunState } from './run-state';

/** Unwinds the forward path: a halt, an abort, a failed gate or a failed push. */
export class StopRollout extends Error {
  override name = 'StopRollout';
}

/**
 * One rollout run: its input, its state (one plain object), and the only way to change the
 * domain's part of it: emit events, which the state, the UI and the event log all follow.
 */
export class RolloutContext {
  readonly state: RunState;
  /**
   * Runs from the `lean-history` patch on carry config documents by hash and bake with local
   * activities (fewer, smaller history events). Older histories replay as they ran.
   */
  readonly lean: boolean;
  private readonly recorder: EventRecorder;
  private readonly ui = new RolloutUi();

  constructor(readonly input: RolloutWorkflowInput) {
    this.lean = patched('lean-history');
    // A run continued as new starts from all the previous run knew (fields added since default).
    this.state = { ...initialRunState(), ...input.resume?.run };
    this.recorder = new EventRecorder(input.rolloutId, input.requestedBy, input.service, this.state);
    if (input.resume) this.ui.update(this.state.rollout);
  }

  get stopped(): boolean {
    return this.state.rollout.stopReason !== null;
  }

  /**
   * Applies events to the live state at once, then records them in order. `defer` holds them
   * for the next batch instead (a bake's routine evaluations): the live state has them now,
   * the event log with whatever is recorded next, or at the latest before a hand-over.
   */
  async emit(events: RolloutEvent[], actor?: string, options: { defer?: boolean } = {}): Promise<void> {
    for (const event of events) this.state.rollout = evolve(this.state.rollout, event);
    this.ui.update(this.state.rollout);
    if (options.defer) this.recorder.defer(events);
    else await this.recorder.record(events, actor);
  }

  /**
   * Emits on the forward path. A halt or an abort that comes while the events wait to be
   * recorded (PostgreSQL down) unwinds at once instead of after the database is back; the
   * events are still recorded, in order. Runs before the patch waited, and replay so.
   */
  async advance(events: RolloutEvent[]): Promise<void> {
    return this.advanceWith(this.emit(events));
  }

  /** Waits for events already emitted to be recorded, as `advance` does: a halt or an abort does not wait. */
  async advanceWith(recording: Promise<void>): Promise<void> {
    if (!this.lean) return recording;
    let done = false;
    recording.then(
      () => (done = true),
      () => (done = true),
    );
    await condition(() => done || this.stopped);
    if (!done && patched('stop-during-record')) this.throwIfStopped();
    await recording;
  }

  /** Workflow time (ms) since events were last sent to be recorded. */
  sinceRecorded(): number {
    return Date.now() - this.recorder.lastRecordedAt;
  }

  /**
   * The rollout's config document as activities take it: by hash, stored once on first use
   * when the input carried it inline; inline as before for runs older than `lean-history`.
   */
  async configRef(): Promise<ConfigRef> {
    if (!this.lean) return { config: this.input.config! };
    if (this.state.configHash === null) {
      this.state.configHash =
        this.input.configHash ??
        (
          await durableWrite.storeConfig.executeWithOptions({ summary: 'store the config document by hash' }, [
            { config: this.input.config! },
          ])
        ).configHash;
    }
    return { configHash: this.state.configHash };
  }

  /** The document one region receives: its own when the rollout gives it one, else the rollout's (`base`, from `configRef`). */
  regionConfigRef(region: string, base: ConfigRef): ConfigRef {
    const own = this.input.regionConfigHashes?.[region];
    return own === undefined ? base : { configHash: own };
  }

  /** The hash of the document pushed to a region; null while the rollout's is not stored (or runs inline). */
  pushedHash(region: string): string | null {
    return this.input.regionConfigHashes?.[region] ?? this.state.configHash;
  }

  /**
   * Every region's document by hash, for an activity that reads several regions, when they differ;
   * nothing when all receive the rollout's. Call after `configRef` (the rollout's is stored then).
   */
  regionConfigs(): { regionConfigHashes?: Record<string, string> } {
    if (!this.input.regionConfigHashes) return {};
    const each = this.input.regions.flatMap((r) => {
      const hash = this.pushedHash(r.name);
      return hash === null ? [] : [[r.name, hash] as const];
    });
    return { regionConfigHashes: Object.fromEntries(each) };
  }

  /** Resolves once every event emitted so far, deferred ones included, is stored. */
  recorded(): Promise<void> {
    return this.recorder.idle();
  }

  /** Unwinds once a halt or an abort has stopped the rollout. */
  throwIfStopped(): void {
    if (this.stopped) throw new StopRollout(this.state.rollout.stopReason!);
  }
}
