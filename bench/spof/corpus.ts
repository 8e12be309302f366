/**
 * The labelled corpus of `bench:spof`: seeded fleets, each with one change, labelled by how
 * the change was made. A SPOF case is built to break one rule; a near miss is built to come
 * close to one without breaking it; a harmless change touches no dependency or moves every
 * region to a value of its own. The label is the generator's intent, never the checker's
 * answer.
 */
import type { DependencyField, SpofRule } from '../../libs/domain/src';
import { effectiveConfig } from '../../libs/domain/src/rollout/region-configs';
import { seededRandom } from '../../libs/judge/src/simulation';
import type { FleetRegion, OtherDependency } from '../../libs/redundancy/src';

export type CaseKind = 'spof' | 'near-miss' | 'harmless';
/** How the change reached the regions: one base config for all, or per-region overrides. */
export type Mechanism = 'template' | 'override';

export interface SpofCase {
  id: number;
  kind: CaseKind;
  /** The rule a `spof` case breaks, or a `near-miss` case comes close to. */
  rule: SpofRule | null;
  mechanism: Mechanism;
  what: string;
  fields: DependencyField[];
  regions: FleetRegion[];
  others: OtherDependency[];
}

/** Pointer and JSONPath spellings of the same fields: a fleet uses one or the other. */
const FIELD_SETS: DependencyField[][] = [
  [
    { path: '/database/primary', kind: 'database', role: 'primary' },
    { path: '/database/failover', kind: 'database', role: 'failover' },
    { path: '/upstream/*/host', kind: 'upstream', role: 'primary' },
    { path: '/tls/certificate', kind: 'certificate', role: 'primary' },
  ],
  [
    { path: '$.database.primary', kind: 'database', role: 'primary' },
    { path: '$.database.failover', kind: 'database', role: 'failover' },
    { path: '$.upstream[*].host', kind: 'upstream', role: 'primary' },
    { path: '$.tls.certificate', kind: 'certificate', role: 'primary' },
  ],
];

/** Every region on its own primary and upstreams, failing over to its pair's database. */
const baseConfig = {
  database: { primary: 'db-{{region}}', failover: 'db-standby-{{region}}', poolSize: 20 },
  upstream: { auth: { host: 'auth.{{region}}.internal' }, billing: { host: 'billing.{{region}}.internal' } },
  tls: { certificate: 'cert-{{region}}' },
  timeoutMs: 250,
  features: { newCheckout: false },
};

