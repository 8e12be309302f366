/**
 * The judges the bench compares, each run on the same minutes of one wave's bake: when it first
 * said FAIL, when it first said PASS, and whether it ended undecided.
 */
import {
  judgeCanaryInterval,
  startCanaryJudge,
  type CanaryJudgeState,
  type CanaryReading,
} from '../../libs/judge/src/canary-interval';
import { fixedWindowVerdict, naiveIntervalAlarm } from '../../libs/judge/src/reference-judges';
import type { IntervalCounts } from '../../libs/judge/src/sequential-count-test';
import {
  DEFAULT_DEADLINE_SHARE,
  DEFAULT_JUDGE,
  SequentialJudge,
  type JudgeOptions,
} from '../../libs/judge/src/sequential-judge';
import { sumCounts } from './simulate';

export const JUDGES = ['sluice', 'sluice-legacy', 'fixed-60min', 'naive-per-minute'] as const;
export type JudgeName = (typeof JUDGES)[number] | 'sluice-summed-counters' | 'oracle-known-rate' | 'fixed-two-sample';

/** How one judge's wave went. Minutes count from the change (1 = after the first interval). */
export interface WaveOutcome {
  failAt: number | null;
  /** The first PASS, when it came before any FAIL: the bake would have ended there. */
  passAt: number | null;
  inconclusive: boolean;
}

export function judgeOptions(alpha: number, bakeMinutes: number): JudgeOptions {
  // as the workflow starts judges (`judge-deadline-test`); legacy judges ignore both
  return {
    ...DEFAULT_JUDGE,
    alpha,
    maxDurationSeconds: bakeMinutes * 60,
    mixture: 'focused',
    deadlineShare: DEFAULT_DEADLINE_SHARE,
  };
}

/** Sluice's judge: pre-change baseline, FAIL keeps watching after PASS, conclude() at the deadline. */
export function sluiceWave(options: JudgeOptions, baseline: IntervalCounts, minutes: readonly IntervalCounts[]) {
  const judge = new SequentialJudge(options, baseline);
  const outcome: WaveOutcome = { failAt: null, passAt: null, inconclusive: false };
  for (let m = 0; m < minutes.length; m++) {
    const d = judge.observe(minutes[m]);
    if (d.verdict === 'PASS' && outcome.passAt === null) outcome.passAt = m + 1;
    if (d.verdict === 'FAIL') return { ...outcome, failAt: m + 1 };
    if (d.verdict === 'INCONCLUSIVE') return { ...outcome, inconclusive: true };
  }
  return atDeadline(judge, outcome, minutes.length);
}

/** The bake's deadline: undecided is INCONCLUSIVE, or FAIL (at the last minute) from the deadline test. */
function atDeadline(judge: SequentialJudge, outcome: WaveOutcome, lastMinute: number): WaveOutcome {
  const last = judge.conclude().verdict;
  if (last === 'FAIL') return { ...outcome, failAt: lastMinute };
  return { ...outcome, inconclusive: last === 'INCONCLUSIVE' };
}

/** The judge before the baseline: θ = 1, minRequests gates every verdict, PASS latches. */
export function legacyWave(options: JudgeOptions, minutes: readonly IntervalCounts[]): WaveOutcome {
  const judge = new SequentialJudge(options);
  for (let m = 0; m < minutes.length; m++) {
    const d = judge.observe(minutes[m]);
    if (d.verdict === 'FAIL') return { failAt: m + 1, passAt: null, inconclusive: false };
    if (d.verdict === 'PASS') return { failAt: null, passAt: m + 1, inconclusive: false };
    if (d.verdict === 'INCONCLUSIVE') return { failAt: null, passAt: null, inconclusive: true };
  }
  // the old workflow ended the bake here: an undecided legacy judge passed silently
  return { failAt: null, passAt: minutes.length, inconclusive: false };
}

/** Kayenta-style: one Mann-Whitney test over the whole bake, at its end. */
export function fixedWave(alpha: number, minutes: readonly IntervalCounts[]): WaveOutcome {
  return atBakeEnd(fixedWindowVerdict(minutes, alpha) === 'FAIL', minutes);
}

/** A judge that decides once, when the bake ends: FAIL there, or no alarm (a pass at the end). */
function atBakeEnd(failed: boolean, minutes: readonly IntervalCounts[]): WaveOutcome {
  return failed
    ? { failAt: minutes.length, passAt: null, inconclusive: false }
    : { failAt: null, passAt: minutes.length, inconclusive: false };
}

