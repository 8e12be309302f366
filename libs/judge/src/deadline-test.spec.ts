import { deadlinePValue, noncentralHypergeometricUpperTail } from './deadline-test';
import { logGamma } from './natural-ratio';
import { DEFAULT_DEADLINE_SHARE, DEFAULT_JUDGE, SequentialJudge, type JudgeOptions } from './sequential-judge';
import { seededRandom, simulateInterval, simulatePreChange, type Stream } from './simulation';

const logChoose = (n: number, k: number) => logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);

/** The tail summed term by term from the definition: C(k1, x) C(k0, s − x) ω^x over the support. */
function bruteForceTail(k1: number, k0: number, s: number, omega: number, observed: number): number {
  let all = 0;
  let tail = 0;
  for (let x = Math.max(0, s - k0); x <= Math.min(k1, s); x++) {
    const term = Math.exp(logChoose(k1, x) + logChoose(k0, s - x) + x * Math.log(omega));
    all += term;
    if (x >= observed) tail += term;
  }
  return tail / all;
}

/** What the workflow starts judges with since `judge-deadline-test`. */
const WORKFLOW_JUDGE: JudgeOptions = { ...DEFAULT_JUDGE, mixture: 'focused', deadlineShare: DEFAULT_DEADLINE_SHARE };

const stream = (naturalRatio: number, regression: number): Stream => ({
  canaryRequests: 1_000,
  baselineRequests: 10_000,
  baseErrorRate: 0.005,
  naturalRatio,
  regression,
});

/** A day before the change, drawn hour by hour. */
const dayWindow = (s: Stream, random: () => number) =>
  simulatePreChange(
    { ...s, canaryRequests: s.canaryRequests * 60, baselineRequests: s.baselineRequests * 60 },
    24,
    random,
  );

/** A day's window before the change, then a 60-minute bake ending in conclude(). */
function bake(s: Stream, seed: number, options: JudgeOptions) {
  const random = seededRandom(seed);
  const judge = new SequentialJudge(options, dayWindow(s, random));
  for (let m = 0; m < 60; m++) {
    const d = judge.observe(simulateInterval(s, random));
    if (d.verdict === 'FAIL' || d.verdict === 'INCONCLUSIVE') return d;
  }
  return judge.conclude();
}

describe('the deadline test', () => {
  it('is the exact tail of Fisher’s noncentral hypergeometric distribution', () => {
    for (const [k1, k0, s, omega, observed] of [
      [10, 12, 7, 1, 4],
      [10, 12, 7, 2.5, 6],
      [40, 25, 30, 0.3, 20],
      [5, 100, 20, 11, 5],
      [200, 150, 90, 1.7, 60],
    ]) {
      expect(noncentralHypergeometricUpperTail(k1, k0, s, omega, observed)).toBeCloseTo(
        bruteForceTail(k1, k0, s, omega, observed),
        12,
      );
    }
    // the edges of the support
    expect(noncentralHypergeometricUpperTail(10, 12, 7, 1, 0)).toBe(1);
    expect(noncentralHypergeometricUpperTail(10, 12, 7, 1, 8)).toBe(0);
  });

  it('holds its level whatever the canary’s natural ratio (500 harmless bakes per ratio)', () => {
    for (const theta of [0.25, 1, 4]) {
      const random = seededRandom(Math.round(theta * 1_000));
      let rejected = 0;
      for (let i = 0; i < 500; i++) {
        const window = simulatePreChange(stream(theta, 1), 60, random);
        const bakeCounts = simulatePreChange(stream(theta, 1), 60, random);
        if (deadlinePValue(window, bakeCounts, 1) <= 0.05) rejected += 1;
      }
      // exact and discrete, so at or below 0.05; 0.029 is the 3σ sampling margin at 500 runs
      expect(rejected / 500).toBeLessThanOrEqual(0.05 + 0.029);
    }
  });

  it('says 1 when a row or a column is empty', () => {
    const none = { canaryRequests: 0, canaryEvents: 0, baselineRequests: 0, baselineEvents: 0 };
    const some = { canaryRequests: 1_000, canaryEvents: 5, baselineRequests: 10_000, baselineEvents: 50 };
    expect(deadlinePValue(none, some, 1)).toBe(1);
    expect(deadlinePValue(some, none, 1)).toBe(1);
    expect(deadlinePValue({ ...some, canaryEvents: 0 }, { ...some, canaryEvents: 0 }, 1)).toBe(1);
  });
});

