/**
 * Seeded worlds for `npm run bench:blame`: many services over shared regions of unequal size
 * and base error rate, rollouts in waves overlapping in time and region, some of them bad,
 * external incidents of a shared dependency, blips and diurnal swings. Alerts fire from the
 * simulated counts by a rule like deploy/prometheus/region-sim-rules.yml, and each alert
 * knows its truth: the rollout that caused it, or none.
 */
import { poisson, seededRandom } from '../../libs/judge/src/simulation';
import type { ChangeRow } from '../../libs/insight/src';
import { AlertRule, RULE_RANGE_BUCKETS } from './alert-rule';

export const BUCKET_MS = 30_000;
const MINUTE = 60_000;

export interface WorldOptions {
  seed: number;
  services: number;
  /** The pool every service draws its 6 to 20 regions from. */
  regions: number;
  hours: number;
}

export const DEFAULT_WORLD: Omit<WorldOptions, 'seed'> = { services: 24, regions: 36, hours: 12 };

export type Metric = 'errors' | 'latency';

export interface Series {
  service: string;
  region: string;
  /** Requests per second at the diurnal mean. */
  rps: number;
  baseError: number;
  baseSlow: number;
  phase: number;
}

export interface BadEffect {
  metric: Metric;
  factor: number;
  added: number;
  /** Regions the fault shows in (a region-specific config fails only where it applies). */
  regions: ReadonlySet<string>;
  /** From the push to the first bad request. */
  delayMs: number;
}

export interface Push {
  region: string;
  at: number;
}

export interface Rollout {
  id: string;
  service: string;
  pushes: Push[];
  bad: BadEffect | null;
  /** When the first alert it caused halted it: pushes stop, every region rolls back. */
  haltedAt: number | null;
  rollbacks: Push[];
}

export interface External {
  regions: ReadonlySet<string>;
  services: ReadonlySet<string>;
  from: number;
  until: number;
  factor: number;
  /** Started a few minutes after a harmless push into one of its regions, to tempt blame. */
  coincidesWith: string | null;
}

export type Truth = { kind: 'change'; rolloutId: string; pushAt: number } | { kind: 'external' } | { kind: 'noise' };

export interface Alert {
  service: string;
  region: string;
  metric: Metric;
  at: number;
  truth: Truth;
}

interface Blip {
  service: string;
  region: string;
  from: number;
  until: number;
  factor: number;
}

export interface World {
  start: number;
  end: number;
  series: Series[];
  regionsOf: Map<string, string[]>;
  rollouts: Rollout[];
  externals: External[];
  alerts: Alert[];
  changes: ChangeRow[];
  /** Cumulative requests, errors and slow requests per bucket edge, by `service/region`. */
  counts: Map<string, { requests: Float64Array; errors: Float64Array; slow: Float64Array }>;
}

const key = (service: string, region: string) => `${service}/${region}`;

function logUniform(random: () => number, low: number, high: number): number {
  return Math.exp(Math.log(low) + random() * (Math.log(high) - Math.log(low)));
}
const uniform = (random: () => number, low: number, high: number) => low + random() * (high - low);
function pick<T>(random: () => number, items: readonly T[], n: number): T[] {
  const pool = [...items];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, n);
}

/** A standard normal draw (Box-Muller). */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), Number.MIN_VALUE))) * Math.cos(2 * Math.PI * random());
}

