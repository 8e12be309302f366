import type { IntervalCounts } from './sequential-count-test';
import {
  SequentialJudge,
  type Decision,
  type JudgeOptions,
  type JudgeSnapshot,
  type Verdict,
} from './sequential-judge';

/**
 * One canary gate's judge through one wave, as plain data: the e-processes and the counter
 * reading the next interval is measured from.
 */
export interface CanaryJudgeState {
  judge: JudgeSnapshot;
  /** The previous cumulative counter reading; null before the first. */
  anchor: IntervalCounts | null;
}

/** What one interval of the canary judge found. */
export interface CanaryInterval {
  /** The judge's state after this interval. */
  state: CanaryJudgeState;
  verdict: Verdict;
  /** The regression e-value, once the judge has seen an interval. */
  eFail?: number;
  detail: string;
}

/** Several canary metrics share one false-alarm budget (Bonferroni): each gets alpha / metrics. */
export function splitAlpha(alpha: number, metrics: number): number {
  return alpha / metrics;
}

export function startCanaryJudge(options: JudgeOptions): CanaryJudgeState {
  return { judge: new SequentialJudge(options).snapshot(), anchor: null };
}

/**
 * The counts of the interval between two cumulative readings, or null when a counter went
 * down: it was reset, and the difference means nothing.
 */
export function countsSince(previous: IntervalCounts, totals: IntervalCounts): IntervalCounts | null {
  const counts = {
    canaryRequests: totals.canaryRequests - previous.canaryRequests,
    canaryEvents: totals.canaryEvents - previous.canaryEvents,
    baselineRequests: totals.baselineRequests - previous.baselineRequests,
    baselineEvents: totals.baselineEvents - previous.baselineEvents,
  };
  return Object.values(counts).some((v) => v < 0) ? null : counts;
}

/** A decision as a person reads it: both e-values against their thresholds, and the interval's counts. */
export function decisionDetail(
  d: Decision,
  counts: IntervalCounts,
  options: Pick<JudgeOptions, 'alpha' | 'beta'>,
): string {
  return (
    `${d.verdict}: e(regression)=${d.eFail.toPrecision(3)} (fail at ${(1 / options.alpha).toFixed(0)}), ` +
    `e(fine)=${d.ePass.toPrecision(3)} (pass at ${(1 / options.beta).toFixed(0)}); ` +
    `canary ${counts.canaryEvents.toFixed(0)}/${counts.canaryRequests.toFixed(0)} ` +
    `vs baseline ${counts.baselineEvents.toFixed(0)}/${counts.baselineRequests.toFixed(0)}`
  );
}

/**
 * Feeds the judge the interval since the previous reading of the cumulative counters. The
 * first reading only anchors the counters, and after a reset they are anchored again: the
 * judge sees only exact, non-overlapping counts, as the test assumes.
 */
export function judgeCanaryInterval(state: CanaryJudgeState, totals: IntervalCounts): CanaryInterval {
  const previous = state.anchor;
  const counts = previous && countsSince(previous, totals);
  if (!counts) {
    return {
      state: { judge: state.judge, anchor: totals },
      verdict: 'CONTINUE',
      detail: previous ? 'counters were reset; starting over' : 'first counter reading',
    };
  }
  const judge = SequentialJudge.fromSnapshot(state.judge);
  const d = judge.observe(counts);
  return {
    state: { judge: judge.snapshot(), anchor: totals },
    verdict: d.verdict,
    eFail: d.eFail,
    detail: decisionDetail(d, counts, judge.options),
  };
}
