import { CancellationScope, isCancellation } from '@temporalio/workflow';
import { assessHalt } from './halt-assessment';
import { runPrechecks } from './prechecks';
import { RolloutContext, StopRollout } from './rollout-context';
import { registerControls } from './rollout-controls';
import type { RolloutWorkflowInput, RolloutWorkflowResult } from './rollout.types';
import { recordCancellation, rollback } from './saga';
import { checkpoint, runWave } from './wave';

/**
 * One rollout of one version across a service's regions: prechecks, then wave by wave push,
 * verify, bake and approve; on a failed gate, a halt, an abort or a cancellation, every
 * touched region is rolled back in reverse order.
 */
export async function rolloutWorkflow(input: RolloutWorkflowInput): Promise<RolloutWorkflowResult> {
  const ctx = new RolloutContext(input);
  registerControls(ctx);

  const result = (): RolloutWorkflowResult => ({
    rolloutId: input.rolloutId,
    status: ctx.state.rollout.status,
    reason: ctx.state.rollout.stopReason,
  });

  try {
    const plan = await runPrechecks(ctx);
    if (plan === null) return result();
    for (const wave of plan.waves) await runWave(ctx, wave);
    await checkpoint(ctx);
    await ctx.emit([
      { type: 'RolloutSucceeded', data: { version: input.version, regions: plan.waves.flatMap((w) => w.regions) } },
    ]);
    return result();
  } catch (err) {
    const cancelled = isCancellation(err);
    const reason = cancelled
      ? 'the workflow was cancelled in Temporal'
      : err instanceof StopRollout
        ? err.message
        : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    await CancellationScope.nonCancellable(async () => {
      if (cancelled) await recordCancellation(ctx);
      await rollback(ctx, ctx.state.rollout.stopReason ?? reason, assessHalt(ctx));
    });
    if (cancelled) throw err;
    return result();
  }
}
