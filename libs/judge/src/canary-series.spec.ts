import {
  concludeCanaryJudge,
  increaseSince,
  judgeCanaryInterval,
  rolloutAlpha,
  startCanaryJudge,
  type SeriesReading,
} from './canary-interval';
import { DEFAULT_JUDGE, SequentialJudge } from './sequential-judge';

const window = { canaryRequests: 60_000, canaryEvents: 300, baselineRequests: 600_000, baselineEvents: 3_000 };

describe('per-series counter differences', () => {
  it('differences each series, counts a reset series from zero, anchors a new one and drops a gone one', () => {
    expect(increaseSince({ a: 10, b: 5 }, { a: 15, b: 9 })).toEqual({ increase: 9, resets: [] });
    // b restarted and has counted 3 since
    expect(increaseSince({ a: 10, b: 5 }, { a: 15, b: 3 })).toEqual({ increase: 8, resets: ['b'] });
    // c is new: its start is unknown, so it is only anchored; a is gone
    expect(increaseSince({ a: 10, b: 5 }, { b: 6, c: 100 })).toEqual({ increase: 1, resets: [] });
    expect(increaseSince({}, { a: 1 })).toEqual({ increase: 0, resets: [] });
    // b's process restarted (its requests counter said so) and its events climbed past the old value
    expect(increaseSince({ a: 10, b: 5 }, { a: 15, b: 7 }, ['b'])).toEqual({ increase: 12, resets: ['b'] });
  });

  it('a pod restart on the canary neither loses the interval nor looks like a drop in errors', () => {
    const reading = (podA: [number, number], podB: [number, number], control: [number, number]) => ({
      totals: {
        canaryRequests: podA[0] + podB[0],
        canaryEvents: podA[1] + podB[1],
        baselineRequests: control[0],
        baselineEvents: control[1],
      },
      series: {
        canaryRequests: { '{pod="a"}': podA[0], '{pod="b"}': podB[0] },
        canaryEvents: { '{pod="a"}': podA[1], '{pod="b"}': podB[1] },
        baselineRequests: { '{region="eu"}': control[0] },
        baselineEvents: { '{region="eu"}': control[1] },
      } satisfies SeriesReading,
    });
    const start = startCanaryJudge(DEFAULT_JUDGE, window);
    const anchored = judgeCanaryInterval(start, reading([5_000, 25], [5_000, 25], [100_000, 500]));
    expect(anchored).toMatchObject({ verdict: 'CONTINUE', detail: 'first counter reading' });
    // pod a restarted: 600 requests and 30 errors since (its errors climbed past the old 25: only its
    // requests show the reset); pod b served 500 with 2 errors
    const step = judgeCanaryInterval(anchored.state, reading([600, 30], [5_500, 27], [110_000, 550]));
    const reference = new SequentialJudge(DEFAULT_JUDGE, window);
    const d = reference.observe({
      canaryRequests: 1_100,
      canaryEvents: 32,
      baselineRequests: 10_000,
      baselineEvents: 50,
    });
    expect(step.decision).toEqual(d);
    expect(step.detail).toMatch(/counters reset: canary \{pod="a"\}$/);
    expect(step.state.seriesAnchor?.canaryRequests).toEqual({ '{pod="a"}': 600, '{pod="b"}': 5_500 });
  });

  it('without series, a new judge differences the totals as before', () => {
    const totals = (n: number, c: number, m: number, b: number) => ({
      canaryRequests: n,
      canaryEvents: c,
      baselineRequests: m,
      baselineEvents: b,
    });
    const anchored = judgeCanaryInterval(startCanaryJudge(DEFAULT_JUDGE, window), {
      totals: totals(100, 1, 1_000, 10),
    });
    const step = judgeCanaryInterval(anchored.state, totals(1_100, 6, 11_000, 60));
    expect(step.decision).toEqual(new SequentialJudge(DEFAULT_JUDGE, window).observe(totals(1_000, 5, 10_000, 50)));
  });
});

describe('a canary gate through a wave', () => {
  it('says INCONCLUSIVE (NO_BASELINE) on its first reading without a pre-change window', () => {
    const step = judgeCanaryInterval(startCanaryJudge(DEFAULT_JUDGE, null), {
      canaryRequests: 1,
      canaryEvents: 0,
      baselineRequests: 1,
      baselineEvents: 0,
    });
    expect(step).toMatchObject({ verdict: 'INCONCLUSIVE', eFail: 1, decision: { reason: 'NO_BASELINE' } });
    expect(step.detail).toMatch(/^INCONCLUSIVE \(NO_BASELINE\).*no pre-change baseline/);
  });

  it('concludes an undecided gate as INCONCLUSIVE at the deadline', () => {
    const start = startCanaryJudge(DEFAULT_JUDGE, window);
    const concluded = concludeCanaryJudge(start);
    expect(concluded).toMatchObject({ verdict: 'INCONCLUSIVE', decision: { reason: 'TOO_LITTLE_TRAFFIC' } });
    expect(concluded.detail).toMatch(/^at the deadline: INCONCLUSIVE \(TOO_LITTLE_TRAFFIC\)/);
    expect(JSON.parse(JSON.stringify(concluded.state))).toEqual(concluded.state);
  });

  it('spends a rollout’s alpha over its judged waves and canary gates', () => {
    expect(rolloutAlpha(0.05, 4, 1)).toBeCloseTo(0.0125, 12);
    expect(rolloutAlpha(0.05, 4, 2)).toBeCloseTo(0.00625, 12);
    expect(rolloutAlpha(0.05, 0, 1)).toBe(0.05);
    // front-loaded: the first wave gets half, each later one half of the rest, the last what is left
    const shares = [0, 1, 2, 3].map((wave) => rolloutAlpha(0.05, 4, 2, wave));
    expect(shares).toEqual([0.0125, 0.00625, 0.003125, 0.003125]);
    expect(shares.reduce((a, b) => a + b, 0) * 2).toBeCloseTo(0.05, 12);
    expect(rolloutAlpha(0.05, 1, 1, 0)).toBe(0.05);
    expect(() => rolloutAlpha(0.05, 4, 1, 4)).toThrow(/wave 4 is not one of the 4 judged waves/);
  });
});
