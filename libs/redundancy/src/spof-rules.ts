import { severityOf, type RedundancyPolicy, type SpofRule } from '../../domain/src/service/redundancy-policy';
import type { Dependencies } from './dependency-values';

/**
 * The redundancy rules (docs/REDUNDANCY.md), pure: each region's dependencies before and
 * after a change, in, violations out. A violation the fleet already had before the change is
 * reported as a warning whatever the policy says: the change did not create it.
 */

export interface RegionDependencies {
  name: string;
  weight: number;
  pair?: string;
  before: Dependencies;
  after: Dependencies;
}

/** A value another registered service depends on now. */
export interface OtherDependency {
  service: string;
  kind: string;
  value: string;
}

export interface SpofViolation {
  rule: SpofRule;
  severity: 'error' | 'warning';
  /** False when the fleet had it before the change (then always a warning). */
  introduced: boolean;
  kind: string;
  value: string;
  regions: string[];
  /** Share of the service's traffic weight on the value after the change (0..1). */
  weight: number;
  /** SPOF_CROSS_SERVICE: the other services on the value. */
  services: string[];
  message: string;
}

type Finding = Omit<SpofViolation, 'severity' | 'introduced' | 'message'>;

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const primaries = (deps: Dependencies, kind: string): readonly string[] => deps.get(kind)?.primary ?? [];

function pairFindings(regions: readonly RegionDependencies[], side: 'before' | 'after', total: number): Finding[] {
  const byName = new Map(regions.map((r) => [r.name, r]));
  const out: Finding[] = [];
  for (const a of regions) {
    const b = a.pair === undefined ? undefined : byName.get(a.pair);
    // each pair once, whichever of its regions names the other
    if (!b || (b.pair === a.name && b.name < a.name)) continue;
    for (const [kind, deps] of a[side]) {
      const theirs = primaries(b[side], kind);
      for (const value of deps.primary) {
        if (!theirs.includes(value)) continue;
        const names = [a.name, b.name].sort();
        out.push({
          rule: 'SPOF_PAIR_SHARED_DEPENDENCY',
          kind,
          value,
          regions: names,
          weight: (a.weight + b.weight) / total,
          services: [],
        });
      }
    }
  }
  return out;
}

function usersOf(regions: readonly RegionDependencies[], side: 'before' | 'after'): Map<string, RegionDependencies[]> {
  const users = new Map<string, RegionDependencies[]>();
  for (const r of regions) {
    for (const [kind, deps] of r[side]) {
      for (const value of deps.primary) {
        const key = `${kind}\u0000${value}`;
        const list = users.get(key) ?? [];
        list.push(r);
        users.set(key, list);
      }
    }
  }
  return users;
}

function concentrationFindings(
  users: ReadonlyMap<string, RegionDependencies[]>,
  total: number,
  maxShare: number,
): Finding[] {
  const out: Finding[] = [];
  for (const [key, list] of users) {
    const weight = list.reduce((sum, r) => sum + r.weight, 0) / total;
    if (weight <= maxShare) continue;
    const [kind, value] = key.split('\u0000');
    out.push({
      rule: 'SPOF_CONCENTRATION',
      kind,
      value,
      regions: list.map((r) => r.name).sort(),
      weight,
      services: [],
    });
  }
  return out;
}

function selfFindings(regions: readonly RegionDependencies[], side: 'before' | 'after', total: number): Finding[] {
  const out: Finding[] = [];
  for (const r of regions) {
    for (const [kind, deps] of r[side]) {
      for (const value of deps.failover) {
        if (value !== r.name && !deps.primary.includes(value)) continue;
        out.push({
          rule: 'SPOF_SELF_DEPENDENCY',
          kind,
          value,
          regions: [r.name],
          weight: r.weight / total,
          services: [],
        });
      }
    }
  }
  return out;
}

const keyOf = (f: Finding) => `${f.rule}|${f.kind}|${f.value}|${f.regions.join(',')}`;

