import { concludeCanaryJudge, judgeCanaryInterval, startCanaryJudge, type CanaryJudgeState } from './canary-interval';
import { baselineProblem } from './natural-ratio';
import type { IntervalCounts } from './sequential-count-test';
import { DEFAULT_JUDGE, type JudgeOptions, type Verdict } from './sequential-judge';

/**
 * The scenario judge (docs/SCENARIOS.md): per scenario and customer, the failure rate of its
 * runs in the changed regions against the same scenario's runs in the control regions, with
 * the canary gate's anytime-valid judge. A run is a request, a failed run an event. With
 * pre-change runs (continuous scenarios before the wave) the customer's own natural failure
 * rate relative to the controls is bounded first; without, the judge assumes they are equal.
 * A scenario that fails as often everywhere (flaky) is never blamed on the change; one that
 * fails for some customers in the changed regions only is a FAIL naming them.
 */

/** One run's outcome, as the judge needs it. */
export interface JudgedRun {
  scenario: string;
  customer: string;
  passed: boolean;
}

export interface ScenarioRuns {
  /** Runs in the regions the wave changed. */
  changed: readonly JudgedRun[];
  /** Runs in regions the rollout has not changed. */
  control: readonly JudgedRun[];
}

/**
 * Runs counted rather than listed, as a store answers for a window: per `scenario|customer`
 * in the changed regions, and per scenario in the controls.
 */
export interface ScenarioTallies {
  changed: Record<string, { runs: number; failures: number }>;
  control: Record<string, { runs: number; failures: number }>;
}

export interface ScenarioJudgeOptions {
  /** False-FAIL bound of the whole gate, spread over every (scenario, customer). Default 0.05. */
  alpha: number;
  /** False-PASS bound per (scenario, customer). Default 0.01. */
  beta: number;
  /** Failure-rate ratio (changed / control) at or below which the change did no harm. Default 1. */
  tolerance: number;
  /** Ratio at or above which it did. Default 5: a journey that fails five times as often is broken. */
  maxTolerated: number;
  /** Runs of the customer in the changed regions before any verdict. Default 5. */
  minRuns: number;
  intervalSeconds: number;
  maxDurationSeconds: number;
}

export const DEFAULT_SCENARIO_JUDGE: ScenarioJudgeOptions = {
  alpha: 0.05,
  beta: 0.01,
  tolerance: 1,
  maxTolerated: 5,
  minRuns: 5,
  intervalSeconds: 60,
  maxDurationSeconds: 3_600,
};

interface Tally {
  changedRuns: number;
  changedFailures: number;
  controlRuns: number;
  controlFailures: number;
}

/** Plain data: it lives in the rollout's run state and survives a crash or a continue-as-new. */
export interface ScenarioJudgeState {
  options: ScenarioJudgeOptions;
  /** Per `scenario|customer`: the judge and the cumulative runs it has seen. */
  judges: Record<string, { judge: CanaryJudgeState; tally: Tally }>;
}

export interface ScenarioVerdict {
  scenario: string;
  customer: string;
  verdict: Verdict;
  /** The evidence that the change made this customer's journey fail more often. */
  eFail?: number;
  tally: Tally;
}

export interface ScenarioJudgement {
  state: ScenarioJudgeState;
  /** FAIL when any customer's journey broke; PASS when every one passed; CONTINUE otherwise. */
  verdict: Verdict;
  verdicts: ScenarioVerdict[];
  /** The customers a FAIL names, per scenario. */
  failedCustomers: Array<{ scenario: string; customer: string }>;
}

/**
 * Failures of the customer's journey before the change needed to bound its own failure rate.
 * With fewer, the bound is so wide that no breakage could be proven against it (a journey that
 * failed once in twenty runs could naturally fail twenty times as often as the controls'), so
 * the judge assumes the customer fails as often as the controls instead.
 */
export const MIN_BASELINE_FAILURES = 5;

const keyOf = (scenario: string, customer: string) => `${scenario}|${customer}`;

/**
 * Judges for each (scenario, customer) of the changed regions. `before`: the runs of the
 * window before the change, changed and control regions alike; null when there were none.
 */
export function startScenarioJudge(
  pairs: ReadonlyArray<{ scenario: string; customer: string }>,
  before: ScenarioRuns | ScenarioTallies | null,
  options: ScenarioJudgeOptions = DEFAULT_SCENARIO_JUDGE,
): ScenarioJudgeState {
  const judgeOptions: JudgeOptions = {
    ...DEFAULT_JUDGE,
    alpha: options.alpha / Math.max(1, pairs.length),
    beta: options.beta,
    tolerance: options.tolerance,
    maxTolerated: options.maxTolerated,
    maxRatio: Math.max(options.maxTolerated * 10, 50),
    minRequests: options.minRuns,
    intervalSeconds: options.intervalSeconds,
    maxDurationSeconds: options.maxDurationSeconds,
    ...(before ? { mixture: 'focused' as const } : {}),
  };
  const judges: ScenarioJudgeState['judges'] = {};
  for (const { scenario, customer } of pairs) {
    const baseline = before && countsOf(tallyOf(before, scenario, customer));
    // too few runs or failures before the change to bound the customer's own rate (see
    // MIN_BASELINE_FAILURES): it is assumed to fail as often as the controls' (θ = 1)
    const usable =
      baseline && baseline.canaryEvents >= MIN_BASELINE_FAILURES && baselineProblem(baseline, options.minRuns) === null
        ? baseline
        : undefined;
    const judge = startCanaryJudge(usable ? judgeOptions : { ...judgeOptions, mixture: undefined }, usable);
    // the first reading anchors the counters: start them at zero
    judges[keyOf(scenario, customer)] = {
      judge: { ...judge, anchor: { canaryRequests: 0, canaryEvents: 0, baselineRequests: 0, baselineEvents: 0 } },
      tally: { changedRuns: 0, changedFailures: 0, controlRuns: 0, controlFailures: 0 },
    };
  }
  return { options, judges };
}

