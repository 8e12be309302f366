/**
 * The counts of a generated world, bucket by bucket, and the alerts they fire with their
 * truth: base rates with diurnal swings and wobble, blips, external incidents and the faults
 * of bad rollouts, read by the alert rule (alert-rule.ts).
 */
import { poisson, seededRandom } from '../../libs/judge/src/simulation';
import { AlertRule, RULE_RANGE_BUCKETS } from './alert-rule';
import type { Metric, Rollout, Series, Truth, World } from './world';

export const BUCKET_MS = 30_000;

/** A short rise of one series' errors, unrelated to any change. */
export interface Blip {
  service: string;
  region: string;
  from: number;
  until: number;
  factor: number;
}

const key = (service: string, region: string) => `${service}/${region}`;

/** A standard normal draw (Box-Muller). */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), Number.MIN_VALUE))) * Math.cos(2 * Math.PI * random());
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
export function simulate(world: World, blips: readonly Blip[], noiseSeed: number): void {
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
