import fc from 'fast-check';
import {
  DEFAULT_REDUNDANCY_POLICY,
  dependencyFieldSchema,
  redundancyPolicySchema,
  type DependencyField,
} from '../../domain/src/service/redundancy-policy';
import { effectiveConfig } from '../../domain/src/rollout/region-configs';
import { checkRedundancy, type FleetRegion } from './check-redundancy';
import type { OtherDependency } from './spof-rules';

const fields: DependencyField[] = [
  { path: '/database/primary', kind: 'database', role: 'primary' },
  { path: '$.upstream[*].host', kind: 'upstream', role: 'primary' },
  { path: '/database/failover', kind: 'database', role: 'failover' },
];

/** Two pairs of regions, each with its own database; eu carries most of the weight. */
function fleet(): FleetRegion[] {
  const config = (db: string, failover: string) => ({
    database: { primary: db, failover },
    upstream: [{ host: `auth-${db}` }],
    timeoutMs: 200,
  });
  return [
    { name: 'eu-1', weight: 3, pair: 'eu-2', current: config('db-eu-1', 'db-eu-2') },
    { name: 'eu-2', weight: 3, pair: 'eu-1', current: config('db-eu-2', 'db-eu-1') },
    { name: 'us-1', weight: 2, pair: 'us-2', current: config('db-us-1', 'db-us-2') },
    { name: 'us-2', weight: 2, pair: 'us-1', current: config('db-us-2', 'db-us-1') },
  ];
}

/** The fleet with the change applied to `regions`: `patch` merged over each region's config. */
function change(regions: readonly FleetRegion[], reached: readonly string[], patch: (r: FleetRegion) => unknown) {
  return regions.map((r) =>
    reached.includes(r.name) ? { ...r, next: effectiveConfig(r.current, r.name, 'pay', { [r.name]: patch(r) }) } : r,
  );
}

const check = (regions: FleetRegion[], policy = DEFAULT_REDUNDANCY_POLICY, others: OtherDependency[] = []) =>
  checkRedundancy({ regions, fields, policy, others });