/** One interval's runs: each judge sees its customer's changed runs against the scenario's control runs. */
export function judgeScenarioInterval(state: ScenarioJudgeState, runs: ScenarioRuns): ScenarioJudgement {
  const judges: ScenarioJudgeState['judges'] = {};
  const verdicts: ScenarioVerdict[] = [];
  for (const [key, { judge, tally }] of Object.entries(state.judges)) {
    const [scenario, customer] = splitKey(key);
    const seen = tallyOf(runs, scenario, customer);
    const total: Tally = {
      changedRuns: tally.changedRuns + seen.changedRuns,
      changedFailures: tally.changedFailures + seen.changedFailures,
      controlRuns: tally.controlRuns + seen.controlRuns,
      controlFailures: tally.controlFailures + seen.controlFailures,
    };
    const decided = judge.judge.decision?.verdict;
    if (decided === 'FAIL' || (decided === 'PASS' && seen.changedFailures === 0)) {
      judges[key] = { judge, tally: total };
      verdicts.push({ scenario, customer, verdict: decided, tally: total });
      continue;
    }
    const interval = judgeCanaryInterval(judge, countsOf(total));
    judges[key] = { judge: interval.state, tally: total };
    verdicts.push({ scenario, customer, verdict: interval.verdict, eFail: interval.eFail, tally: total });
  }
  return summarize({ ...state, judges }, verdicts);
}

/** The bake's deadline: judges that have not decided are INCONCLUSIVE; the gate's noData policy decides. */
export function concludeScenarioJudge(state: ScenarioJudgeState): ScenarioJudgement {
  const judges: ScenarioJudgeState['judges'] = {};
  const verdicts: ScenarioVerdict[] = [];
  for (const [key, { judge, tally }] of Object.entries(state.judges)) {
    const [scenario, customer] = splitKey(key);
    const decided = judge.judge.decision?.verdict;
    if (decided === 'FAIL' || decided === 'PASS') {
      judges[key] = { judge, tally };
      verdicts.push({ scenario, customer, verdict: decided, tally });
      continue;
    }
    const interval = concludeCanaryJudge(judge);
    judges[key] = { judge: interval.state, tally };
    verdicts.push({ scenario, customer, verdict: interval.verdict, eFail: interval.eFail, tally });
  }
  return summarize({ ...state, judges }, verdicts);
}

function summarize(state: ScenarioJudgeState, verdicts: ScenarioVerdict[]): ScenarioJudgement {
  const failed = verdicts.filter((v) => v.verdict === 'FAIL');
  const verdict: Verdict =
    failed.length > 0
      ? 'FAIL'
      : verdicts.every((v) => v.verdict === 'PASS')
        ? 'PASS'
        : verdicts.some((v) => v.verdict === 'INCONCLUSIVE')
          ? 'INCONCLUSIVE'
          : 'CONTINUE';
  return {
    state,
    verdict,
    verdicts,
    failedCustomers: failed.map(({ scenario, customer }) => ({ scenario, customer })),
  };
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf('|');
  return [key.slice(0, at), key.slice(at + 1)];
}

export const scenarioCustomerKey = keyOf;

/** The customer's runs in the changed regions, and the scenario's in the controls (every customer sampled there). */
function tallyOf(runs: ScenarioRuns | ScenarioTallies, scenario: string, customer: string): Tally {
  if (!Array.isArray(runs.changed)) {
    const counted = runs as ScenarioTallies;
    const changed = counted.changed[keyOf(scenario, customer)];
    const control = counted.control[scenario];
    return {
      changedRuns: changed?.runs ?? 0,
      changedFailures: changed?.failures ?? 0,
      controlRuns: control?.runs ?? 0,
      controlFailures: control?.failures ?? 0,
    };
  }
  return tallyOfRuns(runs as ScenarioRuns, scenario, customer);
}

function tallyOfRuns(runs: ScenarioRuns, scenario: string, customer: string): Tally {
  const changed = runs.changed.filter((r) => r.scenario === scenario && r.customer === customer);
  const control = runs.control.filter((r) => r.scenario === scenario);
  return {
    changedRuns: changed.length,
    changedFailures: changed.filter((r) => !r.passed).length,
    controlRuns: control.length,
    controlFailures: control.filter((r) => !r.passed).length,
  };
}

function countsOf(t: Tally): IntervalCounts {
  return {
    canaryRequests: t.changedRuns,
    canaryEvents: t.changedFailures,
    baselineRequests: t.controlRuns,
    baselineEvents: t.controlFailures,
  };
}