type Random = () => number;
const int = (random: Random, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
function shuffled<T>(random: Random, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A fleet of `size` regions in pairs (the last one alone when odd), weights 1 to 10. */
export function fleetOf(random: Random, size: number, service: string): FleetRegion[] {
  return Array.from({ length: size }, (_, i) => {
    const name = `r${String(i).padStart(String(size).length, '0')}`;
    const partner = i % 2 === 0 ? i + 1 : i - 1;
    const pair = partner < size ? `r${String(partner).padStart(String(size).length, '0')}` : undefined;
    return { name, weight: int(random, 1, 10), pair, current: effectiveConfig(baseConfig, name, service) };
  });
}

const totalWeight = (regions: readonly FleetRegion[]) => regions.reduce((s, r) => s + r.weight, 0);
const clone = <T>(v: T): T => structuredClone(v);

/** The change applied: `reached` regions get their override merged over the new base. */
function applied(
  regions: readonly FleetRegion[],
  base: unknown,
  overrides: Record<string, unknown>,
  service: string,
  reached: ReadonlySet<string> = new Set(regions.map((r) => r.name)),
): FleetRegion[] {
  return regions.map((r) =>
    reached.has(r.name) ? { ...r, next: effectiveConfig(base, r.name, service, overrides) } : r,
  );
}

/** Regions of different pairs, one per pair, chosen so their weight stays within `maxShare`. */
function unpairedWithin(random: Random, regions: readonly FleetRegion[], maxShare: number, atLeast: number): string[] {
  const total = totalWeight(regions);
  const chosen: string[] = [];
  const usedPairs = new Set<string>();
  let weight = 0;
  for (const r of shuffled(random, regions)) {
    const pairKey = [r.name, r.pair ?? r.name].sort().join('+');
    if (usedPairs.has(pairKey) || (weight + r.weight) / total > maxShare) continue;
    chosen.push(r.name);
    usedPairs.add(pairKey);
    weight += r.weight;
    if (chosen.length >= atLeast && random() < 0.4) break;
  }
  return chosen;
}

/** Regions of different pairs whose weight goes over `share` (null when the fleet cannot). */
function unpairedOver(random: Random, regions: readonly FleetRegion[], share: number): string[] | null {
  const total = totalWeight(regions);
  const byPair = new Map<string, FleetRegion>();
  for (const r of regions) {
    const key = [r.name, r.pair ?? r.name].sort().join('+');
    const best = byPair.get(key);
    if (!best || r.weight > best.weight) byPair.set(key, r);
  }
  const chosen: string[] = [];
  let weight = 0;
  for (const r of shuffled(random, [...byPair.values()])) {
    chosen.push(r.name);
    weight += r.weight;
    if (weight / total > share) return chosen;
  }
  return null;
}

const SPOF_RULES: SpofRule[] = [
  'SPOF_PAIR_SHARED_DEPENDENCY',
  'SPOF_CONCENTRATION',
  'SPOF_SELF_DEPENDENCY',
  'SPOF_CROSS_SERVICE',
];

/** One case: a fleet and a change, built to be what `kind` and `rule` say. */
export function buildCase(id: number, seed: number): SpofCase {
  const random = seededRandom(seed);
  const service = 'pay';
  const fields = pick(random, FIELD_SETS);
  const regions = fleetOf(random, int(random, 6, 40), service);
  const paired = regions.filter((r) => r.pair !== undefined);
  let mechanism: Mechanism = random() < 0.5 ? 'template' : 'override';
  const others: OtherDependency[] = [
    { service: 'search', kind: 'database', value: 'db-central' },
    { service: 'ledger', kind: 'upstream', value: 'auth.global.internal' },
  ];
  const roll = random();
  const kind: CaseKind = roll < 0.4 ? 'spof' : roll < 0.75 ? 'near-miss' : 'harmless';
  const rule = kind === 'harmless' ? null : pick(random, SPOF_RULES);
  const base = clone(baseConfig);
  const overrides: Record<string, unknown> = {};
  const make = (what: string, out: FleetRegion[]): SpofCase => ({
    id,
    kind,
    rule,
    mechanism,
    what,
    fields,
    regions: out,
    others,
  });

  if (kind === 'harmless') {
    if (random() < 0.5) {
      base.timeoutMs = int(random, 100, 900);
      base.features.newCheckout = true;
      if (mechanism === 'override')
        for (const r of regions) overrides[r.name] = { database: { poolSize: int(random, 5, 50) } };
      return make('non-dependency fields only', applied(regions, base, overrides, service));
    }
    // a migration: every region to a new value of its own
    if (mechanism === 'template') base.database.primary = 'db2-{{region}}';
    else for (const r of regions) overrides[r.name] = { database: { primary: `db2-${r.name}` } };
    return make('every region moved to a new primary of its own', applied(regions, base, overrides, service));
  }

  const broken: SpofRule = rule!;
  switch (broken) {
    case 'SPOF_PAIR_SHARED_DEPENDENCY': {
      const a = pick(random, paired);
      if (kind === 'spof') {
        if (mechanism === 'override') {
          overrides[a.pair!] = { database: { primary: `db-${a.name}` } };
          return make(
            `${a.pair} pointed at ${a.name}'s primary`,
            applied(regions, base, overrides, service, new Set([a.pair!])),
          );
        }
        // the template drops {{region}} from the certificate of every region: every pair shares it
        base.tls.certificate = 'cert-shared';
        return make('one certificate for every region', applied(regions, base, overrides, service));
      }
      // near miss: regions of different pairs share a value, within the concentration limit
      // (only overrides can give regions of different pairs one value and keep the rest apart)
      mechanism = 'override';
      const names = unpairedWithin(random, regions, 0.45, 2);
      for (const n of names) overrides[n] = { database: { primary: `db-shared-${id}` } };
      return make(
        `${names.length} regions of different pairs share a primary`,
        applied(regions, base, overrides, service, new Set(names)),
      );
    }
    case 'SPOF_CONCENTRATION': {
      const value = `auth-pool-${id}.internal`;
      if (kind === 'spof' && mechanism === 'template') {
        // every region on one value: the pair rule breaks too, which is still this SPOF
        base.upstream.auth.host = value;
        return make('every region on one auth upstream', applied(regions, base, overrides, service));
      }
      mechanism = 'override';
      const names =
        kind === 'spof'
          ? (unpairedOver(random, regions, 0.5) ?? regions.map((r) => r.name))
          : unpairedWithin(random, regions, 0.5, 1);
      for (const n of names) overrides[n] = { upstream: { auth: { host: value } } };
      return make(
        `${names.length} regions of different pairs on one auth upstream (${kind === 'spof' ? 'over' : 'within'} half the weight)`,
        applied(regions, base, overrides, service, new Set(names)),
      );
    }
    case 'SPOF_SELF_DEPENDENCY': {
      const r = pick(random, regions);
      if (kind === 'spof') {
        if (mechanism === 'template') {
          base.database.failover = '{{region}}';
          return make('every region fails over to itself', applied(regions, base, overrides, service));
        }
        overrides[r.name] = { database: { failover: `db-${r.name}` } };
        return make(
          `${r.name} fails over to its own primary`,
          applied(regions, base, overrides, service, new Set([r.name])),
        );
      }
      // near miss: fail over to the pair (by region name), never to itself
      if (mechanism === 'template') base.database.failover = 'db-standby-{{region}}-b';
      else for (const x of paired) overrides[x.name] = { database: { failover: x.pair } };
      return make('regions fail over to their pair', applied(regions, base, overrides, service));
    }
    case 'SPOF_CROSS_SERVICE': {
      mechanism = 'override';
      const names = unpairedWithin(random, regions, 0.4, 1);
      if (kind === 'spof') {
        for (const n of names) overrides[n] = { database: { primary: 'db-central' } };
        return make(
          `${names.length} regions moved onto search's database`,
          applied(regions, base, overrides, service, new Set(names)),
        );
      }
      // near miss: a shared value no other service uses
      for (const n of names) overrides[n] = { database: { primary: `db-pay-pool-${id}` } };
      return make(
        `${names.length} regions moved onto a database no other service uses`,
        applied(regions, base, overrides, service, new Set(names)),
      );
    }
    default: {
      const never: never = broken;
      return never;
    }
  }
}

/** The whole corpus: `size` cases from `seed`. */
export function buildCorpus(seed: number, size: number): SpofCase[] {
  return Array.from({ length: size }, (_, i) => buildCase(i, seed + i * 7_919));
}

/** A fleet of `size` regions for timing, and a change with an override for every region. */
export function timingFleet(seed: number, size: number) {
  const random = seededRandom(seed);
  const service = 'pay';
  const regions = fleetOf(random, size, service);
  const base = { ...clone(baseConfig), timeoutMs: 300 };
  const overrides = Object.fromEntries(regions.map((r) => [r.name, { database: { poolSize: int(random, 5, 50) } }]));
  const others: OtherDependency[] = Array.from({ length: 200 }, (_, i) => ({
    service: `svc${i % 40}`,
    kind: 'database',
    value: `db-r${i}`,
  }));
  /** The fleet with the change's effective config computed for every region. */
  const changed = (): FleetRegion[] => applied(regions, base, overrides, service);
  return { changed, others };
}
