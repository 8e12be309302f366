import type { RolloutEvent } from '../libs/domain/src/rollout/rollout.events';
import { evolve } from '../libs/domain/src/rollout/rollout-state';
import { EventRecorder } from './event-recorder';
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
  private readonly recorder: EventRecorder;
  private readonly ui = new RolloutUi();

  constructor(readonly input: RolloutWorkflowInput) {
    // A run continued as new starts from all the previous run knew.
    this.state = input.resume?.run ?? initialRunState();
    this.recorder = new EventRecorder(input.rolloutId, input.requestedBy, input.service, this.state);
    if (input.resume) this.ui.update(this.state.rollout);
  }

  get stopped(): boolean {
    return this.state.rollout.stopReason !== null;
  }

  /** Applies events to the live state at once, then records them in order. */
  async emit(events: RolloutEvent[], actor?: string): Promise<void> {
    for (const event of events) this.state.rollout = evolve(this.state.rollout, event);
    this.ui.update(this.state.rollout);
    await this.recorder.record(events, actor);
  }

  /** Resolves once every event emitted so far is stored. */
  recorded(): Promise<void> {
    return this.recorder.idle();
  }

  /** Unwinds once a halt or an abort has stopped the rollout. */
  throwIfStopped(): void {
    if (this.stopped) throw new StopRollout(this.state.rollout.stopReason!);
  }
}
