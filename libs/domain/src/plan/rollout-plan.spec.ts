import fc from 'fast-check';
import type { Region } from '../service/service-topology';
import { buildPlan } from './build-plan';
import {
  cumulativeExposure,
  DEFAULT_STRATEGY,
  PlanRule,
  validatePlan,
  type RolloutPlan,
  type Strategy,
} from './rollout-plan';

const region = (name: string, weight: number, tier: Region['tier'] = 'standard', pair?: string): Region => ({
  name,
  weight,
  tier,
  pair,
  endpoint: `http://127.0.0.1/regions/${name}`,
  customers: [],
});

/** Topologies that admit a plan: one light canary region, any mix of others, some redundancy pairs. */
const topologyArb = fc
  .record({
    others: fc.array(
      fc.record({
        weight: fc.integer({ min: 1, max: 30 }),
        tier: fc.constantFrom('canary', 'standard', 'standard', 'heavy'),
      }),
      { minLength: 1, maxLength: 12 },
    ),
    pairs: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }),
    canaryMaxShare: fc.double({ min: 0.05, max: 0.5, noNaN: true }),
    growthFactor: fc.double({ min: 1.5, max: 4, noNaN: true }),
  })
  .map(({ others, pairs, canaryMaxShare, growthFactor }) => {
    const regions = [
      region('r0', 1, 'canary'),
      ...others.map((o, i) => region(`r${i + 1}`, o.weight, o.tier as Region['tier'])),
    ];
    const total = regions.reduce((s, r) => s + r.weight, 0);
    // keep the lightest canary within the cap
    const strategy: Strategy = {
      ...DEFAULT_STRATEGY,
      canaryMaxShare: Math.max(canaryMaxShare, 1 / total),
      growthFactor,
    };
    const paired = new Set<string>();
    for (const [a, b] of pairs) {
      const x = regions[a % regions.length];
      const y = regions[b % regions.length];
      if (x === y || paired.has(x.name) || paired.has(y.name)) continue;
      x.pair = y.name;
      y.pair = x.name;
      paired.add(x.name).add(y.name);
    }
    return { regions, strategy };
  });

const builtArb = topologyArb.map(({ regions, strategy }) => {
  const result = buildPlan(regions, strategy);
  if (!result.ok) throw new Error(`builder failed: ${JSON.stringify(result.violations)}`);
  return { regions, strategy, plan: result.plan };
});

const rulesOf = (plan: RolloutPlan, regions: Region[], strategy: Strategy) =>
  validatePlan(plan, regions, strategy).map((v) => v.rule);

const clone = (plan: RolloutPlan): RolloutPlan => ({
  waves: plan.waves.map((w) => ({ ...w, regions: [...w.regions] })),
});