/**
 * Not a judge anyone could run: one count test at the bake's end that knows the canary's true
 * pre-change error rate (nothing to estimate, no sequential penalty). The canary's errors are
 * Poisson in its requests, so this one-sided test is the most powerful level-α test on the
 * bake's canary counts against any higher rate (Neyman–Pearson, the likelihood ratio being
 * monotone in the count): its detection within the bake is the ceiling for every judge that
 * sees the same minutes, Sluice's included.
 */
export function oracleWave(alpha: number, rate: number, minutes: readonly IntervalCounts[]): WaveOutcome {
  const bake = sumCounts(minutes);
  return atBakeEnd(poissonUpperTail(bake.canaryRequests * rate, bake.canaryEvents) <= alpha, minutes);
}

/**
 * Not a judge Sluice could run either, but one that knows no more than Sluice: one test at the
 * bake's end of the canary's errors during the bake against its own pre-change window (a
 * conditional binomial test: under "no worse", the bake's share of both windows' errors is its
 * share of their requests). No sequential penalty, so its detection within the bake is the
 * ceiling for a judge that has only this pre-change window to learn the canary's rate from.
 */
export function twoSampleWave(
  alpha: number,
  baseline: IntervalCounts,
  minutes: readonly IntervalCounts[],
): WaveOutcome {
  const bake = sumCounts(minutes);
  const share = bake.canaryRequests / (bake.canaryRequests + baseline.canaryRequests);
  const p = binomialUpperTail(bake.canaryEvents + baseline.canaryEvents, share, bake.canaryEvents);
  return atBakeEnd(p <= alpha, minutes);
}

/** P(X ≥ k) for X ~ Binomial(n, p): one minus the lower terms, each from the last in log space. */
export function binomialUpperTail(n: number, p: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  let logPmf = n * Math.log(1 - p);
  let below = 0;
  for (let x = 0; x < k; x++) {
    if (x > 0) logPmf += Math.log(n - x + 1) - Math.log(x) + Math.log(p) - Math.log(1 - p);
    below += Math.exp(logPmf);
  }
  return Math.max(0, 1 - below);
}

/** P(X ≥ k) for X ~ Poisson(λ): one minus the lower terms, each from the last in log space (no underflow at λ in the thousands). */
export function poissonUpperTail(lambda: number, k: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  let logPmf = -lambda;
  let below = 0;
  for (let x = 0; x < k; x++) {
    if (x > 0) logPmf += Math.log(lambda) - Math.log(x);
    below += Math.exp(logPmf);
  }
  return Math.max(0, 1 - below);
}

/** A z-test every minute, alarming on the first significant one; no alarm is a pass at the end. */
export function naiveWave(alpha: number, minutes: readonly IntervalCounts[]): WaveOutcome {
  const at = minutes.findIndex((interval) => naiveIntervalAlarm(interval, alpha));
  return at >= 0
    ? { failAt: at + 1, passAt: null, inconclusive: false }
    : { failAt: null, passAt: minutes.length, inconclusive: false };
}

/** Every judge on the same wave. */
export function judgeWave(
  alpha: number,
  baseline: IntervalCounts,
  minutes: readonly IntervalCounts[],
): Record<(typeof JUDGES)[number], WaveOutcome> {
  const options = judgeOptions(alpha, minutes.length);
  return {
    sluice: sluiceWave(options, baseline, minutes),
    'sluice-legacy': legacyWave(options, minutes),
    'fixed-60min': fixedWave(alpha, minutes),
    'naive-per-minute': naiveWave(alpha, minutes),
  };
}

/**
 * A gate fed cumulative counter readings, as the workflow feeds it: the first reading anchors.
 * `series: false` differences the summed totals (the old way: a reset re-anchors, a masked reset
 * loses counts).
 */
export function readingsWave(
  state: CanaryJudgeState,
  readings: readonly CanaryReading[],
  series: boolean,
): WaveOutcome {
  const outcome: WaveOutcome = { failAt: null, passAt: null, inconclusive: false };
  let current = state;
  for (let m = 0; m < readings.length; m++) {
    const step = judgeCanaryInterval(current, series ? readings[m] : readings[m].totals);
    current = step.state;
    if (step.verdict === 'PASS' && outcome.passAt === null) outcome.passAt = m;
    if (step.verdict === 'FAIL') return { ...outcome, failAt: m };
    if (step.verdict === 'INCONCLUSIVE') return { ...outcome, inconclusive: true };
  }
  return atDeadline(SequentialJudge.fromSnapshot(current.judge), outcome, readings.length - 1);
}

export { startCanaryJudge };
