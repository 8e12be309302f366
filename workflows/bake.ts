import { condition, isCancellation, patched } from '@temporalio/workflow';
import type { Wave } from '../libs/domain/src/plan/rollout-plan';
import { gateOutcome, recordEvaluationsNow, type NoDataPause } from '../libs/domain/src/gates/gate-policy';
import type { CanaryGate, GateEvaluation, GateSpec, ScenarioGate } from '../libs/domain/src/gates/gate-spec';
import type { RegionRef } from './activity-contracts';
import { baselineRegions, canaryRead, concludeJudges, judgeCanary, judgeCounts, startJudges } from './canary-judging';
import { historyIsLong, safePoint } from './continue-as-new';
import { bakeTick, failureMessage, gateEvaluation } from './rollout-activities';
import { StopRollout, type RolloutContext } from './rollout-context';
import { concludeScenarioGates, judgeScenarioGates } from './scenario-gates';
import type { ResumePoint } from './rollout.types';

/**
 * A wave whose bake is over, watched while the rollout waits for something else (an approval,
 * a resume): its gates go on until `done()` holds, a PASS does not end the watch, and a long
 * history hands over at `at`, the step that waits.
 */
export interface Watch {
  done: () => boolean;
  at: ResumePoint;
}

/**
 * Bakes the wave: gates are evaluated every interval by a heartbeating activity. From the
 * `ticks-wait-in-activity` patch on, the next tick's activity is scheduled as soon as a tick
 * ends and waits for its instant in Temporal's retry (no timer, one workflow task per tick);
 * before it, each wait was a durable timer. A halt or abort cuts either wait short at once.
 * With `watch`, the same ticks watch a baked wave until the wait is over (see {@link Watch}),
 * on timers still: a watch ends (an approval, a resume) or hands over at any moment, and a
 * tick left waiting in retry across a hand-over stalls Temporal's time-skipping test server.
 */
export async function bake(
  ctx: RolloutContext,
  wave: Wave,
  targets: RegionRef[],
  until?: number,
  watch?: Watch,
): Promise<void> {
  const { input } = ctx;
  const { gateIntervalSeconds } = input;
  const perRegion = input.gates.filter((g) => g.kind !== 'canary' && g.kind !== 'scenario');
  const canaries = input.gates.filter((g): g is CanaryGate => g.kind === 'canary');
  const scenarioGates = input.gates.filter((g): g is ScenarioGate => g.kind === 'scenario');
  const deadline = watch ? Infinity : (until ?? Date.now() + wave.bakeSeconds * 1000);
  const verdicts = new VerdictMemory();
  const waitsInActivity = ctx.lean && !watch && patched('ticks-wait-in-activity');
  let ticksDeferred = 0;
  /** When the next tick is due, once its activity waits for it (`waitsInActivity`). */
  let due: number | undefined;
  for (;;) {
    // The canary and scenario judges need unchanged regions to compare against; without any they do not apply.
    const controlled = baselineRegions(ctx, targets).length > 0;
    const judged = controlled ? canaries : [];
    const scenarios = controlled ? scenarioGates : [];
    const results =
      scenarios.length === 0
        ? await gateTick(ctx, wave, targets, perRegion, judged, due)
        : (
            await Promise.all([
              gateTick(ctx, wave, targets, perRegion, judged, due),
              judgeScenarioGates(ctx, scenarios, wave, targets, due),
            ])
          ).flat();
    due = undefined;
    if (results.length > 0) {
      const outcome = gateOutcome({
        wave: wave.index,
        results,
        canaryOnly: judged.length > 0 && perRegion.length === 0 && scenarios.length === 0,
        pausedForNoData: ctx.state.pausedForNoData,
      });
      const evaluated = results.map((r) => ({
        type: 'HealthGateEvaluated' as const,
        data: { wave: wave.index, ...r },
      }));
      const changed = verdicts.changed(results);
      if (
        !ctx.lean ||
        recordEvaluationsNow({ outcome, changed, ticksDeferred, msSinceRecorded: ctx.sinceRecorded() })
      ) {
        ticksDeferred = 0;
        await ctx.advance(evaluated);
      } else {
        ticksDeferred += 1;
        await ctx.emit(evaluated, undefined, { defer: true });
      }
      if (outcome.kind === 'STOP') throw new StopRollout(outcome.reason);
      // Awaited on every round, pauses or not: the commands' order in recorded histories depends on it.
      await pauseForMissingData(ctx, outcome.kind === 'PAUSE' ? outcome.pauses : []);
      if (outcome.kind === 'END_BAKE' && !watch) return;
    }
    if (watch?.done()) return;
    const remaining = deadline - Date.now();
    if (remaining <= 0) return concludeBake(ctx, wave, targets, judged, scenarios);
    // Between two ticks nothing is in flight: the one place a long bake hands over to a new run.
    safePoint(ctx, watch ? watch.at : { wave: wave.index, step: 'BAKE', bakeDeadline: deadline });
    const waitMs = Math.min(remaining, gateIntervalSeconds * 1000);
    if (waitsInActivity && (evaluates(perRegion, judged) || scenarios.length > 0)) {
      due = Date.now() + waitMs;
      continue;
    }
    if (!watch) {
      if (await condition(() => ctx.stopped, waitMs)) ctx.throwIfStopped();
      continue;
    }
    // A watch also wakes when controls sent during the wait make the history long: it hands over then.
    const over = () => ctx.stopped || watch.done();
    if (await condition(() => over() || historyIsLong(ctx), waitMs)) {
      ctx.throwIfStopped();
      if (watch.done()) return;
      safePoint(ctx, watch.at);
      // Still here (this run may not hand over): the watch goes on after the interval.
      if (await condition(over, waitMs)) {
        ctx.throwIfStopped();
        return;
      }
    }
  }
}

