import type { BaselineCounts } from './natural-ratio';
import type { IntervalCounts } from './sequential-count-test';
import {
  isBaselineDecision,
  SequentialJudge,
  type Decision,
  type JudgeOptions,
  type JudgeSnapshot,
  type Verdict,
} from './sequential-judge';

/** One cumulative counter per series: the series' labels, rendered, to its value. */
export type SeriesValues = Record<string, number>;

/** The four counters of a canary gate, per series. */
export interface SeriesReading {
  canaryRequests: SeriesValues;
  canaryEvents: SeriesValues;
  baselineRequests: SeriesValues;
  baselineEvents: SeriesValues;
}

/** One reading of a canary gate's counters: the sums and, when the reader has them, each series. */
export interface CanaryReading {
  totals: IntervalCounts;
  series?: SeriesReading;
}

/**
 * One canary gate's judge through one wave, as plain data: the e-processes and the counter
 * reading the next interval is measured from.
 */
export interface CanaryJudgeState {
  judge: JudgeSnapshot;
  /** The previous cumulative counter reading; null before the first. */
  anchor: IntervalCounts | null;
  /** The previous reading per series, when the reader gave series. */
  seriesAnchor?: SeriesReading | null;
}

/** What one interval of the canary judge found. */
export interface CanaryInterval {
  /** The judge's state after this interval. */
  state: CanaryJudgeState;
  verdict: Verdict;
  /** The regression e-value, once the judge has seen an interval. */
  eFail?: number;
  /** The judge's decision with its evidence, once it has seen an interval. */
  decision?: Decision;
  detail: string;
}

/** Several canary metrics share one false-alarm budget (Bonferroni): each gets alpha / metrics. */
export function splitAlpha(alpha: number, metrics: number): number {
  return alpha / metrics;
}

/**
 * A rollout's false-alarm budget spread over every test that can stop it, so that
 * P(any false FAIL in the rollout) ≤ alpha by the union bound. A judged wave is one with
 * unchanged control regions left (all but the last); each canary gate of a wave gets an equal
 * part of the wave's share. Without `wave`, every judged wave gets an equal share. With `wave`
 * (0 for the first), the budget is front-loaded: wave k gets alpha / 2^(k+1) and the last
 * judged wave what is left (for four: 1/2, 1/4, 1/8, 1/8 of alpha), because the first wave is
 * where a regression is caught and later waves carry more canary traffic to make up for it.
 */
export function rolloutAlpha(alpha: number, judgedWaves: number, canaryGates: number, wave?: number): number {
  const waves = Math.max(1, judgedWaves);
  const gates = Math.max(1, canaryGates);
  if (wave === undefined) return alpha / (waves * gates);
  if (!(Number.isInteger(wave) && wave >= 0 && wave < waves)) {
    throw new Error(`wave ${wave} is not one of the ${waves} judged waves`);
  }
  const share = wave === waves - 1 ? 2 ** -(waves - 1) : 2 ** -(wave + 1);
  return (alpha * share) / gates;
}

/**
 * A judge for one wave and gate. `baseline` is the pre-change window (canary and controls over
 * the same minutes); null when there is none (the judge then says INCONCLUSIVE, NO_BASELINE).
 * Leaving it out starts a legacy judge (θ = 1), as workflows did before the baseline existed.
 */
export function startCanaryJudge(options: JudgeOptions, baseline?: BaselineCounts | null): CanaryJudgeState {
  return { judge: new SequentialJudge(options, baseline).snapshot(), anchor: null };
}

/**
 * The increase of one counter family between two readings, per series, as Prometheus counts it:
 * a series that went down was reset and its increase is its value now; a series new since the
 * previous reading is only anchored (its start is unknown) and a series gone contributes nothing.
 * `resetElsewhere` names series known to have restarted from another counter of the same process
 * (a reset events counter can have climbed past its old value by the next reading).
 */
export function increaseSince(
  previous: SeriesValues,
  now: SeriesValues,
  resetElsewhere: readonly string[] = [],
): { increase: number; resets: string[] } {
  let increase = 0;
  const resets: string[] = [];
  for (const [series, value] of Object.entries(now)) {
    const before = previous[series];
    if (before === undefined) continue;
    if (value >= before && !resetElsewhere.includes(series)) increase += value - before;
    else {
      increase += value;
      resets.push(series);
    }
  }
  return { increase, resets: resets.sort() };
}

/**
 * Both families of one side: a series of requests and a series of events with the same labels
 * are one process's counters, so a reset seen in either is a reset of both.
 */
function sideIncrease(previous: { requests: SeriesValues; events: SeriesValues }, now: typeof previous) {
  const seen = [
    ...increaseSince(previous.requests, now.requests).resets,
    ...increaseSince(previous.events, now.events).resets,
  ];
  return {
    requests: increaseSince(previous.requests, now.requests, seen),
    events: increaseSince(previous.events, now.events, seen),
  };
}