export function generateWorld(options: WorldOptions): World {
  const random = seededRandom(options.seed);
  const start = Date.UTC(2026, 0, 1) + Math.floor(random() * 24) * 3_600_000;
  const end = start + options.hours * 3_600_000;
  const regions = Array.from({ length: options.regions }, (_, i) => `r${String(i).padStart(2, '0')}`);
  const services = Array.from({ length: options.services }, (_, i) => `svc${String(i).padStart(2, '0')}`);
  const regionPhase = new Map(regions.map((r) => [r, random() * 2 * Math.PI]));
  const regionsOf = new Map<string, string[]>();
  const series: Series[] = [];
  for (const service of services) {
    const own = pick(random, regions, 6 + Math.floor(random() * 15)).sort();
    regionsOf.set(service, own);
    for (const region of own) {
      series.push({
        service,
        region,
        rps: logUniform(random, 0.5, 150),
        baseError: logUniform(random, 0.0005, 0.02),
        baseSlow: logUniform(random, 0.005, 0.03),
        phase: regionPhase.get(region)!,
      });
    }
  }

  // rollouts: one at a time per service, in waves (canary, then ×3), each wave baking 8 to 20 minutes
  const badShare = uniform(random, 0.1, 0.3);
  const rollouts: Rollout[] = [];
  for (const service of services) {
    let t = start + uniform(random, 10, 90) * MINUTE;
    let n = 0;
    while (t < end - 30 * MINUTE) {
      const order = pick(random, regionsOf.get(service)!, regionsOf.get(service)!.length);
      const pushes: Push[] = [];
      let waveStart = t;
      for (let i = 0, size = 1; i < order.length; i += size, size *= 3) {
        for (const region of order.slice(i, i + size))
          pushes.push({ region, at: waveStart + Math.floor(random() * 30_000) });
        waveStart += uniform(random, 8, 20) * MINUTE;
      }
      const bad: BadEffect | null =
        random() < badShare
          ? {
              metric: random() < 0.7 ? 'errors' : 'latency',
              factor: uniform(random, 4, 20),
              added: uniform(random, 0, 0.05),
              regions: new Set(random() < 0.7 ? order : pick(random, order, Math.ceil(order.length / 2))),
              delayMs: random() < 0.6 ? random() * 30_000 : uniform(random, 1, 8) * MINUTE,
            }
          : null;
      rollouts.push({ id: `${service}-v${++n}`, service, pushes, bad, haltedAt: null, rollbacks: [] });
      t = waveStart + uniform(random, 20, 150) * MINUTE;
    }
  }

  // external incidents: a shared dependency fails most services in a few regions at once
  const externals: External[] = [];
  const harmless = rollouts.filter((r) => !r.bad);
  const externalCount = 3 + Math.floor(random() * 4);
  for (let i = 0; i < externalCount; i++) {
    const tempt = random() < 0.5 && harmless.length > 0 ? harmless[Math.floor(random() * harmless.length)] : null;
    const push = tempt ? tempt.pushes[Math.floor(random() * tempt.pushes.length)] : null;
    const chosen = new Set(pick(random, regions, 1 + Math.floor(random() * 4)));
    if (push) chosen.add(push.region);
    const affected = new Set(
      services.filter((s) => regionsOf.get(s)!.some((r) => chosen.has(r)) && (s === tempt?.service || random() < 0.7)),
    );
    const from = push ? push.at + uniform(random, 1, 8) * MINUTE : start + random() * (end - start - 40 * MINUTE);
    externals.push({
      regions: chosen,
      services: affected,
      from,
      until: from + uniform(random, 5, 30) * MINUTE,
      factor: uniform(random, 5, 20),
      coincidesWith: tempt?.id ?? null,
    });
  }

  const blips: Blip[] = Array.from({ length: 80 }, () => {
    const s = series[Math.floor(random() * series.length)];
    const from = start + random() * (end - start);
    return {
      service: s.service,
      region: s.region,
      from,
      until: from + (1 + Math.floor(random() * 4)) * BUCKET_MS,
      factor: uniform(random, 3, 12),
    };
  });

  const world: World = {
    start,
    end,
    series,
    regionsOf,
    rollouts,
    externals,
    alerts: [],
    changes: [],
    counts: new Map(),
  };
  const noiseSeed = Math.floor(random() * 2 ** 31);
  // every rollout as planned; each bad one is halted by the first alert it causes (pushes stop,
  // its regions roll back), and the world is simulated again with the same noise until no
  // halt moves: an earlier fault rolled back can leave a later one the cause of an alert
  for (let pass = 0; pass < 8; pass++) {
    simulate(world, blips, noiseSeed);
    let halted = 0;
    for (const rollout of rollouts) {
      const first = world.alerts.find((a) => a.truth.kind === 'change' && a.truth.rolloutId === rollout.id);
      if (!first || rollout.haltedAt !== null) continue;
      halted += 1;
      rollout.haltedAt = first.at;
      rollout.pushes = rollout.pushes.filter((p) => p.at <= first.at);
      rollout.rollbacks = [...rollout.pushes]
        .reverse()
        .map((p, i) => ({ region: p.region, at: first.at + 60_000 + i * 5_000 + Math.floor(random() * 60_000) }));
    }
    if (halted === 0) break;
  }
  world.changes = changeLog(rollouts);
  return world;
}

function changeLog(rollouts: readonly Rollout[]): ChangeRow[] {
  const rows: ChangeRow[] = rollouts.flatMap((r) => [
    ...r.pushes.map((p) => ({
      service: r.service,
      region: p.region,
      rolloutId: r.id,
      kind: 'PUSH' as const,
      changed: true,
      changedAt: new Date(p.at),
    })),
    ...r.rollbacks.map((p) => ({
      service: r.service,
      region: p.region,
      rolloutId: r.id,
      kind: 'ROLLBACK' as const,
      changed: true,
      changedAt: new Date(p.at),
    })),
  ]);
  return rows.sort((a, b) => a.changedAt.getTime() - b.changedAt.getTime());
}

/** When a bad rollout's fault shows in a region: from push + delay until its rollback there. */
function faultWindows(
  world: World,
): Map<string, Array<{ rollout: Rollout; pushAt: number; from: number; until: number }>> {
  const windows = new Map<string, Array<{ rollout: Rollout; pushAt: number; from: number; until: number }>>();
  const pushesAt = new Map<string, Array<{ at: number; rollout: Rollout }>>();
  for (const rollout of world.rollouts)
    for (const p of rollout.pushes) {
      const k = key(rollout.service, p.region);
      pushesAt.set(k, [...(pushesAt.get(k) ?? []), { at: p.at, rollout }]);
    }
  for (const rollout of world.rollouts) {
    if (!rollout.bad) continue;
    for (const push of rollout.pushes) {
      if (!rollout.bad.regions.has(push.region)) continue;
      const rollback = rollout.rollbacks.find((b) => b.region === push.region);
      // the service's next version in the region replaces the faulty config
      const next = (pushesAt.get(key(rollout.service, push.region)) ?? [])
        .filter((p) => p.rollout !== rollout && p.at > push.at)
        .reduce((min, p) => Math.min(min, p.at), Infinity);
      const k = key(rollout.service, push.region);
      windows.set(k, [
        ...(windows.get(k) ?? []),
        {
          rollout,
          pushAt: push.at,
          from: push.at + rollout.bad.delayMs,
          until: Math.min(rollback?.at ?? Infinity, next),
        },
      ]);
    }
  }
  return windows;
}

