import type { DependencyField, DependencyRole, RedundancyPolicy } from '../../domain/src/service/redundancy-policy';
import { DependencyReader, type Dependencies } from './dependency-values';
import { checkSpofRules, type OtherDependency, type RegionDependencies, type SpofViolation } from './spof-rules';

/** One region of the fleet: its config now and, when the change reaches it, after. */
export interface FleetRegion {
  name: string;
  weight: number;
  pair?: string;
  /** The region's current config; null or undefined when it has none yet. */
  current: unknown;
  /** Its effective config after the change; undefined for a region the change leaves alone. */
  next?: unknown;
}

/** The fleet of a change that reaches every region: each region's current config, and its next one. */
export function wholeFleet(
  regions: ReadonlyArray<{ name: string; weight: number; pair?: string }>,
  current: ReadonlyMap<string, unknown>,
  next: (region: string) => unknown,
): FleetRegion[] {
  return regions.map((r) => ({
    name: r.name,
    weight: r.weight,
    pair: r.pair,
    current: current.get(r.name) ?? null,
    next: next(r.name),
  }));
}

/** Which regions depend on a value, before and after the change. */
export interface DependencyMapEntry {
  kind: string;
  value: string;
  role: DependencyRole;
  before: string[];
  after: string[];
}

export interface RedundancyCheck {
  violations: SpofViolation[];
  dependencyMap: DependencyMapEntry[];
}

export interface RedundancyRequest {
  regions: readonly FleetRegion[];
  fields: readonly DependencyField[];
  policy: RedundancyPolicy;
  /** Values other registered services depend on now. */
  others?: readonly OtherDependency[];
}

/**
 * The redundancy rules against the whole fleet after a change: regions the change reaches
 * read their new effective config, the others keep their current one.
 */
export function checkRedundancy(request: RedundancyRequest): RedundancyCheck {
  if (request.fields.length === 0) return { violations: [], dependencyMap: [] };
  const reader = new DependencyReader(request.fields);
  const regions: RegionDependencies[] = request.regions.map((r) => {
    const before = reader.read(r.current ?? null);
    return {
      name: r.name,
      weight: r.weight,
      pair: r.pair,
      before,
      after: r.next === undefined ? before : reader.read(r.next),
    };
  });
  return {
    violations: checkSpofRules(regions, request.policy, request.others ?? []),
    dependencyMap: dependencyMap(regions),
  };
}

/** Per kind, value and role, the regions on it before and after; sorted for display. */
export function dependencyMap(regions: readonly RegionDependencies[]): DependencyMapEntry[] {
  const entries: DependencyMapEntry[] = [];
  const index = new Map<string, Map<string, DependencyMapEntry>>();
  const add = (r: RegionDependencies, deps: Dependencies, side: 'before' | 'after') => {
    for (const [kind, byRole] of deps) {
      for (const role of ['primary', 'failover'] as const) {
        const group = `${kind}/${role}`;
        let values = index.get(group);
        if (!values) index.set(group, (values = new Map()));
        for (const value of byRole[role]) {
          let entry = values.get(value);
          if (!entry) {
            entry = { kind, value, role, before: [], after: [] };
            values.set(value, entry);
            entries.push(entry);
          }
          entry[side].push(r.name);
        }
      }
    }
  };
  for (const r of regions) {
    add(r, r.before, 'before');
    add(r, r.after, 'after');
  }
  return entries.sort(
    (a, b) => a.kind.localeCompare(b.kind) || a.role.localeCompare(b.role) || a.value.localeCompare(b.value),
  );
}
