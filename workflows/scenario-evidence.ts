import type {
  GateEvaluation,
  ScenarioCustomerVerdict,
  ScenarioEvidence,
  ScenarioGate,
} from '../libs/domain/src/gates/gate-spec';
import { scenarioCustomerKey, type ScenarioJudgement, type ScenarioJudgeState } from '../libs/judge/src/scenario-judge';

/** What a customer's failures in the changed regions looked like, for the affected-customers list. */
export interface ObservedScenarioFailure {
  /** Workflow time (ms) of the first and last failed run. */
  first: number;
  last: number;
  regions: string[];
  error: string | null;
}

/** One scenario gate's state in one wave, in the run state: it survives a crash or a continue-as-new. */
export interface ScenarioGateState {
  judge: ScenarioJudgeState;
  /** Ticks made so far: the control sample rotates with it, and a retried tick's runs are stored once. */
  ticks: number;
  /** Runs made and Playwright's wall time in this wave so far: the gate's cost (absent before they were kept). */
  runs?: number;
  wallMs?: number;
  /** Per `scenario|customer`, failures seen in the changed regions. */
  failures: Record<string, ObservedScenarioFailure>;
}

/** Customers named in one evaluation at most: the rest are counted, not listed. */
const MAX_LISTED_CUSTOMERS = 50;

export function scenarioEvaluation(
  gate: ScenarioGate,
  base: Pick<GateEvaluation, 'gate' | 'kind' | 'region'>,
  judgement: ScenarioJudgement,
  gateState: ScenarioGateState,
  cost: { runs: number; wallMs: number },
  versions: Record<string, string>,
): GateEvaluation {
  const named = judgement.verdicts
    .filter((v) => v.verdict === 'FAIL' || v.tally.changedFailures > 0)
    .sort(
      (a, b) => Number(b.verdict === 'FAIL') - Number(a.verdict === 'FAIL') || a.customer.localeCompare(b.customer),
    );
  const customers: ScenarioCustomerVerdict[] = named.slice(0, MAX_LISTED_CUSTOMERS).map((v) => {
    const seen = gateState.failures[scenarioCustomerKey(v.scenario, v.customer)];
    return {
      scenario: v.scenario,
      customer: v.customer,
      verdict: v.verdict,
      changedRuns: v.tally.changedRuns,
      changedFailures: v.tally.changedFailures,
      controlRuns: v.tally.controlRuns,
      controlFailures: v.tally.controlFailures,
      eFail: v.eFail === undefined ? null : Number.isFinite(v.eFail) ? v.eFail : Number.MAX_VALUE,
      firstFailureAt: seen ? new Date(seen.first).toISOString() : null,
      lastFailureAt: seen ? new Date(seen.last).toISOString() : null,
      regions: seen ? [...seen.regions].sort() : [],
      error: seen?.error ?? null,
    };
  });
  const evidence: ScenarioEvidence = {
    versions,
    customers,
    judged: judgement.verdicts.length,
    passed: judgement.verdicts.filter((v) => v.verdict === 'PASS').length,
    runs: cost.runs,
    wallMs: cost.wallMs,
    totalRuns: gateState.runs ?? 0,
    totalWallMs: gateState.wallMs ?? 0,
  };
  const failed = judgement.failedCustomers;
  const value = failed.length;
  switch (judgement.verdict) {
    case 'FAIL':
      return { ...base, verdict: 'FAIL', value, detail: failDetail(customers), scenario: evidence };
    case 'PASS':
      return {
        ...base,
        verdict: 'PASS',
        value,
        detail: `${evidence.passed} customer journeys judged unharmed`,
        scenario: evidence,
      };
    case 'INCONCLUSIVE':
      return {
        ...base,
        verdict: 'NO_DATA',
        noData: gate.noData,
        value,
        detail: `${evidence.judged - evidence.passed} of ${evidence.judged} customer journeys undecided at the bake's end`,
        scenario: evidence,
      };
    default:
      return {
        ...base,
        verdict: 'CONTINUE',
        value,
        detail: `${evidence.passed} of ${evidence.judged} customer journeys judged unharmed so far`,
        scenario: evidence,
      };
  }
}

/** "checkout broke for acme, initech (12 of 12 runs failed; 0 of 30 in the controls)", per scenario. */
function failDetail(customers: ScenarioCustomerVerdict[]): string {
  const byScenario = new Map<string, ScenarioCustomerVerdict[]>();
  for (const c of customers.filter((c) => c.verdict === 'FAIL')) {
    byScenario.set(c.scenario, [...(byScenario.get(c.scenario) ?? []), c]);
  }
  return [...byScenario]
    .map(([scenario, failed]) => {
      const runs = failed.reduce((n, c) => n + c.changedRuns, 0);
      const failures = failed.reduce((n, c) => n + c.changedFailures, 0);
      const { controlRuns, controlFailures } = failed[0];
      return (
        `${scenario} broke for ${failed.map((c) => c.customer).join(', ')} ` +
        `(${failures} of ${runs} runs failed; ${controlFailures} of ${controlRuns} in the controls)`
      );
    })
    .join('; ');
}
