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

/** Per kind and value, the regions on it as a primary and their weight. */
type Users = Map<string, Map<string, { regions: RegionDependencies[]; weight: number }>>;

function usersOf(regions: readonly RegionDependencies[], side: 'before' | 'after'): Users {
  const users: Users = new Map();
  for (const r of regions) {
    for (const [kind, deps] of r[side]) {
      let values = users.get(kind);
      if (!values) users.set(kind, (values = new Map()));
      for (const value of deps.primary) {
        const on = values.get(value);
        if (on) {
          on.regions.push(r);
          on.weight += r.weight;
        } else values.set(value, { regions: [r], weight: r.weight });
      }
    }
  }
  return users;
}

/** A finding about every region on one value. */
function findingOn(
  rule: SpofRule,
  kind: string,
  value: string,
  on: { regions: readonly RegionDependencies[]; weight: number },
  total: number,
  services: string[] = [],
): Finding {
  return {
    rule,
    kind,
    value,
    regions: on.regions.map((r) => r.name).sort(),
    weight: on.weight / total,
    services: services.sort(),
  };
}

const weightOn = (users: Users, kind: string, value: string): number => users.get(kind)?.get(value)?.weight ?? 0;

function concentrationFindings(users: Users, total: number, maxShare: number): Finding[] {
  const out: Finding[] = [];
  for (const [kind, values] of users) {
    for (const [value, on] of values) {
      if (on.weight / total <= maxShare) continue;
      out.push(findingOn('SPOF_CONCENTRATION', kind, value, on, total));
    }
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

/** A finding's identity across before and after; a concentration is one per value, whoever is on it. */
const keyOf = (f: Finding) =>
  f.rule === 'SPOF_CONCENTRATION'
    ? `${f.rule}|${f.kind}|${f.value}`
    : `${f.rule}|${f.kind}|${f.value}|${f.regions.join(',')}`;

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
  const grew = (kind: string, value: string) =>
    weightOn(usersAfter, kind, value) > weightOn(usersBefore, kind, value) + 1e-9;
  // one region alone has no redundancy for a concentration to take away
  const concentration = (users: Users) =>
    regions.length < 2 ? [] : concentrationFindings(users, total, policy.concentrationMaxShare);
  const before = new Set(
    [
      ...pairFindings(regions, 'before', total),
      ...concentration(usersBefore),
      ...selfFindings(regions, 'before', total),
    ].map(keyOf),
  );
  const findings: Array<Finding & { introduced: boolean }> = [];
  for (const f of [...pairFindings(regions, 'after', total), ...selfFindings(regions, 'after', total)]) {
    findings.push({ ...f, introduced: !before.has(keyOf(f)) });
  }
  // a concentration the change made worse is the change's, whichever regions it now spans
  for (const f of concentration(usersAfter)) {
    findings.push({ ...f, introduced: !before.has(keyOf(f)) || grew(f.kind, f.value) });
  }
  const onValue = new Map<string, Map<string, Set<string>>>();
  for (const o of others) {
    let values = onValue.get(o.kind);
    if (!values) onValue.set(o.kind, (values = new Map()));
    values.set(o.value, (values.get(o.value) ?? new Set()).add(o.service));
  }
  for (const [kind, values] of onValue) {
    for (const [value, services] of values) {
      if (services.size < policy.crossServiceMinServices || !grew(kind, value)) continue;
      const on = usersAfter.get(kind)!.get(value)!;
      findings.push({ ...findingOn('SPOF_CROSS_SERVICE', kind, value, on, total, [...services]), introduced: true });
    }
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