function seriesIncrease(previous: SeriesReading, now: SeriesReading): { counts: IntervalCounts; resets: string[] } {
  const canary = sideIncrease(
    { requests: previous.canaryRequests, events: previous.canaryEvents },
    { requests: now.canaryRequests, events: now.canaryEvents },
  );
  const control = sideIncrease(
    { requests: previous.baselineRequests, events: previous.baselineEvents },
    { requests: now.baselineRequests, events: now.baselineEvents },
  );
  const restarted = (side: typeof canary) => [...new Set([...side.requests.resets, ...side.events.resets])].sort();
  return {
    counts: {
      canaryRequests: canary.requests.increase,
      canaryEvents: canary.events.increase,
      baselineRequests: control.requests.increase,
      baselineEvents: control.events.increase,
    },
    resets: [...restarted(canary).map((s) => `canary ${s}`), ...restarted(control).map((s) => `baseline ${s}`)],
  };
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
  if (!isBaselineDecision(d)) {
    return (
      `${d.verdict}${d.reason ? ` (${d.reason})` : ''}: ` +
      `e(regression)=${d.eFail.toPrecision(3)} (fail at ${(1 / options.alpha).toFixed(0)}), ` +
      `e(fine)=${d.ePass.toPrecision(3)} (pass at ${(1 / options.beta).toFixed(0)}); ` +
      `canary ${counts.canaryEvents.toFixed(0)}/${counts.canaryRequests.toFixed(0)} ` +
      `vs baseline ${counts.baselineEvents.toFixed(0)}/${counts.baselineRequests.toFixed(0)}`
    );
  }
  const theta =
    d.naturalRatio === null
      ? 'no pre-change baseline'
      : `natural ratio θ=${d.naturalRatio.toPrecision(3)} ` +
        `[${(d.naturalRatioLower ?? 0).toPrecision(3)}, ${(d.naturalRatioUpper ?? 0).toPrecision(3)}]`;
  const deadline =
    d.deadlinePValue === undefined
      ? ''
      : ` by the deadline test (p=${d.deadlinePValue.toPrecision(3)}: the bake's canary events against its pre-change window)`;
  return (
    `${d.verdict}${d.reason ? ` (${d.reason})` : ''}${deadline}${d.passed && d.verdict !== 'PASS' ? ' after PASS' : ''}: ` +
    `e(regression)=${d.eFail.toPrecision(3)} (fail at ${d.failThreshold.toPrecision(3)}), ` +
    `e(fine)=${d.ePass.toPrecision(3)} (pass at ${d.passThreshold.toPrecision(3)}); ${theta}; ` +
    `interval canary ${counts.canaryEvents.toFixed(0)}/${counts.canaryRequests.toFixed(0)} ` +
    `vs controls ${counts.baselineEvents.toFixed(0)}/${counts.baselineRequests.toFixed(0)}; ` +
    `since the change canary ${d.canaryEvents.toFixed(0)}/${d.canaryRequests.toFixed(0)} ` +
    `vs controls ${d.controlEvents.toFixed(0)}/${d.controlRequests.toFixed(0)}`
  );
}

/**
 * Feeds the judge the interval since the previous reading of the cumulative counters. The
 * first reading only anchors the counters. With series, each series is differenced on its own
 * and a reset series counts from zero (increaseSince); with totals only, a counter that went
 * down is anchored again. Either way the judge sees exact, non-overlapping counts, as the
 * test assumes. `reading` may be bare totals, as legacy callers pass.
 */
export function judgeCanaryInterval(state: CanaryJudgeState, reading: IntervalCounts | CanaryReading): CanaryInterval {
  const { totals, series } = 'totals' in reading ? reading : { totals: reading, series: undefined };
  const anchor = (judge: JudgeSnapshot): CanaryJudgeState =>
    series ? { judge, anchor: totals, seriesAnchor: series } : { judge, anchor: totals };
  const judge = SequentialJudge.fromSnapshot(state.judge);
  if (judge.version === 2 && judge.naturalRatio === null) return judged(judge, anchor, totals, []);
  const previous = state.anchor;
  if (series && state.seriesAnchor) {
    const { counts, resets } = seriesIncrease(state.seriesAnchor, series);
    return judged(judge, anchor, counts, resets);
  }
  const counts = previous && countsSince(previous, totals);
  if (!counts) {
    return {
      state: anchor(state.judge),
      verdict: 'CONTINUE',
      detail: previous ? 'counters were reset; starting over' : 'first counter reading',
    };
  }
  return judged(judge, anchor, counts, []);
}

function judged(
  judge: SequentialJudge,
  anchor: (judge: JudgeSnapshot) => CanaryJudgeState,
  counts: IntervalCounts,
  resets: string[],
): CanaryInterval {
  const d = judge.observe(counts);
  const detail = decisionDetail(d, counts, judge.options);
  return {
    state: anchor(judge.snapshot()),
    verdict: d.verdict,
    eFail: d.eFail,
    decision: d,
    detail: resets.length > 0 ? `${detail}; counters reset: ${resets.join(', ')}` : detail,
  };
}

/**
 * The bake's deadline for one gate: an undecided judge is INCONCLUSIVE (TOO_LITTLE_TRAFFIC or
 * UNDECIDED_AT_DEADLINE), a judge that reached PASS and never FAIL passes.
 */
export function concludeCanaryJudge(state: CanaryJudgeState): CanaryInterval {
  const judge = SequentialJudge.fromSnapshot(state.judge);
  const d = judge.conclude();
  const none = { canaryRequests: 0, canaryEvents: 0, baselineRequests: 0, baselineEvents: 0 };
  return {
    state: { ...state, judge: judge.snapshot() },
    verdict: d.verdict,
    eFail: d.eFail,
    decision: d,
    detail: `at the deadline: ${decisionDetail(d, none, judge.options)}`,
  };
}
