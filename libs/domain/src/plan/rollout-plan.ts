import { z } from 'zod';
import type { Region } from '../service/service-topology';

/** One wave: regions changed together, then baked, then (optionally) approved. */
export interface Wave {
  /** 1-based. */
  index: number;
  regions: string[];
  bakeSeconds: number;
  requiresApproval: boolean;
}

export interface RolloutPlan {
  waves: Wave[];
}

export const strategySchema = z.object({
  /** Largest share of total weight the first (canary) wave may expose. */
  canaryMaxShare: z.number().gt(0).lte(1).default(0.05),
  /** Cumulative exposure may grow by at most this factor per wave. */
  growthFactor: z.number().gt(1).lte(100).default(2.5),
  bakeSeconds: z.number().int().min(0).max(86_400).default(300),
  /** Wait for a person's approval after the canary wave. */
  approvalAfterCanary: z.boolean().default(true),
});
export type Strategy = z.infer<typeof strategySchema>;
export const DEFAULT_STRATEGY: Strategy = strategySchema.parse({});

export const planRequestSchema = z.object({
  service: z.string().trim().min(1, 'must not be empty'),
  strategy: strategySchema.default(DEFAULT_STRATEGY),
  waves: z
    .array(
      z.object({
        regions: z.array(z.string().min(1)).min(1, 'a wave needs at least one region'),
        bakeSeconds: z.number().int().min(0).max(86_400).optional(),
        requiresApproval: z.boolean().optional(),
      }),
    )
    .min(1)
    .optional(),
});

/** Every rule a plan must keep, with the code a violation carries. */
export const PlanRule = {
  Empty: 'PLAN_EMPTY',
  EmptyWave: 'PLAN_EMPTY_WAVE',
  UnknownRegion: 'PLAN_UNKNOWN_REGION',
  MissingRegion: 'PLAN_MISSING_REGION',
  DuplicateRegion: 'PLAN_DUPLICATE_REGION',
  CanaryTier: 'PLAN_CANARY_TIER',
  CanaryCap: 'PLAN_CANARY_CAP',
  Growth: 'PLAN_GROWTH',
  HeavyLast: 'PLAN_HEAVY_LAST',
  PairSplit: 'PLAN_PAIR_SAME_WAVE',
} as const;
export type PlanRule = (typeof PlanRule)[keyof typeof PlanRule];

export interface PlanViolation {
  rule: PlanRule;
  message: string;
  regions: string[];
  wave?: number;
}

/** Cumulative share of total weight reached after each wave (unknown regions count 0). */
export function cumulativeExposure(plan: RolloutPlan, regions: readonly Region[]): number[] {
  const weight = new Map(regions.map((r) => [r.name, r.weight]));
  const total = regions.reduce((sum, r) => sum + r.weight, 0);
  let reached = 0;
  return plan.waves.map((wave) => {
    reached += wave.regions.reduce((sum, name) => sum + (weight.get(name) ?? 0), 0);
    return total === 0 ? 0 : reached / total;
  });
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
/** Tolerance for floating-point sums of weights. */
const EPSILON = 1e-9;

/**
 * Checks every rule and returns every violation (empty when the plan is valid).
 * A wave of a single region may exceed the growth factor: a region cannot be split, so one
 * region at a time is the smallest step there is.
 */
export function validatePlan(plan: RolloutPlan, regions: readonly Region[], strategy: Strategy): PlanViolation[] {
  const violations: PlanViolation[] = [];
  const byName = new Map(regions.map((r) => [r.name, r]));
  if (plan.waves.length === 0) {
    return [{ rule: PlanRule.Empty, message: 'the plan has no waves', regions: [] }];
  }

  const seen = new Map<string, number>();
  plan.waves.forEach((wave, i) => {
    const index = i + 1;
    if (wave.regions.length === 0) {
      violations.push({ rule: PlanRule.EmptyWave, message: `wave ${index} has no regions`, regions: [], wave: index });
    }
    for (const name of wave.regions) {
      if (!byName.has(name)) {
        violations.push({
          rule: PlanRule.UnknownRegion,
          message: `wave ${index} names "${name}", which is not a region of this service`,
          regions: [name],
          wave: index,
        });
      }
      const earlier = seen.get(name);
      if (earlier !== undefined) {
        violations.push({
          rule: PlanRule.DuplicateRegion,
          message: `region ${name} appears in wave ${earlier} and again in wave ${index}`,
          regions: [name],
          wave: index,
        });
      } else {
        seen.set(name, index);
      }
    }
  });
  const missing = regions.filter((r) => !seen.has(r.name)).map((r) => r.name);
  if (missing.length > 0) {
    violations.push({
      rule: PlanRule.MissingRegion,
      message: `no wave covers ${missing.join(', ')}`,
      regions: missing,
    });
  }

  const first = plan.waves[0];
  const notCanary = first.regions.filter((name) => byName.has(name) && byName.get(name)!.tier !== 'canary');
  if (notCanary.length > 0) {
    violations.push({
      rule: PlanRule.CanaryTier,
      message: `wave 1 is the canary wave but ${notCanary.join(', ')} ${notCanary.length === 1 ? 'is' : 'are'} not canary-tier`,
      regions: notCanary,
      wave: 1,
    });
  }
  const exposure = cumulativeExposure(plan, regions);
  if (exposure[0] > strategy.canaryMaxShare + EPSILON) {
    violations.push({
      rule: PlanRule.CanaryCap,
      message: `wave 1 exposes ${pct(exposure[0])} of traffic, above the canary cap of ${pct(strategy.canaryMaxShare)}`,
      regions: [...first.regions],
      wave: 1,
    });
  }
  for (let i = 1; i < plan.waves.length; i++) {
    const wave = plan.waves[i];
    const limit = exposure[i - 1] * strategy.growthFactor;
    if (wave.regions.length > 1 && exposure[i] > limit + EPSILON) {
      violations.push({
        rule: PlanRule.Growth,
        message: `wave ${i + 1} (${wave.regions.join(', ')}) takes exposure from ${pct(exposure[i - 1])} to ${pct(exposure[i])}, more than ${strategy.growthFactor}×`,
        regions: [...wave.regions],
        wave: i + 1,
      });
    }
  }

  let heavySince: number | undefined;
  plan.waves.forEach((wave, i) => {
    const heavy = wave.regions.filter((name) => byName.get(name)?.tier === 'heavy');
    const light = wave.regions.filter((name) => byName.has(name) && byName.get(name)!.tier !== 'heavy');
    if (heavy.length > 0 && heavySince === undefined) heavySince = i + 1;
    if (heavySince !== undefined && light.length > 0) {
      violations.push({
        rule: PlanRule.HeavyLast,
        message: `heavy regions must go last, but wave ${i + 1} changes ${light.join(', ')} at or after heavy wave ${heavySince}`,
        regions: light,
        wave: i + 1,
      });
    }
  });

  plan.waves.forEach((wave, i) => {
    const inWave = new Set(wave.regions);
    for (const name of wave.regions) {
      const pair = byName.get(name)?.pair;
      if (pair !== undefined && inWave.has(pair) && name < pair) {
        violations.push({
          rule: PlanRule.PairSplit,
          message: `${name} and ${pair} are a redundancy pair and must not change in the same wave (wave ${i + 1})`,
          regions: [name, pair],
          wave: i + 1,
        });
      }
    }
  });
  return violations;
}
