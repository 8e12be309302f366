import type { Region } from '../service/service-topology';
import { buildPlan } from './build-plan';
import { cumulativeExposure, validatePlan, type PlanViolation, type RolloutPlan, type Strategy } from './rollout-plan';

export interface ExplicitWave {
  regions: string[];
  bakeSeconds?: number;
  requiresApproval?: boolean;
}

export interface PlanRequest {
  regions: readonly Region[];
  strategy: Strategy;
  /** An explicit plan; built from the strategy when absent. */
  waves?: readonly ExplicitWave[];
}

export interface PlanOutcome {
  source: 'strategy' | 'explicit';
  /** Null when no plan could be built at all (e.g. no canary region under the cap). */
  plan: RolloutPlan | null;
  violations: PlanViolation[];
  /** Cumulative share of weight reached after each wave. */
  exposure: number[];
}

/**
 * The plan a rollout will run, and every rule it breaks. The dry run (planRollout), the
 * gateway's check before starting, and the workflow's precheck all call this, so what a
 * person previews is what runs.
 */
export function planRollout(request: PlanRequest): PlanOutcome {
  const { regions, strategy, waves } = request;
  if (waves) {
    const plan: RolloutPlan = {
      waves: waves.map((w, i) => ({
        index: i + 1,
        regions: [...w.regions],
        bakeSeconds: w.bakeSeconds ?? strategy.bakeSeconds,
        requiresApproval: w.requiresApproval ?? (i === 0 && strategy.approvalAfterCanary && waves.length > 1),
      })),
    };
    return {
      source: 'explicit',
      plan,
      violations: validatePlan(plan, regions, strategy),
      exposure: cumulativeExposure(plan, regions),
    };
  }
  const built = buildPlan(regions, strategy);
  if (!built.ok) return { source: 'strategy', plan: null, violations: built.violations, exposure: [] };
  return {
    source: 'strategy',
    plan: built.plan,
    violations: validatePlan(built.plan, regions, strategy),
    exposure: cumulativeExposure(built.plan, regions),
  };
}
