import {
  DEFAULT_JUDGE,
  SequentialJudge,
  isBaselineDecision,
  type BaselineDecision,
  type JudgeOptions,
} from './sequential-judge';
import { seededRandom, simulateInterval, simulatePreChange, type Stream } from './simulation';

/** The canary region(s) against the controls: 1,000 and 10,000 requests a minute, controls at 0.5% errors. */
const stream = (naturalRatio: number, regression: number, canaryRequests = 1_000): Stream => ({
  canaryRequests,
  baselineRequests: 10_000,
  baseErrorRate: 0.005,
  naturalRatio,
  regression,
});

/** One bake: an hour before the change as the baseline, then up to `minutes` intervals. */
function bake(s: Stream, seed: number, minutes = 60, options: JudgeOptions = DEFAULT_JUDGE, legacy = false) {
  const random = seededRandom(seed);
  const baseline = simulatePreChange(s, 60, random);
  const judge = new SequentialJudge(options, legacy ? undefined : baseline);
  for (let m = 0; m < minutes; m++) {
    const d = judge.observe(simulateInterval(s, random));
    if (d.verdict === 'FAIL' || d.verdict === 'INCONCLUSIVE') return d;
  }
  return judge.conclude();
}

describe('the judge against its pre-change baseline', () => {
  it('fails a 2× change on a canary that is naturally half as error-prone as the controls (200 runs)', () => {
    const runs = 200;
    const fails = Array.from({ length: runs }, (_, i) => bake(stream(0.5, 2), 1_000 + i)).filter(
      (d) => d.verdict === 'FAIL',
    );
    // the legacy judge (θ = 1) passed 199 of 200 of these
    expect(fails.length / runs).toBeGreaterThanOrEqual(0.95);
  });

  it('keeps false alarms within alpha on a canary naturally 1.2× the controls (400 runs of an hour)', () => {
    const runs = 400;
    let alarms = 0;
    for (let seed = 1; seed <= runs; seed++) if (bake(stream(1.2, 1), seed).verdict === 'FAIL') alarms += 1;
    // alpha = 0.05; 400 runs put the observed rate within ±0.033 of the true one (3σ): the
    // bound is asserted without that margin (the bench runs 1,000 per scenario), the legacy judge alarmed on 41%
    expect(alarms / runs).toBeLessThanOrEqual(DEFAULT_JUDGE.alpha);
  });

  it('fails a low-traffic canary (0.5 req/s) serving 100% errors within a 10-minute bake', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const d = bake({ ...stream(1, 1, 30), naturalRatio: 1, regression: 1 / 0.005 }, seed, 10);
      expect(d.verdict).toBe('FAIL');
      expect(d.elapsedSeconds).toBeLessThanOrEqual(120);
      expect(d.canaryRequests).toBeLessThan(DEFAULT_JUDGE.minRequests);
    }
  });

  it('keeps watching after PASS: a canary that degrades later FAILs', () => {
    const random = seededRandom(7);
    const judge = new SequentialJudge(DEFAULT_JUDGE, simulatePreChange(stream(1, 1), 60, random));
    let d = judge.observe(simulateInterval(stream(1, 1), random));
    for (let m = 0; m < 60 && d.verdict !== 'PASS'; m++) d = judge.observe(simulateInterval(stream(1, 1), random));
    expect(d.verdict).toBe('PASS');
    const passedAt = d.elapsedSeconds;
    const restored = SequentialJudge.fromSnapshot(JSON.parse(JSON.stringify(judge.snapshot())));
    for (let m = 0; m < 30 && d.verdict !== 'FAIL'; m++) d = restored.observe(simulateInterval(stream(1, 5), random));
    expect(d).toMatchObject({ verdict: 'FAIL', passed: true });
    expect(d.elapsedSeconds).toBeGreaterThan(passedAt);
    expect(restored.conclude()).toEqual(d);
  });

  it('is INCONCLUSIVE at the deadline when undecided, never a silent pass', () => {
    const random = seededRandom(3);
    const quiet = new SequentialJudge(DEFAULT_JUDGE, simulatePreChange(stream(1, 1), 60, random));
    quiet.observe(simulateInterval(stream(1, 1, 100), random));
    expect(quiet.conclude()).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'TOO_LITTLE_TRAFFIC', passed: false });

    const undecided = new SequentialJudge(DEFAULT_JUDGE, simulatePreChange(stream(1, 1), 60, random));
    for (let m = 0; m < 5; m++) undecided.observe(simulateInterval(stream(1, 1.2), random));
    const d = undecided.conclude();
    expect(d).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'UNDECIDED_AT_DEADLINE' });
    expect(undecided.observe(simulateInterval(stream(1, 1), random))).toEqual(d);
  });

  it('says INCONCLUSIVE (NO_BASELINE) at once without a usable pre-change window', () => {
    const interval = { canaryRequests: 1_000, canaryEvents: 500, baselineRequests: 10_000, baselineEvents: 50 };
    const windows = [
      null,
      { canaryRequests: 60_000, canaryEvents: 0, baselineRequests: 600_000, baselineEvents: 0 },
      { canaryRequests: 400, canaryEvents: 2, baselineRequests: 600_000, baselineEvents: 3_000 },
    ];
    for (const window of windows) {
      const judge = new SequentialJudge(DEFAULT_JUDGE, window);
      expect(judge.observe(interval)).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'NO_BASELINE', eFail: 1 });
    }
  });

  it('carries the evidence: e-values, thresholds, alpha, counts since the change, θ̂ and its bounds', () => {
    const baseline = { canaryRequests: 60_000, canaryEvents: 150, baselineRequests: 600_000, baselineEvents: 3_000 };
    const judge = new SequentialJudge(DEFAULT_JUDGE, baseline);
    judge.observe({ canaryRequests: 1_000, canaryEvents: 3, baselineRequests: 10_000, baselineEvents: 50 });
    const d = judge.observe({ canaryRequests: 1_000, canaryEvents: 2, baselineRequests: 10_000, baselineEvents: 40 });
    expect(isBaselineDecision(d)).toBe(true);
    const e = d as BaselineDecision;
    expect(e).toMatchObject({
      version: 2,
      verdict: 'CONTINUE',
      alphaSpent: 0.05,
      canaryRequests: 2_000,
      canaryEvents: 5,
      controlRequests: 20_000,
      controlEvents: 90,
      baseline,
      naturalRatio: 0.5,
      passed: false,
      elapsedSeconds: 120,
    });
    expect(e.failThreshold).toBeCloseTo(1 / (0.05 * 0.8), 9);
    expect(e.passThreshold).toBeCloseTo(1 / (0.01 * 0.8), 9);
    expect(e.naturalRatioLower!).toBeLessThan(0.5);
    expect(e.naturalRatioUpper!).toBeGreaterThan(0.5);
    expect(JSON.parse(JSON.stringify(judge.snapshot()))).toEqual(judge.snapshot());
  });

  it('a judge continued from a JSON round trip of its snapshot decides exactly as the original', () => {
    const random = seededRandom(11);
    const original = new SequentialJudge(DEFAULT_JUDGE, simulatePreChange(stream(1.5, 1), 60, random));
    let continued = SequentialJudge.fromSnapshot(original.snapshot());
    for (let m = 0; m < 40; m++) {
      const counts = simulateInterval(stream(1.5, m < 20 ? 1 : 3), random);
      continued = SequentialJudge.fromSnapshot(JSON.parse(JSON.stringify(continued.snapshot())));
      expect(continued.observe(counts)).toEqual(original.observe(counts));
    }
    expect(continued.snapshot()).toEqual(original.snapshot());
  });
});