/**
 * The bake's deadline: a canary judge that has not decided is INCONCLUSIVE, recorded, and its
 * gate's noData policy applies (fail stops the rollout, pause holds it before the next wave).
 */
async function concludeBake(
  ctx: RolloutContext,
  wave: Wave,
  targets: RegionRef[],
  judged: CanaryGate[],
  scenarios: ScenarioGate[],
) {
  const concluded = [
    ...concludeJudges(ctx, judged, wave, targets),
    ...concludeScenarioGates(ctx, scenarios, wave, targets),
  ];
  if (concluded.length === 0) return;
  await ctx.advance(concluded.map((r) => ({ type: 'HealthGateEvaluated' as const, data: { wave: wave.index, ...r } })));
  const outcome = gateOutcome({
    wave: wave.index,
    results: concluded,
    canaryOnly: false,
    pausedForNoData: ctx.state.pausedForNoData,
  });
  if (outcome.kind === 'STOP') throw new StopRollout(outcome.reason);
  await pauseForMissingData(ctx, outcome.kind === 'PAUSE' ? outcome.pauses : []);
}

/** Each gate's last verdict per region in this bake: whether a tick changed any. */
class VerdictMemory {
  private readonly last = new Map<string, string>();

  changed(results: GateEvaluation[]): boolean {
    let changed = false;
    for (const r of results) {
      const key = `${r.gate}/${r.region}`;
      if (this.last.get(key) !== r.verdict) changed = true;
      this.last.set(key, r.verdict);
    }
    return changed;
  }
}

/**
 * One tick as runs before `lean-history` made it (kept so their histories replay): the
 * per-region gates in one activity, then each canary gate's counters in one activity each.
 */
async function tick(
  ctx: RolloutContext,
  wave: Wave,
  targets: RegionRef[],
  perRegion: GateSpec[],
  judged: CanaryGate[],
): Promise<GateEvaluation[]> {
  let results: GateEvaluation[] = [];
  if (perRegion.length > 0) {
    const evaluation = gateEvaluation.evaluateGates.executeWithOptions(
      { summary: `gates wave ${wave.index}: ${perRegion.map((g) => g.name).join(', ')}` },
      [{ wave: wave.index, service: ctx.input.service, regions: targets, gates: perRegion }],
    );
    results = await unlessStopped(ctx, wave, evaluation);
  }
  for (const gate of judged) results.push(await judgeCanary(ctx, gate, wave, targets));
  return results;
}

/** One tick of the per-region and canary gates, as the run's history was made (lean or not). */
const gateTick = (
  ctx: RolloutContext,
  wave: Wave,
  targets: RegionRef[],
  perRegion: GateSpec[],
  judged: CanaryGate[],
  due?: number,
) => (ctx.lean ? leanTick(ctx, wave, targets, perRegion, judged, due) : tick(ctx, wave, targets, perRegion, judged));

/** Whether a tick of these gates runs an activity (which can then wait for the tick's instant). */
const evaluates = (perRegion: GateSpec[], judged: CanaryGate[]) => perRegion.length > 0 || judged.length > 0;

const tickSummary = (wave: Wave, perRegion: GateSpec[], judged: CanaryGate[]) =>
  `tick wave ${wave.index}: ${[...perRegion, ...judged].map((g) => g.name).join(', ')}`;

const tickInput = (
  ctx: RolloutContext,
  wave: Wave,
  targets: RegionRef[],
  perRegion: GateSpec[],
  judged: CanaryGate[],
) => ({
  wave: wave.index,
  service: ctx.input.service,
  regions: targets,
  gates: perRegion,
  canaries: judged.map((gate) => canaryRead(ctx, gate, targets)),
});

/**
 * One tick's reads in one activity, the per-region gates and the canary counters together.
 * A tick scheduled before its instant (`due`) waits for it in the activity's retry
 * (`tickIsDue` in the worker): with routine evaluations recorded in batches, a tick adds
 * about six and a half history events where it once added seventeen to twenty-three
 * (about eleven and a half while a timer waited between ticks).
 */
async function leanTick(
  ctx: RolloutContext,
  wave: Wave,
  targets: RegionRef[],
  perRegion: GateSpec[],
  judged: CanaryGate[],
  due?: number,
): Promise<GateEvaluation[]> {
  if (!evaluates(perRegion, judged)) return [];
  await startJudges(ctx, judged, wave, targets);
  const evaluation = bakeTick.evaluateTick.executeWithOptions({ summary: tickSummary(wave, perRegion, judged) }, [
    { ...tickInput(ctx, wave, targets, perRegion, judged), notBefore: due },
  ]);
  const { evaluations, canaryCounts } = await unlessStopped(ctx, wave, evaluation);
  return [...evaluations, ...judged.map((gate, i) => judgeCounts(ctx, gate, wave, targets, canaryCounts[i]))];
}

/**
 * On a stop the workflow moves on at once and leaves the read-only evaluation to finish
 * unobserved: cancelling it would only race its completion (and Temporal's test server cannot
 * cancel an activity that waits to retry).
 */
async function unlessStopped<T>(ctx: RolloutContext, wave: Wave, evaluation: Promise<T>): Promise<T> {
  let settled = false;
  evaluation.then(
    () => (settled = true),
    () => (settled = true),
  );
  await condition(() => settled || ctx.stopped);
  ctx.throwIfStopped();
  return evaluation.catch((err: unknown) => {
    if (isCancellation(err)) throw err;
    throw new StopRollout(`evaluating the gates of wave ${wave.index} failed: ${failureMessage(err)}`);
  });
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
