/**
 * An anytime-valid sequential test for count metrics (errors over requests, slow requests
 * over requests), canary against baseline. See docs/CANARY-JUDGE.md for the derivation.
 *
 * Per interval i the canary served n_i requests with c_i events and the baseline m_i
 * requests with b_i events. Given k_i = c_i + b_i, c_i ~ Binomial(k_i, p_i(ρ)) with
 * p_i(ρ) = ρ n_i / (ρ n_i + m_i), where ρ is the ratio of the canary's event rate to the
 * baseline's. The e-process is a mixture, over a grid of ratios, of likelihood ratios
 * against a boundary ratio; it is a (super)martingale under the null, so by Ville's
 * inequality it crosses 1/α with probability at most α, however often it is looked at.
 */

export interface IntervalCounts {
  canaryRequests: number;
  canaryEvents: number;
  baselineRequests: number;
  baselineEvents: number;
}

export interface MixtureOptions {
  /** The null's boundary ratio ρ0. */
  boundary: number;
  /** Alternative ratios, all on one side of the boundary. */
  grid: readonly number[];
  /** Mixture weight per alternative (positive, normalised here); equal weights when absent. */
  weights?: readonly number[];
}

/** log(Σ exp(x)) without overflow. */
export function logSumExp(values: readonly number[]): number {
  const max = Math.max(...values);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

function logit(ratio: number, canaryRequests: number, baselineRequests: number): { logP: number; logQ: number } {
  // p = ρn / (ρn + m); computed in log space so huge counts never overflow
  const a = Math.log(ratio) + Math.log(canaryRequests);
  const b = Math.log(baselineRequests);
  const norm = logSumExp([a, b]);
  return { logP: a - norm, logQ: b - norm };
}

/**
 * A mixture likelihood-ratio e-process over ratios in `grid` against `boundary`, kept in
 * log space: logE = log Σ_j w_j exp(L_j); weights are equal unless given.
 */
export class MixtureEProcess {
  private readonly logLikelihoodRatios: number[];
  private readonly logWeights: number[];

  /** `logLikelihoodRatios` continues a process from its {@link snapshot}; a new one starts at e = 1. */
  constructor(
    private readonly options: MixtureOptions,
    logLikelihoodRatios?: readonly number[],
  ) {
    if (options.grid.length === 0) throw new Error('the mixture needs at least one alternative ratio');
    if (!(options.boundary > 0) || options.grid.some((r) => !(r > 0))) throw new Error('ratios must be positive');
    if (logLikelihoodRatios && logLikelihoodRatios.length !== options.grid.length) {
      throw new Error(
        `the snapshot has ${logLikelihoodRatios.length} log likelihood ratios, the grid ${options.grid.length}`,
      );
    }
    this.logLikelihoodRatios = logLikelihoodRatios ? [...logLikelihoodRatios] : options.grid.map(() => 0);
    const weights = options.weights ?? options.grid.map(() => 1);
    if (weights.length !== options.grid.length || weights.some((w) => !(w > 0 && Number.isFinite(w)))) {
      throw new Error('the mixture needs one positive, finite weight per alternative ratio');
    }
    const total = weights.reduce((a, b) => a + b, 0);
    this.logWeights = weights.map((w) => Math.log(w / total));
  }

  /** The log likelihood ratio per alternative: all the process knows, as plain numbers. */
  snapshot(): number[] {
    return [...this.logLikelihoodRatios];
  }

  /** Adds one interval; intervals with no traffic on either side carry no information. */
  update(counts: IntervalCounts): void {
    const { canaryRequests: n, canaryEvents: c, baselineRequests: m, baselineEvents: b } = counts;
    if (!(n > 0) || !(m > 0) || c + b <= 0) return;
    const null0 = logit(this.options.boundary, n, m);
    this.options.grid.forEach((ratio, j) => {
      const alt = logit(ratio, n, m);
      this.logLikelihoodRatios[j] += c * (alt.logP - null0.logP) + b * (alt.logQ - null0.logQ);
    });
  }

  /** log of the e-value; compare with log(1/α). */
  get logE(): number {
    return logSumExp(this.logLikelihoodRatios.map((l, j) => l + this.logWeights[j]));
  }
}

/**
 * Geometrically spaced ratios from just past `from` up to `to` (either direction), `count` of
 * them: dense near the null's boundary, where regressions are hardest to see, sparse far away.
 */
export function ratioGrid(from: number, to: number, count = 30): number[] {
  const step = Math.log(to / from) / count;
  return Array.from({ length: count }, (_, i) => from * Math.exp(step * (i + 1)));
}

/**
 * Mixture weights that put most of the prior where a judge's decision is hard: a normal on
 * log ratio around `center` (standard deviation `spread`), plus `floor` of the weight spread
 * equally over the whole grid so that far alternatives (a canary failing every request) keep
 * some. Any positive weights keep the e-process valid; they only move its power.
 */
export function focusedWeights(grid: readonly number[], center: number, spread: number, floor: number): number[] {
  const dens = grid.map((r) => Math.exp(-((Math.log(r) - Math.log(center)) ** 2) / (2 * spread * spread)));
  const sum = dens.reduce((a, b) => a + b, 0);
  return dens.map((d) => (1 - floor) * (d / sum) + floor / grid.length);
}