describe('the judge with a deadline test', () => {
  it('catches a 1.5× change on a canary naturally at 0.3× the controls within a one-hour bake (200 runs, a day’s window)', () => {
    const runs = 200;
    const verdicts = Array.from({ length: runs }, (_, i) => bake(stream(0.3, 1.5), 50_000 + i, WORKFLOW_JUDGE).verdict);
    // the judge before (equal weights, no deadline test) failed 149 of these 200 and left 51 undecided; now 194
    expect(verdicts.filter((v) => v === 'FAIL').length / runs).toBeGreaterThanOrEqual(0.93);
    expect(verdicts).not.toContain('PASS');
  });

  it('keeps false alarms within alpha on a canary naturally 1.2× the controls (200 runs)', () => {
    const runs = 200;
    let alarms = 0;
    for (let seed = 1; seed <= runs; seed++)
      if (bake(stream(1.2, 1), seed, WORKFLOW_JUDGE).verdict === 'FAIL') alarms++;
    expect(alarms / runs).toBeLessThanOrEqual(WORKFLOW_JUDGE.alpha);
  });

  it('runs once, at maxDuration when that comes before the bake’s deadline, and records its p-value', () => {
    // a day's window at 0.5% errors, then ten minutes at 0.7%: too little for the e-process, enough for the exact test
    const window = {
      canaryRequests: 1_440_000,
      canaryEvents: 7_200,
      baselineRequests: 14_400_000,
      baselineEvents: 72_000,
    };
    const minute = { canaryRequests: 1_000, canaryEvents: 7, baselineRequests: 10_000, baselineEvents: 50 };
    const options = { ...WORKFLOW_JUDGE, maxDurationSeconds: 600 };
    const judge = new SequentialJudge(options, window);
    const verdicts = Array.from({ length: 10 }, () => judge.observe(minute));
    expect(verdicts.slice(0, 9).map((d) => d.verdict)).toEqual(Array(9).fill('CONTINUE'));
    const last = verdicts[9];
    expect(last).toMatchObject({ verdict: 'FAIL', elapsedSeconds: 600 });
    expect(last.eFail).toBeLessThan((last as { failThreshold: number }).failThreshold);
    expect((last as { deadlinePValue: number }).deadlinePValue).toBeLessThanOrEqual(
      options.alpha * DEFAULT_DEADLINE_SHARE,
    );
    // FAIL latches: the bake's deadline answers the same decision, the test is not run again
    expect(judge.conclude()).toEqual(last);
    expect(SequentialJudge.fromSnapshot(judge.snapshot()).conclude()).toEqual(last);
    // without the deadline test the same minutes end undecided
    const without = new SequentialJudge({ ...options, deadlineShare: 0 }, window);
    for (let m = 0; m < 10; m++) without.observe(minute);
    expect(without.conclude()).toMatchObject({ verdict: 'INCONCLUSIVE', reason: 'MAX_DURATION' });
  });

  it('is not run by judges started without a share for it, nor by legacy judges', () => {
    const random = seededRandom(3);
    const s = stream(0.3, 1.5);
    const judge = new SequentialJudge(DEFAULT_JUDGE, dayWindow(s, random));
    const legacy = new SequentialJudge({ ...DEFAULT_JUDGE, deadlineShare: 0.3 });
    for (let m = 0; m < 10; m++) {
      const interval = simulateInterval(s, random);
      judge.observe(interval);
      legacy.observe(interval);
    }
    expect(judge.conclude()).not.toHaveProperty('deadlinePValue');
    expect(legacy.conclude()).not.toHaveProperty('deadlinePValue');
  });

  it('refuses a deadline share outside [0, 1)', () => {
    expect(() => new SequentialJudge({ ...DEFAULT_JUDGE, deadlineShare: 1 }, null)).toThrow(/deadlineShare/);
    expect(() => new SequentialJudge({ ...DEFAULT_JUDGE, deadlineShare: -0.1 }, null)).toThrow(/deadlineShare/);
  });
});