describe('plan builder', () => {
  it('builds canary → growing waves → heavy last for a typical fleet', () => {
    const regions = [
      region('canary-1', 1, 'canary'),
      region('us-east-1', 5),
      region('us-west-2', 5, 'standard', 'eu-west-1'),
      region('eu-west-1', 5, 'standard', 'us-west-2'),
      region('ap-south-1', 4),
      region('big-1', 10, 'heavy'),
    ];
    const result = buildPlan(regions, { ...DEFAULT_STRATEGY, canaryMaxShare: 0.05, growthFactor: 3 });
    expect(result).toEqual({
      ok: true,
      plan: {
        waves: [
          { index: 1, regions: ['canary-1'], bakeSeconds: 300, requiresApproval: true },
          { index: 2, regions: ['ap-south-1'], bakeSeconds: 300, requiresApproval: false },
          { index: 3, regions: ['eu-west-1', 'us-east-1'], bakeSeconds: 300, requiresApproval: false },
          { index: 4, regions: ['us-west-2'], bakeSeconds: 300, requiresApproval: false },
          { index: 5, regions: ['big-1'], bakeSeconds: 300, requiresApproval: false },
        ],
      },
    });
  });

  it('explains why no plan exists when the only canary exceeds the cap', () => {
    const result = buildPlan([region('c', 5, 'canary'), region('s', 5)], DEFAULT_STRATEGY);
    expect(result).toMatchObject({ ok: false, violations: [{ rule: PlanRule.CanaryCap, regions: ['c'] }] });
  });

  it('needs a canary-tier region', () => {
    expect(buildPlan([region('s', 5)], DEFAULT_STRATEGY)).toMatchObject({
      ok: false,
      violations: [{ rule: PlanRule.CanaryTier }],
    });
  });

  it('property: every built plan validates', () => {
    fc.assert(
      fc.property(builtArb, ({ regions, strategy, plan }) => {
        expect(validatePlan(plan, regions, strategy)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('plan validation rejects each broken rule with its code', () => {
  it('a dropped region: MISSING_REGION', () => {
    fc.assert(
      fc.property(builtArb, fc.nat(), ({ regions, strategy, plan }, pick) => {
        const broken = clone(plan);
        const all = broken.waves.flatMap((w) => w.regions);
        const victim = all[pick % all.length];
        broken.waves.forEach((w) => (w.regions = w.regions.filter((r) => r !== victim)));
        broken.waves = broken.waves.filter((w) => w.regions.length > 0);
        fc.pre(broken.waves.length > 0);
        expect(rulesOf(broken, regions, strategy)).toContain(PlanRule.MissingRegion);
      }),
    );
  });

  it('a region in two waves: DUPLICATE_REGION', () => {
    fc.assert(
      fc.property(builtArb, fc.nat(), ({ regions, strategy, plan }, pick) => {
        fc.pre(plan.waves.length > 1);
        const broken = clone(plan);
        const last = broken.waves[broken.waves.length - 1];
        const victim = broken.waves[pick % (broken.waves.length - 1)].regions[0];
        last.regions.push(victim);
        expect(rulesOf(broken, regions, strategy)).toContain(PlanRule.DuplicateRegion);
      }),
    );
  });

  it('a region the service does not have: UNKNOWN_REGION', () => {
    fc.assert(
      fc.property(builtArb, ({ regions, strategy, plan }) => {
        const broken = clone(plan);
        broken.waves[broken.waves.length - 1].regions.push('nowhere-1');
        expect(rulesOf(broken, regions, strategy)).toContain(PlanRule.UnknownRegion);
      }),
    );
  });

  it('a non-canary region in wave 1: CANARY_TIER', () => {
    fc.assert(
      fc.property(builtArb, fc.nat(), ({ regions, strategy, plan }, pick) => {
        const candidates = regions.filter((r) => r.tier !== 'canary');
        fc.pre(candidates.length > 0);
        const victim = candidates[pick % candidates.length].name;
        const broken = clone(plan);
        broken.waves.forEach((w) => (w.regions = w.regions.filter((r) => r !== victim)));
        broken.waves[0].regions.push(victim);
        broken.waves = broken.waves.filter((w) => w.regions.length > 0);
        expect(rulesOf(broken, regions, strategy)).toContain(PlanRule.CanaryTier);
      }),
    );
  });

  it('a canary wave above the cap: CANARY_CAP', () => {
    fc.assert(
      fc.property(builtArb, ({ regions, strategy, plan }) => {
        const total = regions.reduce((s, r) => s + r.weight, 0);
        const first = plan.waves[0].regions.reduce((s, n) => s + regions.find((r) => r.name === n)!.weight, 0);
        const tighter = { ...strategy, canaryMaxShare: (first / total) * 0.9 };
        expect(rulesOf(plan, regions, tighter)).toContain(PlanRule.CanaryCap);
      }),
    );
  });

  it('two waves merged past the growth factor: GROWTH', () => {
    fc.assert(
      fc.property(builtArb, ({ regions, strategy, plan }) => {
        fc.pre(plan.waves.length >= 3);
        const broken = clone(plan);
        // merge every wave after the canary into wave 2: exposure jumps straight to 100%
        const rest = broken.waves.slice(1).flatMap((w) => w.regions);
        broken.waves = [broken.waves[0], { ...broken.waves[1], regions: rest }];
        // the validator forgives float error of 1e-9 in a share; a merge that lands within it is no violation
        const [canaryShare] = cumulativeExposure(broken, regions);
        fc.pre(1 > canaryShare * strategy.growthFactor + 1e-6);
        expect(rulesOf(broken, regions, strategy)).toContain(PlanRule.Growth);
      }),
    );
  });

  it('exposure that reaches the growth limit within float error is allowed', () => {
    // found by the property above: 0.25 of the weight, then 100% under a factor of 3.999999996
    const regions = [region('r0', 1, 'canary'), region('r1', 1, 'canary'), region('r2', 2, 'canary')];
    const strategy = { ...DEFAULT_STRATEGY, canaryMaxShare: 0.25, growthFactor: 3.999999996 };
    const merged = {
      waves: [
        { index: 1, regions: ['r0'], bakeSeconds: 0, requiresApproval: false },
        { index: 2, regions: ['r1', 'r2'], bakeSeconds: 0, requiresApproval: false },
      ],
    };
    expect(rulesOf(merged, regions, strategy)).toEqual([]);
    expect(rulesOf(merged, regions, { ...strategy, growthFactor: 3.99 })).toEqual([PlanRule.Growth]);
  });

  it('a heavy region before a lighter one: HEAVY_LAST', () => {
    fc.assert(
      fc.property(builtArb, ({ regions, strategy, plan }) => {
        const heavyWave = plan.waves.findIndex((w) =>
          w.regions.some((n) => regions.find((r) => r.name === n)!.tier === 'heavy'),
        );
        fc.pre(heavyWave > 1);
        const broken = clone(plan);
        // swap the first heavy wave with the wave before it
        [broken.waves[heavyWave - 1], broken.waves[heavyWave]] = [broken.waves[heavyWave], broken.waves[heavyWave - 1]];
        expect(rulesOf(broken, regions, strategy)).toContain(PlanRule.HeavyLast);
      }),
    );
  });

  it('both regions of a redundancy pair in one wave: PAIR_SAME_WAVE', () => {
    fc.assert(
      fc.property(builtArb, ({ regions, strategy, plan }) => {
        const paired = regions.find((r) => r.pair !== undefined);
        fc.pre(paired !== undefined);
        const broken = clone(plan);
        broken.waves.forEach((w) => (w.regions = w.regions.filter((r) => r !== paired!.pair)));
        broken.waves.find((w) => w.regions.includes(paired!.name))!.regions.push(paired!.pair!);
        broken.waves = broken.waves.filter((w) => w.regions.length > 0);
        expect(rulesOf(broken, regions, strategy)).toContain(PlanRule.PairSplit);
      }),
    );
  });

  it('names the regions involved in each message', () => {
    const regions = [region('c', 1, 'canary'), region('a', 5, 'standard', 'b'), region('b', 5, 'standard', 'a')];
    const violations = validatePlan(
      {
        waves: [
          { index: 1, regions: ['c'], bakeSeconds: 0, requiresApproval: false },
          { index: 2, regions: ['a', 'b'], bakeSeconds: 0, requiresApproval: false },
        ],
      },
      regions,
      { ...DEFAULT_STRATEGY, canaryMaxShare: 0.1, growthFactor: 20 },
    );
    expect(violations).toEqual([
      {
        rule: PlanRule.PairSplit,
        message: 'a and b are a redundancy pair and must not change in the same wave (wave 2)',
        regions: ['a', 'b'],
        wave: 2,
      },
    ]);
  });
});
