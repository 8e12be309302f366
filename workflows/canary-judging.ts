import { isCancellation, patched } from '@temporalio/workflow';
import type { Wave } from '../libs/domain/src/plan/rollout-plan';
import type { CanaryEvidence, CanaryGate, GateEvaluation } from '../libs/domain/src/gates/gate-spec';
import {
  concludeCanaryJudge,
  judgeCanaryInterval,
  rolloutAlpha,
  splitAlpha,
  startCanaryJudge,
  type CanaryInterval,
  type CanaryJudgeState,
} from '../libs/judge/src/canary-interval';
import { DEFAULT_DEADLINE_SHARE, DEFAULT_JUDGE, type JudgeOptions } from '../libs/judge/src/sequential-judge';
import { isBaselineDecision, type Decision } from '../libs/judge/src/judge-model';
import type { CanaryBaselineResult, CanaryCountsResult, RegionRef } from './activity-contracts';
import { failureMessage, gateEvaluation } from './rollout-activities';
import type { RolloutContext } from './rollout-context';

/** Regions the rollout has not changed yet, outside this wave: the canary judge's baseline. */
export function baselineRegions(ctx: RolloutContext, targets: RegionRef[]): string[] {
  const inWave = new Set(targets.map((t) => t.region));
  return Object.entries(ctx.state.rollout.regions)
    .filter(([name, state]) => state === 'PENDING' && !inWave.has(name))
    .map(([name]) => name)
    .sort();
}

/**
 * One interval of the sequential canary judge: the wave's regions against those not yet
 * changed. The judge is pure and its state is part of the run state, so it survives any crash.
 * (Runs before `lean-history` only; lean runs read the counters in the tick's one activity.)
 */
export async function judgeCanary(
  ctx: RolloutContext,
  gate: CanaryGate,
  wave: Wave,
  targets: RegionRef[],
): Promise<GateEvaluation> {
  startJudge(ctx, gate, wave);
  const read = await gateEvaluation.readCanaryCounts.executeWithOptions(
    { summary: `canary counts wave ${wave.index}: ${gate.name}` },
    [{ ...canaryRead(ctx, gate, targets), service: ctx.input.service }],
  );
  return judgeCounts(ctx, gate, wave, targets, read);
}

/** What the canary gate reads this interval: the wave's regions and the unchanged ones. */
export function canaryRead(ctx: RolloutContext, gate: CanaryGate, targets: RegionRef[]) {
  return { gate, canaryRegions: targets.map((t) => t.region), baselineRegions: baselineRegions(ctx, targets) };
}

const judgeKey = (wave: Wave, gate: CanaryGate) => `${wave.index}/${gate.name}`;

/** A legacy judge, started before the read as the judge always was (runs before `judge-baseline`). */
export function startJudge(ctx: RolloutContext, gate: CanaryGate, wave: Wave): void {
  ctx.state.canaryJudges[judgeKey(wave, gate)] ??= startCanaryJudge(legacyOptions(gate, ctx));
}

/**
 * Starts the judges of the wave's canary gates that have none yet. From the `judge-baseline`
 * patch on, each judge first reads the canary's own pre-change window (the gate's
 * `baselineWindowSeconds` before the wave's pushes began, canary and controls alike), and
 * judges "the change made this region worse than it was", the controls absorbing shared
 * drift. A window that cannot be read gives a judge without baseline: INCONCLUSIVE, which
 * follows the gate's noData policy.
 */
export async function startJudges(
  ctx: RolloutContext,
  gates: CanaryGate[],
  wave: Wave,
  targets: RegionRef[],
): Promise<void> {
  const { state } = ctx;
  const missing = gates.filter((g) => state.canaryJudges[judgeKey(wave, g)] === undefined);
  if (missing.length === 0) return;
  if (!patched('judge-baseline')) {
    for (const gate of missing) startJudge(ctx, gate, wave);
    return;
  }
  const at = state.pushesStartedAt?.[wave.index] ?? Date.now();
  const reads = await Promise.all(
    missing.map((gate) =>
      gateEvaluation.readCanaryBaseline
        .executeWithOptions({ summary: `canary baseline wave ${wave.index}: ${gate.name}` }, [
          {
            ...canaryRead(ctx, gate, targets),
            service: ctx.input.service,
            at,
            windowSeconds: gate.baselineWindowSeconds,
          },
        ])
        .catch((err: unknown): CanaryBaselineResult => {
          if (isCancellation(err)) throw err;
          return { noData: `reading the pre-change window failed: ${failureMessage(err)}` };
        }),
    ),
  );
  missing.forEach((gate, i) => {
    const read = reads[i];
    state.canaryJudges[judgeKey(wave, gate)] ??= startCanaryJudge(
      baselineOptions(gate, ctx, wave),
      'counts' in read ? read.counts : null,
    );
  });
}

/** One interval of the judge on counters read this tick; the judge's new state goes into the run state. */
export function judgeCounts(
  ctx: RolloutContext,
  gate: CanaryGate,
  wave: Wave,
  targets: RegionRef[],
  read: CanaryCountsResult,
): GateEvaluation {
  const { state } = ctx;
  const key = judgeKey(wave, gate);
  const judge = state.canaryJudges[key];
  const base = { gate: gate.name, kind: gate.kind, region: targets.map((t) => t.region).join(',') };
  if ('noData' in read) return { ...base, verdict: 'NO_DATA', noData: gate.noData, detail: read.noData };
  // Series by series (reset-aware) for judges with a baseline; legacy judges keep their totals.
  const reading = isBaselineJudge(judge) && read.series ? { totals: read.totals, series: read.series } : read.totals;
  const interval = judgeCanaryInterval(judge, reading);
  state.canaryJudges[key] = interval.state;
  return evaluation(gate, base, interval);
}