function messageOf(f: Finding): string {
  const on = `${f.kind} "${f.value}"`;
  switch (f.rule) {
    case 'SPOF_PAIR_SHARED_DEPENDENCY':
      return `${f.regions.join(' and ')} are a redundancy pair but would both depend on ${on} (${pct(f.weight)} of weight)`;
    case 'SPOF_CONCENTRATION':
      return `${pct(f.weight)} of the service's weight would depend on ${on} (${f.regions.length} regions: ${f.regions.join(', ')})`;
    case 'SPOF_SELF_DEPENDENCY':
      return `${f.regions[0]} would fail over to ${on}, which is itself or its own primary`;
    case 'SPOF_CROSS_SERVICE':
      return `the change puts ${pct(f.weight)} of the weight on ${on}, which ${f.services.join(', ')} already depend on`;
    default: {
      const never: never = f.rule;
      return never;
    }
  }
}

/**
 * Every redundancy rule the fleet breaks after the change, errors first. `others` are the
 * values other registered services depend on now (SPOF_CROSS_SERVICE).
 */
export function checkSpofRules(
  regions: readonly RegionDependencies[],
  policy: RedundancyPolicy,
  others: readonly OtherDependency[] = [],
): SpofViolation[] {
  const total = regions.reduce((sum, r) => sum + r.weight, 0);
  if (total <= 0) return [];
  const usersBefore = usersOf(regions, 'before');
  const usersAfter = usersOf(regions, 'after');
  const weightOf = (users: ReadonlyMap<string, RegionDependencies[]>, key: string) =>
    (users.get(key) ?? []).reduce((sum, r) => sum + r.weight, 0) / total;
  // one region alone has no redundancy for a concentration to take away
  const concentration = (users: ReadonlyMap<string, RegionDependencies[]>) =>
    regions.length < 2 ? [] : concentrationFindings(users, total, policy.concentrationMaxShare);
  const before = new Set(
    [
      ...pairFindings(regions, 'before', total),
      ...concentration(usersBefore),
      ...selfFindings(regions, 'before', total),
    ].map((f) => (f.rule === 'SPOF_CONCENTRATION' ? `${f.rule}|${f.kind}|${f.value}` : keyOf(f))),
  );
  const findings: Array<Finding & { introduced: boolean }> = [];
  for (const f of [...pairFindings(regions, 'after', total), ...selfFindings(regions, 'after', total)]) {
    findings.push({ ...f, introduced: !before.has(keyOf(f)) });
  }
  for (const f of concentration(usersAfter)) {
    const key = `${f.kind}\u0000${f.value}`;
    const worse = weightOf(usersAfter, key) > weightOf(usersBefore, key) + 1e-12;
    findings.push({ ...f, introduced: !before.has(`${f.rule}|${f.kind}|${f.value}`) || worse });
  }
  const onValue = new Map<string, Set<string>>();
  for (const o of others) {
    const key = `${o.kind}\u0000${o.value}`;
    onValue.set(key, (onValue.get(key) ?? new Set()).add(o.service));
  }
  for (const [key, services] of onValue) {
    if (services.size < policy.crossServiceMinServices) continue;
    const weight = weightOf(usersAfter, key);
    if (weight <= weightOf(usersBefore, key) + 1e-12) continue;
    const [kind, value] = key.split('\u0000');
    const regionsOn = (usersAfter.get(key) ?? []).map((r) => r.name).sort();
    findings.push({
      rule: 'SPOF_CROSS_SERVICE',
      kind,
      value,
      regions: regionsOn,
      weight,
      services: [...services].sort(),
      introduced: true,
    });
  }
  const violations: SpofViolation[] = [];
  for (const f of findings) {
    const configured = severityOf(policy, f.rule);
    if (configured === 'off') continue;
    const severity = f.introduced ? configured : 'warning';
    violations.push({
      ...f,
      severity,
      message: `${f.rule}: ${messageOf(f)}${f.introduced ? '' : ' (already so before this change)'}`,
    });
  }
  return violations.sort(
    (a, b) =>
      Number(b.severity === 'error') - Number(a.severity === 'error') ||
      a.rule.localeCompare(b.rule) ||
      a.value.localeCompare(b.value),
  );
}
