import { CancellationScope, ContinueAsNew, isCancellation } from '@temporalio/workflow';
import { ContinueAsNewRequested, handOver, safePoint } from './continue-as-new';
import { assessHalt } from './halt-assessment';
import { runPrechecks } from './prechecks';
import { RolloutContext, StopRollout } from './rollout-context';
import { registerControls } from './rollout-controls';
import type { RolloutWorkflowInput, RolloutWorkflowResult } from './rollout.types';
import { recordCancellation, resumeFailedRollback, rollback } from './saga';
import { checkpoint, resumeWave, runWave } from './wave';

/**
 * One rollout of one version across a service's regions: prechecks, then wave by wave push,
 * verify, bake and approve; on a failed gate, a halt, an abort or a cancellation, every
 * touched region is rolled back in reverse order. A long rollout continues as new at safe
 * points, carrying its whole run state (`input.resume`), so it may last for days.
 */
export async function rolloutWorkflow(input: RolloutWorkflowInput): Promise<RolloutWorkflowResult> {
  const ctx = new RolloutContext(input);
  registerControls(ctx);

  const result = (): RolloutWorkflowResult => ({
    rolloutId: input.rolloutId,
    status: ctx.state.rollout.status,
    reason: ctx.state.rollout.stopReason,
  });

  const { resume } = input;
  if (resume?.at.step === 'ROLLBACK_RETRY') return finishRollback(ctx, () => resumeFailedRollback(ctx), result);
  try {
    try {
      const plan = resume ? ctx.state.rollout.plan : await runPrechecks(ctx);
      if (plan === null) return result();
      for (const wave of plan.waves) {
        if (resume && wave.index < resume.at.wave) continue;
        if (resume && wave.index === resume.at.wave && resume.at.step !== 'START') {
          await resumeWave(ctx, wave, resume.at);
          continue;
        }
        // Between two waves nothing is in flight: hand over here rather than after the next push batch.
        if (!(resume && wave.index === resume.at.wave)) safePoint(ctx, { wave: wave.index, step: 'START' });
        await runWave(ctx, wave);
      }
      await checkpoint(ctx, plan.waves.at(-1), { wave: plan.waves.length + 1, step: 'START' });
      await ctx.emit([
        { type: 'RolloutSucceeded', data: { version: input.version, regions: plan.waves.flatMap((w) => w.regions) } },
      ]);
      return result();
    } catch (err) {
      if (!(err instanceof ContinueAsNewRequested)) throw err;
      // Continues as new (and never returns), unless a control stopped the rollout meanwhile.
      await handOver(ctx, err.at);
      throw new StopRollout(ctx.state.rollout.stopReason!);
    }
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    const cancelled = isCancellation(err);
    const reason = cancelled
      ? 'the workflow was cancelled in Temporal'
      : err instanceof StopRollout
        ? err.message
        : `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
    if (cancelled) await CancellationScope.nonCancellable(() => recordCancellation(ctx));
    const finished = await finishRollback(
      ctx,
      () => rollback(ctx, ctx.state.rollout.stopReason ?? reason, assessHalt(ctx)),
      result,
    );
    if (cancelled) throw err;
    return finished;
  }
}

/**
 * Runs a rollback where no cancellation reaches it: a rollback that can be cancelled is no
 * guarantee. In ROLLBACK_FAILED a long wait for retryRollback continues as new.
 */
async function finishRollback(
  ctx: RolloutContext,
  work: () => Promise<void>,
  result: () => RolloutWorkflowResult,
): Promise<RolloutWorkflowResult> {
  try {
    await CancellationScope.nonCancellable(work);
  } catch (err) {
    if (!(err instanceof ContinueAsNewRequested)) throw err;
    await CancellationScope.nonCancellable(() => handOver(ctx, err.at));
  }
  return result();
}
