import type { RegionShift, ShiftTest, WindowCounts } from '../../domain/src/insight/change-assessment';
import { MixtureEProcess, ratioGrid } from '../../judge/src/sequential-count-test';

export type {
  RegionShift,
  ShiftTest,
  Verdict,
  VerdictWithReason,
  WindowCounts,
} from '../../domain/src/insight/change-assessment';

/**
 * Incident insight, the pure part: did a region get worse after a change, and how suspect
 * is each change. Whether a rise is the change's or something every region felt is
 * verdicts.ts; the I/O (reading Prometheus and the history) lives in IncidentAnalyzer;
 * docs/INCIDENT-INSIGHT.md explains every number.
 */

export interface ShiftOptions {
  /** The count test's false-alarm bound: a shift is real when its e-value reaches 1/alpha. */
  alpha: number;
  /** How much worse "after" must be than "before" to count: the null is ratio ≤ tolerance. */
  tolerance: number;
  /** Fewer requests than this after the change: no verdict either way. */
  minRequests: number;
}

export const DEFAULT_SHIFT: ShiftOptions = { alpha: 0.01, tolerance: 1.5, minRequests: 100 };

const rate = (w: WindowCounts): number | null => (w.requests > 0 ? w.events / w.requests : null);

/**
 * The sequential count test of [S6] (libs/judge) with one interval: the window after the
 * change plays the canary, the window before it the baseline. Its e-value is evidence
 * against "after is at most `tolerance` times as bad as before".
 */
export function shiftTest(before: WindowCounts, after: WindowCounts, options: ShiftOptions = DEFAULT_SHIFT): ShiftTest {
  const beforeRate = rate(before);
  const afterRate = rate(after);
  const ratio = beforeRate !== null && afterRate !== null && beforeRate > 0 ? afterRate / beforeRate : null;
  const enoughData = after.requests >= options.minRequests && before.requests >= options.minRequests;
  let eValue = 1;
  if (enoughData) {
    const test = new MixtureEProcess({ boundary: options.tolerance, grid: ratioGrid(options.tolerance, 100) });
    test.update({
      canaryRequests: after.requests,
      canaryEvents: after.events,
      baselineRequests: before.requests,
      baselineEvents: before.events,
    });
    eValue = Math.exp(Math.min(700, test.logE));
  }
  return {
    before,
    after,
    beforeRate,
    afterRate,
    ratio,
    eValue,
    degraded: enoughData && eValue >= 1 / options.alpha,
    enoughData,
  };
}

export const isDegraded = (r: RegionShift): boolean => r.errors.degraded || r.latency.degraded;

/** The smallest rise a fault makes that riseRuledOut tests against: about the alerting rules' own factor. */
export const FAULT_RATIO = 3;

/**
 * Evidence that a window did NOT rise like a fault: an e-value against "after is at least
 * `factor` times as bad as before", the count test of shiftTest turned round. High only where
 * the traffic could have shown such a rise; 1 without enough data.
 */
export function riseRuledOut(test: ShiftTest, factor = FAULT_RATIO): number {
  if (!test.enoughData) return 1;
  const process = new MixtureEProcess({ boundary: factor, grid: ratioGrid(factor, factor / 100) });
  process.update({
    canaryRequests: test.after.requests,
    canaryEvents: test.after.events,
    baselineRequests: test.before.requests,
    baselineEvents: test.before.events,
  });
  return Math.exp(Math.min(700, process.logE));
}

export interface ScoreWeights {
  /** The shift in the alerting region that the control regions do not share. */
  shift: number;
  /** How close before the alert the change landed. */
  proximity: number;
  /** Whether the change is to the alert's own service. */
  scope: number;
}

export const DEFAULT_WEIGHTS: ScoreWeights = { shift: 0.6, proximity: 0.25, scope: 0.15 };

export interface ScoreOptions {
  weights: ScoreWeights;
  /** Proximity halves every this many minutes between the change and the alert. */
  halfLifeMinutes: number;
  alpha: number;
}

export const DEFAULT_SCORE: ScoreOptions = {
  weights: DEFAULT_WEIGHTS,
  halfLifeMinutes: 10,
  alpha: DEFAULT_SHIFT.alpha,
};

/** A suspect at or above this score, with a LIKELY_CHANGE verdict, is named a likely cause. */
export const BLAME_THRESHOLD = 0.5;

export interface SuspectScoreInput {
  /** The alerting region, for the service the change went to. */
  focus: RegionShift;
  /** That service's regions without the change, same windows. */
  control: readonly RegionShift[];
  minutesBeforeAlert: number;
  /** The change's service is the alert's (or the alert names none). */
  sameService: boolean;
}

export interface SuspectScore {
  score: number;
  /** 0..1: how strongly the focus region's errors or latency rose (log e-value over log 1/alpha). */
  shiftStrength: number;
  /** Share of control regions that degraded as well. */
  controlDegradedShare: number;
  proximity: number;
  scope: number;
}

/** How much of "the shift reached the 1/alpha bar" one test shows, 0..1. */
export function strength(test: ShiftTest, alpha: number): number {
  if (!test.enoughData || test.eValue <= 1) return 0;
  return Math.min(1, Math.log(test.eValue) / Math.log(1 / alpha));
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Score = w.shift·shift·(1 − controlShare) + w.proximity·proximity + w.scope·scope, each
 * term in 0..1. A change is blamed for what the regions it reached suffered and the others
 * did not; being close in time or in the same service only breaks ties.
 */
export function scoreSuspect(input: SuspectScoreInput, options: ScoreOptions = DEFAULT_SCORE): SuspectScore {
  const shiftStrength = Math.max(
    strength(input.focus.errors, options.alpha),
    strength(input.focus.latency, options.alpha),
  );
  const controlDegradedShare =
    input.control.length === 0 ? 0 : input.control.filter(isDegraded).length / input.control.length;
  const proximity = 0.5 ** (Math.max(0, input.minutesBeforeAlert) / options.halfLifeMinutes);
  const scope = input.sameService ? 1 : 0.5;
  const w = options.weights;
  const score = w.shift * shiftStrength * (1 - controlDegradedShare) + w.proximity * proximity + w.scope * scope;
  return {
    score: round3(score),
    shiftStrength: round3(shiftStrength),
    controlDegradedShare: round3(controlDegradedShare),
    proximity: round3(proximity),
    scope,
  };
}
