import type { IntervalCounts } from './sequential-count-test';

/**
 * The pre-change window: canary and control counts over the same minutes before the change.
 * The same four counters as an interval, so one reading shape serves both.
 */
export type BaselineCounts = IntervalCounts;

/**
 * θ, the canary's natural event rate relative to the controls', as measured before the change:
 * the estimate and exact one-sided bounds (see docs/CANARY-JUDGE.md, "The pre-change baseline").
 */
export interface NaturalRatio {
  estimate: number;
  /** P(θ > upper) ≤ the FAIL test's baseline alpha. */
  upper: number;
  /** P(θ < lower) ≤ the PASS test's baseline beta. */
  lower: number;
}

/** log Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0];
  for (let i = 1; i < 9; i++) sum += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-13) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), a, b > 0. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** The x with I_x(a, b) = p, by bisection: I is increasing in x, and this runs once per judge. */
export function betaQuantile(p: number, a: number, b: number): number {
  let low = 0;
  let high = 1;
  // relative precision: tiny proportions (rare events) keep their significant digits
  for (let i = 0; i < 1_100 && high - low > 1e-10 * high; i++) {
    const mid = (low + high) / 2;
    if (regularizedBeta(mid, a, b) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/**
 * Exact (Clopper–Pearson) one-sided bounds on a binomial proportion from `successes` of
 * `trials`: P(π > upper) ≤ alphaUpper and P(π < lower) ≤ alphaLower, whatever π is.
 */
export function clopperPearson(
  successes: number,
  trials: number,
  alphaUpper: number,
  alphaLower: number,
): { upper: number; lower: number } {
  const failures = trials - successes;
  return {
    upper: failures <= 0 ? 1 : betaQuantile(1 - alphaUpper, successes + 1, failures),
    lower: successes <= 0 ? 0 : betaQuantile(alphaLower, successes, failures + 1),
  };
}

/**
 * Why a pre-change window cannot bound θ, or null when it can: no window, no canary traffic
 * worth the name, or no events on one side (θ unbounded above or undefined).
 */
export function baselineProblem(baseline: BaselineCounts | null | undefined, minRequests: number): string | null {
  if (!baseline) return 'no pre-change window was given';
  if (!(baseline.canaryRequests >= Math.max(1, minRequests))) {
    return `the canary served ${baseline.canaryRequests} requests before the change (needs ${minRequests})`;
  }
  if (!(baseline.baselineRequests > 0)) return 'the controls served no requests before the change';
  if (!(baseline.canaryEvents + baseline.baselineEvents > 0)) return 'no events on either side before the change';
  if (!(baseline.baselineEvents > 0)) return 'the controls had no events before the change';
  return null;
}

/**
 * θ from the pre-change window. Given k0 = c0 + b0 events, c0 ~ Binomial(k0, θn0 / (θn0 + m0)),
 * so θ = π m0 / ((1 − π) n0) is increasing in π and bounds on π are bounds on θ.
 * Call only when {@link baselineProblem} found none.
 */
export function naturalRatio(baseline: BaselineCounts, alphaUpper: number, alphaLower: number): NaturalRatio {
  const { canaryRequests: n0, canaryEvents: c0, baselineRequests: m0, baselineEvents: b0 } = baseline;
  const bounds = clopperPearson(c0, c0 + b0, alphaUpper, alphaLower);
  const theta = (p: number) => (p * m0) / ((1 - p) * n0);
  return { estimate: (c0 * m0) / (b0 * n0), upper: theta(bounds.upper), lower: theta(bounds.lower) };
}
