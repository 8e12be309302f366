import { condition } from '@temporalio/workflow';
import type { Wave } from '../libs/domain/src/plan/rollout-plan';
import { gateOutcome, type NoDataPause } from '../libs/domain/src/gates/gate-policy';
import type { CanaryGate, GateEvaluation } from '../libs/domain/src/gates/gate-spec';
import type { RegionRef } from './activity-contracts';
import { baselineRegions, judgeCanary } from './canary-judging';
import { safePoint } from './continue-as-new';
import { failureMessage, gateEvaluation } from './rollout-activities';
import { StopRollout, type RolloutContext } from './rollout-context';

/**
 * Bakes the wave: gates are evaluated every interval by a heartbeating activity, and each
 * wait between evaluations is a durable timer that a halt or abort cuts short at once.
 */
export async function bake(ctx: RolloutContext, wave: Wave, targets: RegionRef[], until?: number): Promise<void> {
  const { input } = ctx;
  const { gateIntervalSeconds } = input;
  const perRegion = input.gates.filter((g) => g.kind !== 'canary');
  const canaries = input.gates.filter((g): g is CanaryGate => g.kind === 'canary');
  const deadline = until ?? Date.now() + wave.bakeSeconds * 1000;
  for (;;) {
    let results: GateEvaluation[] = [];
    if (perRegion.length > 0) {
      // On a stop the workflow moves on at once and leaves the read-only evaluation to finish
      // unobserved; cancelling it would only race its completion.
      let settled = false;
      const evaluation = gateEvaluation.evaluateGates.executeWithOptions(
        { summary: `gates wave ${wave.index}: ${perRegion.map((g) => g.name).join(', ')}` },
        [{ wave: wave.index, service: input.service, regions: targets, gates: perRegion }],
      );
      evaluation.then(
        () => (settled = true),
        () => (settled = true),
      );
      await condition(() => settled || ctx.stopped);
      ctx.throwIfStopped();
      results = await evaluation.catch((err: unknown) => {
        throw new StopRollout(`evaluating the gates of wave ${wave.index} failed: ${failureMessage(err)}`);
      });
    }
    // The canary judge needs unchanged regions to compare against; without any it does not apply.
    const judged = baselineRegions(ctx, targets).length > 0 ? canaries : [];
    for (const gate of judged) results.push(await judgeCanary(ctx, gate, wave, targets));
    if (results.length > 0) {
      await ctx.emit(results.map((r) => ({ type: 'HealthGateEvaluated', data: { wave: wave.index, ...r } })));
      const outcome = gateOutcome({
        wave: wave.index,
        results,
        canaryOnly: judged.length > 0 && perRegion.length === 0,
        pausedForNoData: ctx.state.pausedForNoData,
      });
      if (outcome.kind === 'STOP') throw new StopRollout(outcome.reason);
      // Awaited on every round, pauses or not: the commands' order in recorded histories depends on it.
      await pauseForMissingData(ctx, outcome.kind === 'PAUSE' ? outcome.pauses : []);
      if (outcome.kind === 'END_BAKE') return;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) return;
    // Between two ticks nothing is in flight: the one place a long bake hands over to a new run.
    safePoint(ctx, { wave: wave.index, step: 'BAKE', bakeDeadline: deadline });
    if (await condition(() => ctx.stopped, Math.min(remaining, gateIntervalSeconds * 1000))) {
      ctx.throwIfStopped();
    }
  }
}

/**
 * The default no-data policy: a person decides. The rollout pauses (once per gate and region
 * per wave) and holds before its next step until someone resumes or aborts it.
 */
async function pauseForMissingData(ctx: RolloutContext, pauses: NoDataPause[]): Promise<void> {
  for (const pause of pauses) {
    ctx.state.pausedForNoData.push(pause.key);
    if (ctx.state.rollout.status === 'PAUSED' || ctx.stopped) continue;
    await ctx.emit([{ type: 'RolloutPaused', data: { by: 'sluice', reason: pause.reason } }], 'sluice');
  }
}