/**
 * The bake's deadline: each judge with a baseline that has not decided says INCONCLUSIVE
 * (TOO_LITTLE_TRAFFIC when the canary served too little to judge, UNDECIDED_AT_DEADLINE
 * otherwise), which follows the gate's noData policy. A bake never ends in a silent pass.
 * Judges that passed or failed, and legacy judges, add nothing.
 */
export function concludeJudges(
  ctx: RolloutContext,
  gates: CanaryGate[],
  wave: Wave,
  targets: RegionRef[],
): GateEvaluation[] {
  const { state } = ctx;
  const base = (gate: CanaryGate) => ({
    gate: gate.name,
    kind: gate.kind,
    region: targets.map((t) => t.region).join(','),
  });
  return gates.flatMap((gate) => {
    const key = judgeKey(wave, gate);
    const judge = state.canaryJudges[key];
    if (!judge || !isBaselineJudge(judge)) return [];
    const interval = concludeCanaryJudge(judge);
    state.canaryJudges[key] = interval.state;
    // INCONCLUSIVE, or FAIL from the deadline test (judges started with `judge-deadline-test`)
    const d = interval.decision;
    const fromDeadlineTest = d !== undefined && isBaselineDecision(d) && d.deadlinePValue !== undefined;
    if (interval.verdict !== 'INCONCLUSIVE' && !fromDeadlineTest) return [];
    return [evaluation(gate, base(gate), interval)];
  });
}

function evaluation(
  gate: CanaryGate,
  base: Pick<GateEvaluation, 'gate' | 'kind' | 'region'>,
  interval: CanaryInterval,
): GateEvaluation {
  const { verdict, eFail, detail, decision } = interval;
  const evidence = decision && isBaselineDecision(decision) ? { evidence: evidenceOf(decision) } : {};
  if (eFail === undefined) return { ...base, verdict: 'CONTINUE', detail, ...evidence };
  if (verdict === 'INCONCLUSIVE') {
    return { ...base, verdict: 'NO_DATA', noData: gate.noData, value: eFail, detail, ...evidence };
  }
  return { ...base, verdict, value: eFail, detail, ...evidence };
}

function evidenceOf(d: Decision): CanaryEvidence | undefined {
  if (!isBaselineDecision(d)) return undefined;
  return {
    eFail: finite(d.eFail),
    ePass: finite(d.ePass),
    failThreshold: d.failThreshold,
    passThreshold: d.passThreshold,
    alphaSpent: d.alphaSpent,
    betaSpent: d.betaSpent,
    canaryRequests: d.canaryRequests,
    canaryEvents: d.canaryEvents,
    controlRequests: d.controlRequests,
    controlEvents: d.controlEvents,
    baselineCanaryRequests: d.baseline?.canaryRequests ?? null,
    baselineCanaryEvents: d.baseline?.canaryEvents ?? null,
    baselineControlRequests: d.baseline?.baselineRequests ?? null,
    baselineControlEvents: d.baseline?.baselineEvents ?? null,
    naturalRatio: d.naturalRatio,
    naturalRatioUpper: finiteOrNull(d.naturalRatioUpper),
    naturalRatioLower: d.naturalRatioLower,
    passed: d.passed,
    reason: d.reason ?? null,
    ...(d.deadlinePValue !== undefined ? { deadlinePValue: d.deadlinePValue } : {}),
    elapsedSeconds: d.elapsedSeconds,
  };
}

/** JSON has no Infinity: e-values are capped (they are e^700 at most anyway). */
const finite = (x: number) => (Number.isFinite(x) ? x : Number.MAX_VALUE);
const finiteOrNull = (x: number | null) => (x === null || Number.isFinite(x) ? x : null);

function isBaselineJudge(judge: CanaryJudgeState): boolean {
  return judge.judge.version === 2;
}

/** Options of a judge with a baseline: the rollout's alpha spread over its judged waves and canary gates. */
function baselineOptions(gate: CanaryGate, ctx: RolloutContext, wave: Wave): JudgeOptions {
  const canaryGates = ctx.input.gates.filter((g) => g.kind === 'canary').length;
  // Every wave but the last has unchanged regions after it to compare with.
  const judgedWaves = Math.max(1, (ctx.state.rollout.plan?.waves.length ?? 1) - 1);
  return {
    ...DEFAULT_JUDGE,
    alpha: rolloutAlpha(gate.alpha, judgedWaves, canaryGates, Math.min(wave.index, judgedWaves) - 1),
    beta: gate.beta,
    tolerance: gate.tolerance,
    maxTolerated: gate.maxTolerated,
    maxRatio: gate.maxRatio,
    minRequests: gate.minRequests,
    maxDurationSeconds: gate.maxDurationSeconds,
    intervalSeconds: ctx.input.gateIntervalSeconds,
    // a focused mixture and one exact test at the deadline; judges started before keep their arithmetic
    ...(patched('judge-deadline-test') ? { mixture: 'focused' as const, deadlineShare: DEFAULT_DEADLINE_SHARE } : {}),
  };
}

/** Options of a legacy judge, exactly as runs before `judge-baseline` made them. */
function legacyOptions(gate: CanaryGate, ctx: RolloutContext): JudgeOptions {
  const canaryGates = ctx.input.gates.filter((g) => g.kind === 'canary').length;
  return {
    ...DEFAULT_JUDGE,
    alpha: splitAlpha(gate.alpha, canaryGates),
    beta: gate.beta,
    tolerance: gate.tolerance,
    maxTolerated: gate.maxTolerated,
    minRequests: gate.minRequests,
    maxDurationSeconds: gate.maxDurationSeconds,
    intervalSeconds: ctx.input.gateIntervalSeconds,
  };
}
