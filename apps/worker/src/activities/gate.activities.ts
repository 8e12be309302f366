import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { forEachLimited } from '../../../../libs/platform/src/concurrency';
import {
  ErrorCode,
  isSluiceError,
  renderCanaryQuery,
  renderQuery,
  type GateEvaluation,
  type GateSpec,
} from '../../../../libs/domain/src';
import type { AlertSource, MetricsSource, RegionClient } from '../../../../libs/targets/src';
import type {
  CanaryBaselineInput,
  CanaryBaselineResult,
  CanaryCountsInput,
  CanaryCountsResult,
  CheckGatesInput,
  EvaluateGatesInput,
  EvaluateTickInput,
  GateProblem,
  RegionRef,
  TickEvaluation,
} from '../../../../workflows/activity-contracts';
import { Budget } from './activity-budget';
import { readCanaryBaseline, readCanaryCounts } from './canary-reads';
import { evaluateAlerts, evaluateProbe, evaluatePrometheus } from './gate-evaluators';
import { metricsReadMs, withMetricsRetries } from './metrics-retry';

/** The failure type of a tick attempt made before its instant: a wait, not an error. */
export const TICK_NOT_DUE = 'TICK_NOT_DUE';

/**
 * A bake schedules its next tick as soon as one ends, with the instant it is due. The first
 * attempt of such a tick fails as benign with `nextRetryDelay` set to the time from its
 * scheduling to that instant, and the tick waits in Temporal's retry: retries write nothing to
 * the history, so a tick costs one activity and one workflow task, not also a timer and a
 * second workflow task. Both times are the server's (the activity's scheduled time, the
 * workflow time the tick was planned in), so the wait follows a time-skipping server as a
 * timer would. Later attempts evaluate: they come after the wait, or after a failed evaluation.
 */
export function tickIsDue(notBefore: number | undefined, info: { attempt: number; scheduledTimestampMs: number }) {
  if (notBefore === undefined || info.attempt > 1) return;
  const early = notBefore - info.scheduledTimestampMs;
  if (early <= 0) return;
  throw ApplicationFailure.create({
    type: TICK_NOT_DUE,
    message: `waiting for the tick due at ${new Date(notBefore).toISOString()}`,
    nextRetryDelay: early,
    category: ApplicationFailureCategory.BENIGN,
  });
}

/**
 * Gate evaluations in flight at once per activity: enough that 8 regions of a hanging
 * Prometheus wait out one timeout together, few enough to stay well under Prometheus's
 * default of 20 concurrent queries (canary reads add up to 4 per canary gate).
 */
export const EVALUATION_CONCURRENCY = 8;

type RegionGate = Exclude<GateSpec, { kind: 'canary' | 'scenario' }>;
/** Gates that read Prometheus and whose queries the precheck checks. */
type QueryGate = Extract<GateSpec, { kind: 'prometheus' | 'canary' }>;

/** How long one gate's evaluation in one region may take at most, before the activity's budget. */
function evaluationMs(gate: RegionGate): number {
  return gate.kind === 'prometheus' ? metricsReadMs(gate.timeoutMs) : gate.timeoutMs;
}

/** The queries of a gate the precheck asks Prometheus about, each rendered when checked (a bad template is a problem too). */
interface QueryCheck {
  gate: QueryGate;
  /** Which of the gate's queries, when it has several. */
  field: string;
  render: () => string;
}

function queriesToCheck(gate: GateSpec, input: CheckGatesInput): QueryCheck[] {
  const { service } = input;
  if (gate.kind === 'prometheus') {
    const region = input.regions[0]?.region ?? '';
    return [{ gate, field: '', render: () => renderQuery(gate.query, { region, service }) }];
  }
  if (gate.kind === 'canary') {
    const regions = input.regions.map((r) => r.region);
    return (['requestsQuery', 'eventsQuery'] as const).map((field) => ({
      gate,
      field,
      render: () => renderCanaryQuery(gate[field], { regions, service }),
    }));
  }
  return [];
}

