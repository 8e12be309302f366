import type { IntervalCounts } from './sequential-count-test';

/** Standard normal upper-tail probability, via the complementary error function (A&S 7.1.26). */
export function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
    Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/**
 * One-sided Mann-Whitney U test (normal approximation with tie correction): is `a` stochastically
 * larger than `b`? Returns the p-value.
 */
export function mannWhitneyGreater(a: readonly number[], b: readonly number[]): number {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[k] = rank;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const n1 = a.length;
  const n2 = b.length;
  const rankSumA = all.reduce((sum, x, i) => (x.g === 0 ? sum + ranks[i] : sum), 0);
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return 1;
  return normalUpperTail((u - (n1 * n2) / 2 - 0.5) / Math.sqrt(variance));
}

/**
 * Kayenta-style reference: after a fixed window, compare the canary's per-interval event
 * rates with the baseline's with a one-sided Mann-Whitney test. Looks once, at the end.
 */
export function fixedWindowVerdict(intervals: readonly IntervalCounts[], alpha: number): 'FAIL' | 'PASS' {
  const canary = intervals.map((i) => (i.canaryRequests > 0 ? i.canaryEvents / i.canaryRequests : 0));
  const baseline = intervals.map((i) => (i.baselineRequests > 0 ? i.baselineEvents / i.baselineRequests : 0));
  return mannWhitneyGreater(canary, baseline) < alpha ? 'FAIL' : 'PASS';
}

/**
 * The naive judge: a two-proportion z-test every interval, alarming the first time one is
 * significant. Each look spends alpha again, so its false alarms pile up over a bake.
 */
export function naiveIntervalAlarm(interval: IntervalCounts, alpha: number): boolean {
  const { canaryRequests: n1, canaryEvents: x1, baselineRequests: n2, baselineEvents: x2 } = interval;
  if (n1 <= 0 || n2 <= 0) return false;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return false;
  return normalUpperTail((x1 / n1 - x2 / n2) / se) < alpha;
}
