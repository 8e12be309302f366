import { condition, patched } from '@temporalio/workflow';
import type { Wave } from '../libs/domain/src/plan/rollout-plan';
import { activeFreezeHold, type FreezeHold } from '../libs/domain/src/service/freeze-window';
import type { RolloutContext } from './rollout-context';

/**
 * Before a wave's push: while a freeze window or an emergency freeze covers the service, the
 * rollout waits (RolloutHeld, with the freeze) until the window ends or the freeze is lifted
 * or ends (RolloutReleased). A halt or an abort ends the wait at once. Only the forward path
 * calls this: a rollback is never held. Answers whether it held.
 *
 * Workflow time is the clock, so the check replays. Runs before the `freeze-holds` patch never
 * held here (the freeze window was checked once, in the prechecks).
 */
export async function holdWhileFrozen(ctx: RolloutContext, wave: Wave): Promise<boolean> {
  let held = false;
  for (;;) {
    const { input, state } = ctx;
    const hold = activeFreezeHold(
      input.freezeWindows,
      state.freezes,
      input.service,
      new Date(),
      input.recurringFreezes,
    );
    if (hold === null || !patched('freeze-holds')) {
      if (state.rollout.hold) await ctx.advance([{ type: 'RolloutReleased', data: { wave: wave.index } }]);
      return held;
    }
    held = true;
    if (!sameHold(state.rollout.hold, hold)) {
      await ctx.advance([{ type: 'RolloutHeld', data: { wave: wave.index, freeze: hold } }]);
    }
    // Freezes come and go by update (each replaces the list): any change is looked at again.
    const freezes = state.freezes;
    const until = hold.until === null ? undefined : Math.max(Date.parse(hold.until) - Date.now(), 1);
    await condition(() => ctx.stopped || state.freezes !== freezes, until);
    ctx.throwIfStopped();
  }
}

function sameHold(a: FreezeHold | null | undefined, b: FreezeHold): boolean {
  return !!a && a.kind === b.kind && a.freezeId === b.freezeId && a.from === b.from && a.until === b.until;
}