export function createGateActivities(regions: RegionClient, metrics: MetricsSource, alerts: AlertSource) {
  const evaluateOne = (gate: RegionGate, service: string, target: RegionRef, budget: Budget) => {
    switch (gate.kind) {
      case 'probe':
        return evaluateProbe(regions, gate, target, budget);
      case 'prometheus':
        return evaluatePrometheus(metrics, gate, service, target, budget);
      case 'alerts':
        return evaluateAlerts(alerts, gate, service, target, budget);
      default: {
        const unknown: never = gate;
        throw new Error(`unknown gate kind ${JSON.stringify(unknown)}`);
      }
    }
  };

  /**
   * Every per-region gate in every region, in parallel (EVALUATION_CONCURRENCY at a time), each
   * within its own deadline inside `budget`: a slow or silent Prometheus gives NO_DATA, which
   * the gate's `noData` policy judges, never a failed activity. Results keep gate-then-region order.
   */
  const evaluateAll = async (input: EvaluateGatesInput, budget: Budget, progress: { done: number }) => {
    const work = input.gates
      .filter((g): g is RegionGate => g.kind !== 'canary') // canary gates are judged by the workflow
      .flatMap((gate) => input.regions.map((target) => ({ gate, target })));
    const results: GateEvaluation[] = new Array(work.length);
    await forEachLimited(work, EVALUATION_CONCURRENCY, async ({ gate, target }, i) => {
      results[i] = await evaluateOne(gate, input.service, target, budget.within(evaluationMs(gate)));
      progress.done++;
    });
    return results;
  };

  /** Evaluations and reads run inside the activity's budget, heartbeating how far they got. */
  const inBudget = <T>(work: (budget: Budget, progress: { done: number }) => Promise<T>, of: number) => {
    const budget = Budget.ofActivity();
    const progress = { done: 0 };
    return budget.heartbeating(work(budget, progress), () => ({ done: progress.done, of }));
  };
  const regionGates = (input: EvaluateGatesInput) =>
    input.gates.filter((g) => g.kind !== 'canary').length * input.regions.length;

  return {
    /** The canary judge's counters now, series by series; Prometheus trouble is no data, within the activity's time. */
    readCanaryCounts(input: CanaryCountsInput): Promise<CanaryCountsResult> {
      return inBudget((budget) => readCanaryCounts(metrics, input, budget), 1);
    },

    /** The canary's and the controls' counts over the window before the change; trouble is no data. */
    readCanaryBaseline(input: CanaryBaselineInput): Promise<CanaryBaselineResult> {
      return inBudget((budget) => readCanaryBaseline(metrics, input, budget), 1);
    },

    /** Evaluates every gate against every region of the wave once. */
    evaluateGates(input: EvaluateGatesInput): Promise<GateEvaluation[]> {
      return inBudget((budget, progress) => evaluateAll(input, budget, progress), regionGates(input));
    },

    /** One bake tick: the per-region gates and the canary gates' counters, read together. */
    evaluateTick(input: EvaluateTickInput): Promise<TickEvaluation> {
      tickIsDue(input.notBefore, Context.current().info);
      return inBudget(async (budget, progress) => {
        const [evaluations, canaryCounts] = await Promise.all([
          evaluateAll(input, budget, progress),
          Promise.all(input.canaries.map((c) => readCanaryCounts(metrics, { ...c, service: input.service }, budget))),
        ]);
        return { evaluations, canaryCounts };
      }, regionGates(input));
    },

    /**
     * Precheck: a gate that cannot work should fail the rollout before anything changes, not
     * halfway through. Templates must only use known variables, and Prometheus must accept
     * every query (prometheus gates' and canary gates' both). A Prometheus that cannot be
     * reached is no misconfiguration: unless a query was refused, the check could not be made,
     * and the activity fails retryably (METRICS_UNAVAILABLE), which the precheck records as
     * PRECHECK_ERROR with nothing touched; gates whose `noData` is `pass` do not need it there.
     */
    checkGates(input: CheckGatesInput): Promise<GateProblem[]> {
      return inBudget(async (budget) => {
        const checks = input.gates.flatMap((gate) => queriesToCheck(gate, input));
        const unanswered: string[] = [];
        const problems = await Promise.all(
          checks.map(async ({ gate, field, render }): Promise<GateProblem | null> => {
            try {
              const query = render();
              await withMetricsRetries(budget.within(gate.timeoutMs), gate.timeoutMs, (timeoutMs) =>
                metrics.query(query, timeoutMs),
              );
              return null;
            } catch (err) {
              if (isSluiceError(err) && err.code === ErrorCode.MetricsUnavailable) {
                // A gate whose policy lets no data pass asked for no Prometheus to be there.
                if (!('noData' in gate && gate.noData === 'pass')) unanswered.push(err.message);
                return null;
              }
              const problem = err instanceof Error ? err.message : String(err);
              return { gate: gate.name, problem: field ? `${field}: ${problem}` : problem };
            }
          }),
        );
        const found = problems.filter((p): p is GateProblem => p !== null);
        if (found.length === 0 && unanswered.length > 0) {
          throw ApplicationFailure.create({ type: ErrorCode.MetricsUnavailable, message: unanswered[0] });
        }
        return found;
      }, input.gates.length);
    },
  };
}