describe('redundancy rules', () => {
  it('given a healthy fleet, when a change leaves the dependencies alone, then nothing is raised', () => {
    const result = check(change(fleet(), ['eu-1', 'eu-2'], () => ({ timeoutMs: 300 })));
    expect(result.violations).toEqual([]);
  });

  describe('SPOF_PAIR_SHARED_DEPENDENCY', () => {
    it('given a pair, when the change points both at one primary, then it names the pair, the value and the weight', () => {
      const result = check(change(fleet(), ['eu-2'], () => ({ database: { primary: 'db-eu-1' } })));
      const pair = result.violations.filter((v) => v.rule === 'SPOF_PAIR_SHARED_DEPENDENCY');
      expect(pair).toEqual([
        expect.objectContaining({
          severity: 'error',
          introduced: true,
          kind: 'database',
          value: 'db-eu-1',
          regions: ['eu-1', 'eu-2'],
          weight: 0.6,
        }),
      ]);
      expect(pair[0].message).toContain('eu-1 and eu-2 are a redundancy pair');
    });

    it('given regions of different pairs, when they share a value (a near miss), then the pair rule stays quiet', () => {
      const result = check(change(fleet(), ['us-1'], () => ({ database: { primary: 'db-eu-1' } })));
      expect(result.violations.filter((v) => v.rule === 'SPOF_PAIR_SHARED_DEPENDENCY')).toEqual([]);
    });

    it('given a pair already sharing a value, when an unrelated change lands, then it is a warning, not introduced', () => {
      const regions = fleet().map((r) =>
        r.name === 'us-2' ? { ...r, current: { ...(r.current as object), database: { primary: 'db-us-1' } } } : r,
      );
      const result = check(change(regions, ['eu-1'], () => ({ timeoutMs: 1 })));
      expect(result.violations).toEqual([
        expect.objectContaining({ rule: 'SPOF_PAIR_SHARED_DEPENDENCY', severity: 'warning', introduced: false }),
      ]);
      expect(result.violations[0].message).toContain('already so before this change');
    });

    it('given a template, when {{region}} is dropped from the primary, then every pair shares it', () => {
      const regions = fleet().map((r) => ({
        ...r,
        next: effectiveConfig({ database: { primary: 'db-main' } }, r.name, 'pay'),
      }));
      const pair = check(regions).violations.filter((v) => v.rule === 'SPOF_PAIR_SHARED_DEPENDENCY');
      expect(pair.map((v) => v.regions.join('+'))).toEqual(['eu-1+eu-2', 'us-1+us-2']);
    });
  });

  describe('SPOF_CONCENTRATION', () => {
    it('given four regions, when the change moves over half the weight onto one upstream, then it is raised', () => {
      const atLimit = check(change(fleet(), ['eu-1', 'us-1'], () => ({ upstream: [{ host: 'auth-shared' }] })));
      expect(atLimit.violations).toEqual([]);
      const over = check(change(fleet(), ['eu-1', 'us-1', 'us-2'], () => ({ upstream: [{ host: 'auth-shared' }] })));
      expect(over.violations).toEqual([
        expect.objectContaining({
          rule: 'SPOF_CONCENTRATION',
          severity: 'error',
          kind: 'upstream',
          value: 'auth-shared',
          weight: 0.7,
          regions: ['eu-1', 'us-1', 'us-2'],
        }),
        // us-1 and us-2 are a pair: sharing the upstream breaks that rule too
        expect.objectContaining({ rule: 'SPOF_PAIR_SHARED_DEPENDENCY', regions: ['us-1', 'us-2'] }),
      ]);
    });

    it('given a lower limit in the policy, when half the weight shares a value, then the limit is what counts', () => {
      const policy = redundancyPolicySchema.parse({ concentrationMaxShare: 0.4 });
      const result = check(
        change(fleet(), ['eu-1', 'us-1'], () => ({ upstream: [{ host: 'auth-shared' }] })),
        policy,
      );
      expect(result.violations.map((v) => [v.rule, v.weight])).toEqual([['SPOF_CONCENTRATION', 0.5]]);
    });

    it('given a rule turned off, when it would be broken, then only the other rules speak', () => {
      const policy = redundancyPolicySchema.parse({ concentration: 'off' });
      const result = check(
        change(fleet(), ['eu-1', 'us-1', 'us-2'], () => ({ upstream: [{ host: 'x' }] })),
        policy,
      );
      expect(result.violations.map((v) => v.rule)).toEqual(['SPOF_PAIR_SHARED_DEPENDENCY']);
    });
  });

  describe('SPOF_SELF_DEPENDENCY', () => {
    it('given a failover field, when a region fails over to its own primary, then it is raised for that region', () => {
      const result = check(change(fleet(), ['us-1'], () => ({ database: { failover: 'db-us-1' } })));
      expect(result.violations).toEqual([
        expect.objectContaining({ rule: 'SPOF_SELF_DEPENDENCY', regions: ['us-1'], value: 'db-us-1', weight: 0.2 }),
      ]);
    });

    it('given a failover field naming regions, when a region names itself, then it is raised', () => {
      const result = check(change(fleet(), ['eu-2'], () => ({ database: { failover: '{{region}}' } })));
      expect(result.violations.map((v) => [v.rule, v.value])).toEqual([['SPOF_SELF_DEPENDENCY', 'eu-2']]);
    });
  });

  describe('SPOF_CROSS_SERVICE', () => {
    const others = [{ service: 'search', kind: 'database', value: 'db-central' }];

    it('given another service on a value, when the change adds weight to it, then it warns and names the service', () => {
      const result = check(
        change(fleet(), ['us-1'], () => ({ database: { primary: 'db-central' } })),
        undefined,
        others,
      );
      expect(result.violations).toEqual([
        expect.objectContaining({
          rule: 'SPOF_CROSS_SERVICE',
          severity: 'warning',
          services: ['search'],
          regions: ['us-1'],
        }),
      ]);
    });

    it('given a threshold of two services, when only one is on the value, then it stays quiet', () => {
      const policy = redundancyPolicySchema.parse({ crossServiceMinServices: 2 });
      const result = check(
        change(fleet(), ['us-1'], () => ({ database: { primary: 'db-central' } })),
        policy,
        others,
      );
      expect(result.violations).toEqual([]);
    });
  });

  it('maps which regions depend on each value before and after', () => {
    const result = check(change(fleet(), ['eu-2'], () => ({ database: { primary: 'db-eu-1' } })));
    expect(result.dependencyMap).toContainEqual({
      kind: 'database',
      value: 'db-eu-1',
      role: 'primary',
      before: ['eu-1'],
      after: ['eu-1', 'eu-2'],
    });
    expect(result.dependencyMap).toContainEqual({
      kind: 'database',
      value: 'db-eu-2',
      role: 'primary',
      before: ['eu-2'],
      after: [],
    });
  });

  it('refuses a dependency path that is neither a JSON Pointer nor JSONPath', () => {
    for (const path of ['database.primary', '/a/~2', '$.a[?(@.b']) {
      expect(dependencyFieldSchema.safeParse({ path, kind: 'database' }).success).toBe(false);
    }
    expect(dependencyFieldSchema.parse({ path: '/upstream/*/host', kind: 'upstream' }).role).toBe('primary');
  });

  it('property: a change that touches no dependency field never introduces a violation', () => {
    const value = fc.constantFrom('a', 'b', 'c', 'd');
    const region = fc.record({
      weight: fc.integer({ min: 1, max: 10 }),
      primary: value,
      failover: value,
      hosts: fc.array(value, { maxLength: 3 }),
      extra: fc.integer(),
    });
    fc.assert(
      fc.property(
        fc.array(region, { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.integer(),
        (rows, reached, extra) => {
          const regions: FleetRegion[] = rows.map((r, i) => ({
            name: `r${i}`,
            weight: r.weight,
            pair: i % 2 === 0 && i + 1 < rows.length ? `r${i + 1}` : i % 2 === 1 ? `r${i - 1}` : undefined,
            current: {
              database: { primary: r.primary, failover: r.failover },
              upstream: r.hosts.map((host) => ({ host })),
              extra: r.extra,
            },
          }));
          const changed = change(
            regions,
            regions.filter((_, i) => reached[i]).map((r) => r.name),
            () => ({ extra, unrelated: { nested: [extra] } }),
          );
          const others = [{ service: 'other', kind: 'database', value: 'a' }];
          const { violations } = check(changed, DEFAULT_REDUNDANCY_POLICY, others);
          return violations.every((v) => !v.introduced && v.severity === 'warning');
        },
      ),
      { numRuns: 500 },
    );
  });
});
