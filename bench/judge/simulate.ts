/**
 * Simulated waves for the judge bench: a canary (the wave's regions) and controls (the regions
 * not yet changed), minute by minute, with the canary's natural error rate relative to the
 * controls (θ), drift shared by every region, and the change's effect after it is pushed.
 */
import { poisson } from '../../libs/judge/src/simulation';
import type { IntervalCounts } from '../../libs/judge/src/sequential-count-test';

/** What every region sees at minute t of the rollout: a multiplier on error rates and on traffic, and an additive error rate. */
export interface Drift {
  errorFactor: number;
  trafficFactor: number;
  /** A shared dependency failing a share of every region's requests, whatever their own rate. */
  addedErrorRate: number;
}

export type DriftModel = (minute: number) => Drift;

export const NO_DRIFT: DriftModel = () => ({ errorFactor: 1, trafficFactor: 1, addedErrorRate: 0 });

/**
 * A diurnal swing (errors ±50%, traffic ±30% over 24 hours, phase drawn per run) and one
 * shared-dependency blip of `blipMinutes` starting at a minute drawn from `blipFrom` up to
 * `rolloutMinutes`: ×`blipFactor` on every region's error rate, or, `additive`, `blipRate` more
 * errors per request in every region.
 */
export function diurnalWithBlip(
  random: () => number,
  rolloutMinutes: number,
  blip: { additive: boolean; blipFactor: number; blipRate: number; blipMinutes: number; blipFrom?: number },
): DriftModel {
  const phase = random() * 2 * Math.PI;
  const from = blip.blipFrom ?? 0;
  const blipAt = from + Math.floor(random() * (rolloutMinutes - from));
  return (minute) => {
    const swing = Math.sin(phase + (2 * Math.PI * minute) / 1_440);
    const inBlip = minute >= blipAt && minute < blipAt + blip.blipMinutes;
    return {
      errorFactor: (1 + 0.5 * swing) * (inBlip && !blip.additive ? blip.blipFactor : 1),
      trafficFactor: 1 + 0.3 * swing,
      addedErrorRate: inBlip && blip.additive ? blip.blipRate : 0,
    };
  };
}

export interface WaveTraffic {
  /** Requests per minute, before drift. */
  canaryPerMinute: number;
  controlPerMinute: number;
  /** The controls' error rate, before drift. */
  controlErrorRate: number;
  /** The canary's natural error rate relative to the controls'. */
  theta: number;
}

/** What the change does to the canary's error rate: a factor, or every request failing. */
export type ChangeEffect = { factor: number } | 'total-failure';

/** One minute of counts. `effect` null: before the change. */
export function simulateMinute(
  traffic: WaveTraffic,
  drift: Drift,
  effect: ChangeEffect | null,
  random: () => number,
): IntervalCounts {
  const canaryRequests = Math.round(traffic.canaryPerMinute * drift.trafficFactor);
  const baselineRequests = Math.round(traffic.controlPerMinute * drift.trafficFactor);
  const controlRate = Math.min(1, traffic.controlErrorRate * drift.errorFactor + drift.addedErrorRate);
  const natural = traffic.controlErrorRate * drift.errorFactor * traffic.theta;
  const canaryRate =
    effect === 'total-failure' ? 1 : Math.min(1, natural * (effect ? effect.factor : 1) + drift.addedErrorRate);
  return {
    canaryRequests,
    canaryEvents:
      canaryRate >= 1 ? canaryRequests : Math.min(canaryRequests, poisson(canaryRequests * canaryRate, random)),
    baselineRequests,
    baselineEvents: Math.min(baselineRequests, poisson(baselineRequests * controlRate, random)),
  };
}

/**
 * A pre-change window of `minutes` starting at `fromMinute`, summed: one Poisson draw per arm
 * whose mean is the sum of the minutes' means (a sum of independent Poisson counts is Poisson),
 * so a day's window costs what a minute does.
 */
