import type { Region } from '../service/service-topology';
import { PlanRule, type PlanViolation, type RolloutPlan, type Strategy, type Wave } from './rollout-plan';

export type BuildPlanResult = { ok: true; plan: RolloutPlan } | { ok: false; violations: PlanViolation[] };

const byWeight = (a: Region, b: Region) => a.weight - b.weight || (a.name < b.name ? -1 : 1);
const pairedIn = (region: Region, names: ReadonlySet<string>) => region.pair !== undefined && names.has(region.pair);

/**
 * Builds waves from a topology:
 * 1. the canary wave takes canary-tier regions, lightest first, up to the canary cap;
 * 2. every later wave takes the lightest remaining regions while cumulative exposure stays
 *    within the growth factor (at least one region per wave), non-heavy before heavy;
 * 3. a region whose redundancy pair is already in the wave waits for the next one.
 */
export function buildPlan(regions: readonly Region[], strategy: Strategy): BuildPlanResult {
  const total = regions.reduce((sum, r) => sum + r.weight, 0);
  const canaries = regions.filter((r) => r.tier === 'canary').sort(byWeight);
  if (canaries.length === 0) {
    return {
      ok: false,
      violations: [
        { rule: PlanRule.CanaryTier, message: 'the service has no canary-tier region for wave 1', regions: [] },
      ],
    };
  }
  const first: Region[] = [];
  let reached = 0;
  for (const region of canaries) {
    const names = new Set(first.map((r) => r.name));
    if ((reached + region.weight) / total <= strategy.canaryMaxShare + 1e-9 && !pairedIn(region, names)) {
      first.push(region);
      reached += region.weight;
    }
  }
  if (first.length === 0) {
    const lightest = canaries[0];
    return {
      ok: false,
      violations: [
        {
          rule: PlanRule.CanaryCap,
          message: `the lightest canary region ${lightest.name} alone exposes ${((lightest.weight / total) * 100).toFixed(1)}% of traffic, above the canary cap of ${(strategy.canaryMaxShare * 100).toFixed(1)}%`,
          regions: [lightest.name],
        },
      ],
    };
  }

  const waves: Region[][] = [first];
  const placed = new Set(first.map((r) => r.name));
  const remaining = regions.filter((r) => !placed.has(r.name));
  for (const group of [remaining.filter((r) => r.tier !== 'heavy'), remaining.filter((r) => r.tier === 'heavy')]) {
    let pending = [...group].sort(byWeight);
    while (pending.length > 0) {
      const limit = reached * strategy.growthFactor;
      const wave: Region[] = [];
      const names = new Set<string>();
      for (const region of pending) {
        if (pairedIn(region, names)) continue;
        if (wave.length > 0 && reached + region.weight > limit + 1e-9 * total) continue;
        wave.push(region);
        names.add(region.name);
        reached += region.weight;
      }
      waves.push(wave);
      pending = pending.filter((r) => !names.has(r.name));
    }
  }

  return {
    ok: true,
    plan: {
      waves: waves.map((wave, i): Wave => ({
        index: i + 1,
        regions: wave.map((r) => r.name),
        bakeSeconds: strategy.bakeSeconds,
        requiresApproval: i === 0 && strategy.approvalAfterCanary && waves.length > 1,
      })),
    },
  };
}