/** Counts per bucket for every series, and the alerts they fire, with their truth. */
function simulate(world: World, blips: readonly Blip[], noiseSeed: number): void {
  const buckets = Math.ceil((world.end - world.start) / BUCKET_MS);
  const faults = faultWindows(world);
  world.counts = new Map();
  world.alerts = [];
  world.series.forEach((s, index) => {
    const random = seededRandom(noiseSeed + index * 7_919);
    const k = key(s.service, s.region);
    const requests = new Float64Array(buckets + 1);
    const errors = new Float64Array(buckets + 1);
    const slow = new Float64Array(buckets + 1);
    const own = faults.get(k) ?? [];
    const myBlips = blips.filter((b) => b.service === s.service && b.region === s.region);
    const myExternals = world.externals.filter((e) => e.services.has(s.service) && e.regions.has(s.region));
    const alerting = {
      errors: new AlertRule(s, 'errors', Math.max(4 * s.baseError, 0.02)),
      latency: new AlertRule(s, 'latency', Math.max(4 * s.baseSlow, 0.1)),
    };
    for (let b = 0; b < buckets; b++) {
      const t = world.start + (b + 0.5) * BUCKET_MS;
      const day = Math.sin(s.phase + (2 * Math.PI * (t - world.start)) / 86_400_000);
      const n = poisson(s.rps * (BUCKET_MS / 1000) * (1 + 0.3 * day), random);
      const wobble = Math.exp(0.15 * normal(random));
      let pError = s.baseError * (1 + 0.2 * day) * wobble;
      let pSlow = s.baseSlow * (1 + 0.2 * day) * Math.exp(0.15 * normal(random));
      for (const blip of myBlips) if (t >= blip.from && t < blip.until) pError *= blip.factor;
      for (const e of myExternals) if (t >= e.from && t < e.until) pError = pError * e.factor + 0.02;
      for (const f of own) {
        if (t < f.from || t >= f.until) continue;
        const bad = f.rollout.bad!;
        if (bad.metric === 'errors') pError = pError * bad.factor + bad.added;
        else pSlow = pSlow * bad.factor + bad.added;
      }
      const e = Math.min(n, poisson(n * Math.min(pError, 0.95), random));
      const sl = Math.min(n, poisson(n * Math.min(pSlow, 0.95), random));
      requests[b + 1] = requests[b] + n;
      errors[b + 1] = errors[b] + e;
      slow[b + 1] = slow[b] + sl;
      const end = world.start + (b + 1) * BUCKET_MS;
      for (const rule of [alerting.errors, alerting.latency]) {
        const series = rule.metric === 'errors' ? errors : slow;
        const fired = rule.evaluate(b, requests, series, end);
        if (fired) world.alerts.push({ ...fired, truth: truthOf(world, own, s, rule.metric, end) });
      }
    }
    world.counts.set(k, { requests, errors, slow });
  });
  world.alerts.sort((a, b) => a.at - b.at);
}

/** The change whose fault shows in the series at `at`, else an external incident, else noise. */
function truthOf(
  world: World,
  own: ReadonlyArray<{ rollout: Rollout; pushAt: number; from: number; until: number }>,
  s: Series,
  metric: Metric,
  at: number,
): Truth {
  // the rule reads the last RULE_RANGE_BUCKETS: a fault rolled back within them still raised it
  const rangeFrom = at - RULE_RANGE_BUCKETS * BUCKET_MS;
  const fault = own.find((f) => f.rollout.bad!.metric === metric && f.from < at && rangeFrom < f.until);
  if (fault) return { kind: 'change', rolloutId: fault.rollout.id, pushAt: fault.pushAt };
  const external = world.externals.some(
    (e) => metric === 'errors' && e.services.has(s.service) && e.regions.has(s.region) && e.from <= at && at < e.until,
  );
  return external ? { kind: 'external' } : { kind: 'noise' };
}

/** Counts of one series over (at − rangeMs, at], read between bucket edges as Prometheus's increase() would. */
export function increase(cumulative: Float64Array, world: Pick<World, 'start'>, at: number, rangeMs: number): number {
  const read = (t: number) => {
    const x = Math.max(0, Math.min(cumulative.length - 1, (t - world.start) / BUCKET_MS));
    const i = Math.floor(x);
    const next = Math.min(cumulative.length - 1, i + 1);
    return cumulative[i] + (x - i) * (cumulative[next] - cumulative[i]);
  };
  return read(at) - read(at - rangeMs);
}