export function simulateWindow(
  traffic: WaveTraffic,
  drift: DriftModel,
  fromMinute: number,
  minutes: number,
  random: () => number,
): IntervalCounts {
  const total = { canaryRequests: 0, canaryMean: 0, baselineRequests: 0, baselineMean: 0 };
  for (let m = 0; m < minutes; m++) {
    const d = drift(fromMinute + m);
    const canaryRequests = Math.round(traffic.canaryPerMinute * d.trafficFactor);
    const baselineRequests = Math.round(traffic.controlPerMinute * d.trafficFactor);
    const controlRate = Math.min(1, traffic.controlErrorRate * d.errorFactor + d.addedErrorRate);
    const canaryRate = Math.min(1, traffic.controlErrorRate * d.errorFactor * traffic.theta + d.addedErrorRate);
    total.canaryRequests += canaryRequests;
    total.baselineRequests += baselineRequests;
    total.canaryMean += canaryRequests * canaryRate;
    total.baselineMean += baselineRequests * controlRate;
  }
  return {
    canaryRequests: total.canaryRequests,
    canaryEvents: Math.min(total.canaryRequests, poisson(total.canaryMean, random)),
    baselineRequests: total.baselineRequests,
    baselineEvents: Math.min(total.baselineRequests, poisson(total.baselineMean, random)),
  };
}

export function sumCounts(intervals: readonly IntervalCounts[]): IntervalCounts {
  const total = { canaryRequests: 0, canaryEvents: 0, baselineRequests: 0, baselineEvents: 0 };
  for (const c of intervals) {
    total.canaryRequests += c.canaryRequests;
    total.canaryEvents += c.canaryEvents;
    total.baselineRequests += c.baselineRequests;
    total.baselineEvents += c.baselineEvents;
  }
  return total;
}

/** θ drawn log-uniformly between `low` and `high`. */
export function logUniform(random: () => number, low: number, high: number): number {
  return Math.exp(Math.log(low) + random() * (Math.log(high) - Math.log(low)));
}

/**
 * Cumulative counters of the same minutes, split over `pods` canary series and `regions` control
 * series, as Prometheus would scrape them; a pod that restarts counts again from zero.
 */
export class CounterSeries {
  private readonly canary: Array<{ requests: number; events: number }>;
  private readonly control: Array<{ requests: number; events: number }>;

  constructor(pods: number, regions: number) {
    this.canary = Array.from({ length: pods }, () => ({ requests: 0, events: 0 }));
    this.control = Array.from({ length: regions }, () => ({ requests: 0, events: 0 }));
  }

  /** Adds one minute; `restarts` are the canary pods that restarted at its start. */
  add(counts: IntervalCounts, restarts: ReadonlySet<number>, random: () => number): void {
    const spread = (total: number, parts: number) => {
      const shares = Array.from({ length: parts }, () => 0);
      for (let i = 0; i < total; i++) shares[Math.floor(random() * parts)] += 1;
      return shares;
    };
    const canaryRequests = Array.from({ length: this.canary.length }, () => counts.canaryRequests / this.canary.length);
    const canaryEvents = spread(counts.canaryEvents, this.canary.length);
    this.canary.forEach((pod, i) => {
      if (restarts.has(i)) Object.assign(pod, { requests: 0, events: 0 });
      pod.requests += canaryRequests[i];
      pod.events += canaryEvents[i];
    });
    const controlEvents = spread(counts.baselineEvents, this.control.length);
    this.control.forEach((region, i) => {
      region.requests += counts.baselineRequests / this.control.length;
      region.events += controlEvents[i];
    });
  }

  reading() {
    const values = (series: Array<{ requests: number; events: number }>, name: string, key: 'requests' | 'events') =>
      Object.fromEntries(series.map((s, i) => [`{${name}="${i}"}`, s[key]]));
    const sum = (series: Array<{ requests: number; events: number }>, key: 'requests' | 'events') =>
      series.reduce((total, s) => total + s[key], 0);
    return {
      totals: {
        canaryRequests: sum(this.canary, 'requests'),
        canaryEvents: sum(this.canary, 'events'),
        baselineRequests: sum(this.control, 'requests'),
        baselineEvents: sum(this.control, 'events'),
      },
      series: {
        canaryRequests: values(this.canary, 'pod', 'requests'),
        canaryEvents: values(this.canary, 'pod', 'events'),
        baselineRequests: values(this.control, 'region', 'requests'),
        baselineEvents: values(this.control, 'region', 'events'),
      },
    };
  }
}
