import type { BaselineCounts } from './natural-ratio';
import type { IntervalCounts } from './sequential-count-test';

/**
 * The one test a judge runs at its bake's deadline (docs/CANARY-JUDGE.md, "The deadline test"):
 * the canary's events in the bake against its own pre-change window, the controls' events in
 * both as the yardstick. A 2×2 table of events:
 *
 *              canary   controls
 *     window    c0        b0
 *     bake      c1        b1
 *
 * Given each row's total, the canary's share is binomial with odds θ·n0/m0 in the window and
 * θ·ρ·n1/m1 in the bake. Given the canary's total c0 + c1 as well, c1 follows Fisher's
 * noncentral hypergeometric distribution with odds ratio ω = ρ·(n1/m1)/(n0/m0): θ is gone.
 * So the tail P(C1 ≥ c1) at ω0 = tolerance·(n1/m1)/(n0/m0) is an exact p-value for
 * "ρ ≤ tolerance", whatever θ is.
 */

/** Tables whose support is wider than this are not tested (the answer is 1: no evidence). */
export const DEADLINE_TEST_MAX_SUPPORT = 5_000_000;

/**
 * P(C1 ≥ observed) when C1 is the bake's share of `canaryTotal` canary events, with
 * `bakeEvents` and `windowEvents` events in the two rows, under odds ratio `omega`.
 * Computed in log space over the whole support (one pass).
 */
export function noncentralHypergeometricUpperTail(
  bakeEvents: number,
  windowEvents: number,
  canaryTotal: number,
  omega: number,
  observed: number,
): number {
  const lo = Math.max(0, canaryTotal - windowEvents);
  const hi = Math.min(bakeEvents, canaryTotal);
  if (observed <= lo) return 1;
  if (observed > hi) return 0;
  if (hi - lo > DEADLINE_TEST_MAX_SUPPORT) return 1;
  const logOmega = Math.log(omega);
  // log term(x) relative to term(lo), by the ratio of consecutive terms
  let logTerm = 0;
  let logAll = 0;
  let logTail = -Infinity;
  for (let x = lo; x <= hi; x++) {
    if (x > lo) {
      const k = x - 1;
      logTerm +=
        Math.log(bakeEvents - k) -
        Math.log(k + 1) +
        Math.log(canaryTotal - k) -
        Math.log(windowEvents - canaryTotal + k + 1) +
        logOmega;
      logAll = addLog(logAll, logTerm);
    }
    if (x >= observed) logTail = addLog(logTail, logTerm);
  }
  return Math.min(1, Math.exp(logTail - logAll));
}

function addLog(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const max = Math.max(a, b);
  return max + Math.log(Math.exp(a - max) + Math.exp(b - max));
}

/**
 * The deadline test's p-value for "the change made the canary no worse than `tolerance`", from
 * the pre-change window and the bake's totals; 1 when a row or a column has nothing in it.
 */
export function deadlinePValue(window: BaselineCounts, bake: IntervalCounts, tolerance: number): number {
  const { canaryRequests: n0, canaryEvents: c0, baselineRequests: m0, baselineEvents: b0 } = window;
  const { canaryRequests: n1, canaryEvents: c1, baselineRequests: m1, baselineEvents: b1 } = bake;
  if (!(n0 > 0 && m0 > 0 && n1 > 0 && m1 > 0) || c0 + b0 <= 0 || c1 + b1 <= 0 || c0 + c1 <= 0) return 1;
  const omega = (tolerance * (n1 / m1)) / (n0 / m0);
  return noncentralHypergeometricUpperTail(c1 + b1, c0 + b0, c0 + c1, omega, c1);
}
