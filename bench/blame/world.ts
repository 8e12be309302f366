/**
 * Seeded worlds for `npm run bench:blame`: many services over shared regions of unequal size
 * and base error rate, rollouts in waves overlapping in time and region, some of them bad,
 * external incidents of a shared dependency, blips and diurnal swings. Alerts fire from the
 * simulated counts by a rule like deploy/prometheus/region-sim-rules.yml, and each alert
 * knows its truth: the rollout that caused it, or none.
 */
import { seededRandom } from '../../libs/judge/src/simulation';
import type { ChangeRow } from '../../libs/insight/src';
import { BUCKET_MS, simulate, type Blip } from './simulate';

export { BUCKET_MS, increase } from './simulate';
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
