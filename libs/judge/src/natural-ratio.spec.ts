import { baselineProblem, clopperPearson, logGamma, naturalRatio, regularizedBeta } from './natural-ratio';
import { poisson, seededRandom } from './simulation';

describe('exact bounds on a binomial proportion', () => {
  it('log Γ and the incomplete beta match closed forms', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    // I_x(1, b) = 1 − (1 − x)^b; I_x(a, 1) = x^a
    expect(regularizedBeta(0.3, 1, 7)).toBeCloseTo(1 - 0.7 ** 7, 12);
    expect(regularizedBeta(0.3, 4, 1)).toBeCloseTo(0.3 ** 4, 12);
  });

  it('Clopper–Pearson matches the closed forms at the edges', () => {
    // 0 of n: upper = 1 − a^(1/n); n of n: lower = a^(1/n)
    expect(clopperPearson(0, 10, 0.05, 0.05).upper).toBeCloseTo(1 - 0.05 ** (1 / 10), 10);
    expect(clopperPearson(0, 10, 0.05, 0.05).lower).toBe(0);
    expect(clopperPearson(10, 10, 0.05, 0.05).lower).toBeCloseTo(0.05 ** (1 / 10), 10);
    expect(clopperPearson(10, 10, 0.05, 0.05).upper).toBe(1);
  });

  it('covers θ at least 1 − alpha of the time, one side at a time (1,000 seeded windows per θ)', () => {
    const random = seededRandom(42);
    for (const theta of [0.25, 4]) {
      let above = 0;
      let below = 0;
      const windows = 1_000;
      for (let i = 0; i < windows; i++) {
        const n0 = 20_000;
        const m0 = 200_000;
        const c0 = poisson(n0 * 0.002 * theta, random);
        const b0 = poisson(m0 * 0.002, random);
        const r = naturalRatio(
          { canaryRequests: n0, canaryEvents: c0, baselineRequests: m0, baselineEvents: b0 },
          0.05,
          0.05,
        );
        if (theta > r.upper) above += 1;
        if (theta < r.lower) below += 1;
      }
      // 0.05 + 3σ (σ = √(0.05·0.95/1000) ≈ 0.0069)
      expect(above / windows).toBeLessThanOrEqual(0.071);
      expect(below / windows).toBeLessThanOrEqual(0.071);
    }
  });

  it('refuses a window that cannot bound θ', () => {
    const window = { canaryRequests: 60_000, canaryEvents: 150, baselineRequests: 600_000, baselineEvents: 3_000 };
    expect(baselineProblem(window, 500)).toBeNull();
    expect(baselineProblem(null, 500)).toMatch(/no pre-change window/);
    expect(baselineProblem({ ...window, canaryRequests: 499 }, 500)).toMatch(/served 499 requests/);
    expect(baselineProblem({ ...window, canaryEvents: 0, baselineEvents: 0 }, 500)).toMatch(/no events/);
    expect(baselineProblem({ ...window, baselineEvents: 0 }, 500)).toMatch(/controls had no events/);
  });
});
