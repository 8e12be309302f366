import {
  countsSince,
  decisionDetail,
  judgeCanaryInterval,
  splitAlpha,
  startCanaryJudge,
  type CanaryJudgeState,
} from './canary-interval';
import type { IntervalCounts } from './sequential-count-test';
import { DEFAULT_JUDGE, SequentialJudge } from './sequential-judge';

const totals = (canaryRequests: number, canaryEvents: number, baselineRequests: number, baselineEvents: number) => ({
  canaryRequests,
  canaryEvents,
  baselineRequests,
  baselineEvents,
});

describe('canary interval arithmetic', () => {
  it('differences cumulative counters, and finds a reset in any counter that went down', () => {
    expect(countsSince(totals(100, 2, 1_000, 10), totals(250, 5, 2_500, 30))).toEqual(totals(150, 3, 1_500, 20));
    expect(countsSince(totals(100, 2, 1_000, 10), totals(100, 2, 1_000, 10))).toEqual(totals(0, 0, 0, 0));
    expect(countsSince(totals(100, 2, 1_000, 10), totals(250, 5, 900, 30))).toBeNull();
    expect(countsSince(totals(100, 2, 1_000, 10), totals(250, 1, 2_500, 30))).toBeNull();
  });

  it('splits the false-alarm budget evenly between canary metrics (Bonferroni)', () => {
    expect(splitAlpha(0.05, 1)).toBe(0.05);
    expect(splitAlpha(0.05, 2)).toBe(0.025);
  });

  it('writes a decision for a person: e-values, their thresholds and the counts', () => {
    const d = { verdict: 'CONTINUE' as const, eFail: 1.23456, ePass: 0.5, elapsedSeconds: 60, canaryRequests: 150 };
    expect(decisionDetail(d, totals(150, 3, 1_500, 20), { alpha: 0.025, beta: 0.01 })).toBe(
      'CONTINUE: e(regression)=1.23 (fail at 40), e(fine)=0.500 (pass at 100); canary 3/150 vs baseline 20/1500',
    );
  });
});

describe('judging a canary interval by interval', () => {
  const options = { ...DEFAULT_JUDGE, alpha: splitAlpha(0.05, 2), minRequests: 0 };

  it('anchors on the first reading without judging', () => {
    const start = startCanaryJudge(options);
    const first = judgeCanaryInterval(start, totals(100, 1, 1_000, 10));
    expect(first).toEqual({
      state: { judge: start.judge, anchor: totals(100, 1, 1_000, 10) },
      verdict: 'CONTINUE',
      detail: 'first counter reading',
    });
  });

  it('feeds the judge the interval since the anchor', () => {
    const anchored: CanaryJudgeState = { ...startCanaryJudge(options), anchor: totals(100, 1, 1_000, 10) };
    const step = judgeCanaryInterval(anchored, totals(1_100, 201, 11_000, 60));
    const reference = new SequentialJudge(options);
    const d = reference.observe(totals(1_000, 200, 10_000, 50));
    expect(step.verdict).toBe('FAIL');
    expect(step.eFail).toBe(d.eFail);
    expect(step.detail).toBe(decisionDetail(d, totals(1_000, 200, 10_000, 50), options));
    expect(step.state).toEqual({ judge: reference.snapshot(), anchor: totals(1_100, 201, 11_000, 60) });
  });

  it('starts over from a reset counter, keeping what the judge had learnt', () => {
    const anchored: CanaryJudgeState = { ...startCanaryJudge(options), anchor: totals(100, 1, 1_000, 10) };
    const judged = judgeCanaryInterval(anchored, totals(200, 1, 2_000, 20)).state;
    const reset = judgeCanaryInterval(judged, totals(5, 0, 2_100, 21));
    expect(reset).toEqual({
      state: { judge: judged.judge, anchor: totals(5, 0, 2_100, 21) },
      verdict: 'CONTINUE',
      detail: 'counters were reset; starting over',
    });
  });

  it('is plain data: a state that went through JSON judges on the same', () => {
    let state = startCanaryJudge({ ...DEFAULT_JUDGE, alpha: 0.05 });
    let plain = JSON.parse(JSON.stringify(state)) as CanaryJudgeState;
    const readings: IntervalCounts[] = Array.from({ length: 20 }, (_, i) =>
      totals(1_000 * (i + 1), 5 * (i + 1) + (i % 3), 10_000 * (i + 1), 50 * (i + 1)),
    );
    for (const reading of readings) {
      const a = judgeCanaryInterval(state, reading);
      const b = judgeCanaryInterval(plain, reading);
      expect(b).toEqual(a);
      state = a.state;
      plain = JSON.parse(JSON.stringify(b.state)) as CanaryJudgeState;
    }
  });
});
