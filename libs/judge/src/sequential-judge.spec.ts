import fc from 'fast-check';
import { logSumExp, MixtureEProcess } from './sequential-count-test';
import { DEFAULT_JUDGE, SequentialJudge } from './sequential-judge';
import { seededRandom, simulateInterval, type Stream } from './simulation';

describe('mixture e-process for counts', () => {
  it('matches the closed form for a fixed traffic split with a single alternative', () => {
    // n = m: p(ρ) = ρ/(ρ+1); ρ0 = 1 → p0 = 1/2; ρ1 = 2 → p1 = 2/3
    const e = new MixtureEProcess({ boundary: 1, grid: [2] });
    e.update({ canaryRequests: 100, canaryEvents: 7, baselineRequests: 100, baselineEvents: 3 });
    e.update({ canaryRequests: 100, canaryEvents: 5, baselineRequests: 100, baselineEvents: 5 });
    const closedForm = 12 * Math.log(2 / 3 / 0.5) + 8 * Math.log(1 / 3 / 0.5);
    expect(e.logE).toBeCloseTo(closedForm, 10);
  });

  it('with a fixed split, depends only on the total counts, not on how they were cut into intervals', () => {
    const pieces = new MixtureEProcess({ boundary: 1, grid: [1.5, 2, 3] });
    const whole = new MixtureEProcess({ boundary: 1, grid: [1.5, 2, 3] });
    for (const [c, b] of [
      [3, 20],
      [0, 11],
      [9, 40],
    ]) {
      pieces.update({ canaryRequests: 1_000, canaryEvents: c, baselineRequests: 10_000, baselineEvents: b });
    }
    whole.update({ canaryRequests: 1_000, canaryEvents: 12, baselineRequests: 10_000, baselineEvents: 71 });
    expect(pieces.logE).toBeCloseTo(whole.logE, 9);
  });

  it('ignores intervals without traffic and starts at e = 1', () => {
    const e = new MixtureEProcess({ boundary: 1, grid: [2, 4] });
    expect(e.logE).toBeCloseTo(0, 12);
    e.update({ canaryRequests: 0, canaryEvents: 0, baselineRequests: 100, baselineEvents: 3 });
    e.update({ canaryRequests: 100, canaryEvents: 0, baselineRequests: 100, baselineEvents: 0 });
    expect(e.logE).toBeCloseTo(0, 12);
  });

  it('property: never NaN and never overflows, whatever the counts', () => {
    const count = fc.oneof(
      fc.constant(0),
      fc.integer({ min: 0, max: 1_000 }),
      fc.double({ min: 0, max: 1e15, noNaN: true }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(count, count, count, count), { minLength: 1, maxLength: 30 }), (intervals) => {
        const e = new MixtureEProcess({ boundary: 1, grid: [1.1, 2, 10] });
        for (const [n, c, m, b] of intervals)
          e.update({ canaryRequests: n, canaryEvents: c, baselineRequests: m, baselineEvents: b });
        expect(Number.isNaN(e.logE)).toBe(false);
        expect(e.logE).not.toBe(Infinity);
      }),
      { numRuns: 500 },
    );
  });

  it('logSumExp survives huge and tiny values', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2));
    expect(logSumExp([-1000, -Infinity])).toBeCloseTo(-1000);
    expect(logSumExp([-Infinity])).toBe(-Infinity);
  });
});

describe('sequential judge', () => {
  const stream = (regression: number): Stream => ({
    canaryRequests: 1_000,
    baselineRequests: 10_000,
    baseErrorRate: 0.005,
    regression,
  });
  const run = (regression: number, seed: number, minutes = 60) => {
    const judge = new SequentialJudge({ ...DEFAULT_JUDGE, maxDurationSeconds: minutes * 60 });
    const random = seededRandom(seed);
    for (;;) {
      const d = judge.observe(simulateInterval(stream(regression), random));
      if (d.verdict !== 'CONTINUE') return d;
    }
  };

  it('keeps false alarms within alpha on seeded null simulations (600 runs of an hour)', () => {
    const runs = 600;
    let alarms = 0;
    for (let seed = 1; seed <= runs; seed++) if (run(1, seed).verdict === 'FAIL') alarms += 1;
    // alpha = 0.05; 600 runs put the observed rate within ±0.027 of the true one (3 sigma)
    expect(alarms / runs).toBeLessThanOrEqual(0.05 + 0.027);
  });

  it('fails a 2× regression within minutes', () => {
    const minutes = Array.from({ length: 100 }, (_, i) => run(2, 10_000 + i)).map((d) => {
      expect(d.verdict).toBe('FAIL');
      return d.elapsedSeconds / 60;
    });
    minutes.sort((a, b) => a - b);
    expect(minutes[50]).toBeLessThanOrEqual(5);
  });

  it('passes a healthy canary early instead of waiting out the bake', () => {
    const passes = Array.from({ length: 50 }, (_, i) => run(1, 500 + i)).filter((x) => x.verdict === 'PASS');
    expect(passes.length).toBeGreaterThan(40);
  });

  it('waits for minRequests before any verdict', () => {
    const judge = new SequentialJudge({ ...DEFAULT_JUDGE, minRequests: 5_000 });
    const d = judge.observe({ canaryRequests: 1_000, canaryEvents: 500, baselineRequests: 10_000, baselineEvents: 50 });
    expect(d.verdict).toBe('CONTINUE');
    expect(d.eFail).toBeGreaterThan(20);
  });
});

describe('judge snapshots', () => {
  const stream = (regression: number): Stream => ({
    canaryRequests: 1_000,
    baselineRequests: 10_000,
    baseErrorRate: 0.005,
    regression,
  });

  it('a judge continued from a JSON round trip of its snapshot decides exactly as the original', () => {
    for (const [regression, seed] of [
      [1, 7],
      [2, 8],
      [1.2, 9],
    ]) {
      const original = new SequentialJudge({ ...DEFAULT_JUDGE, maxDurationSeconds: 30 * 60 });
      let continued = SequentialJudge.fromSnapshot(original.snapshot());
      const random = seededRandom(seed);
      for (let interval = 0; interval < 40; interval++) {
        const counts = simulateInterval(stream(regression), random);
        // every interval the continued judge goes through plain data, as across continue-as-new
        continued = SequentialJudge.fromSnapshot(JSON.parse(JSON.stringify(continued.snapshot())));
        expect(continued.observe(counts)).toEqual(original.observe(counts));
      }
      expect(continued.snapshot()).toEqual(original.snapshot());
    }
  });

  it('keeps a decision once reached', () => {
    const judge = new SequentialJudge({ ...DEFAULT_JUDGE, minRequests: 0 });
    const bad = { canaryRequests: 1_000, canaryEvents: 200, baselineRequests: 10_000, baselineEvents: 50 };
    const decided = judge.observe(bad);
    expect(decided.verdict).toBe('FAIL');
    const restored = SequentialJudge.fromSnapshot(judge.snapshot());
    expect(restored.observe({ ...bad, canaryEvents: 0 })).toEqual(decided);
  });

  it('refuses a snapshot whose e-process does not fit the grid', () => {
    const snapshot = new SequentialJudge().snapshot();
    expect(() => SequentialJudge.fromSnapshot({ ...snapshot, failLogLikelihoodRatios: [0] })).toThrow(
      /the snapshot has 1 log likelihood ratios, the grid 30/,
    );
  });
});
