import type { Wave } from '../libs/domain/src/plan/rollout-plan';
import type { CanaryGate, GateEvaluation } from '../libs/domain/src/gates/gate-spec';
import { judgeCanaryInterval, splitAlpha, startCanaryJudge } from '../libs/judge/src/canary-interval';
import { DEFAULT_JUDGE, type JudgeOptions } from '../libs/judge/src/sequential-judge';
import type { CanaryCountsResult, RegionRef } from './activity-contracts';
import { gateEvaluation } from './rollout-activities';
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

/** Started before the read, as the judge always was: a gate the judge refuses fails before any read. */
export function startJudge(ctx: RolloutContext, gate: CanaryGate, wave: Wave): void {
  const key = `${wave.index}/${gate.name}`;
  ctx.state.canaryJudges[key] ??= startCanaryJudge(judgeOptions(gate, ctx));
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
  const key = `${wave.index}/${gate.name}`;
  const judge = state.canaryJudges[key];
  const base = { gate: gate.name, kind: gate.kind, region: targets.map((t) => t.region).join(',') };
  if ('noData' in read) return { ...base, verdict: 'NO_DATA', noData: gate.noData, detail: read.noData };
  const interval = judgeCanaryInterval(judge, read.totals);
  state.canaryJudges[key] = interval.state;
  const { verdict, eFail, detail } = interval;
  if (eFail === undefined) return { ...base, verdict: 'CONTINUE', detail };
  if (verdict === 'INCONCLUSIVE') return { ...base, verdict: 'NO_DATA', noData: gate.noData, value: eFail, detail };
  return { ...base, verdict, value: eFail, detail };
}

function judgeOptions(gate: CanaryGate, ctx: RolloutContext): JudgeOptions {
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
