import { performance } from 'node:perf_hooks';
import { Counter, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import type { RegionFleet } from './region-fleet';

/** Latency buckets (seconds) of sluice_sim_request_duration_seconds: dense where gates set thresholds. */
export const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5];

/** Faults a pushed config can carry; a bad change really degrades the region, a rollback heals it. */
const configFaultsSchema = z
  .object({
    faults: z
      .object({
        errorRate: z.number().min(0).max(1).optional(),
        /** Multiplies the region's natural error rate: a change that makes every region 2× worse. */
        errorRateFactor: z.number().min(0).max(1_000).optional(),
        extraLatencyMs: z.number().min(0).max(60_000).optional(),
      })
      .partial(),
  })
  .partial();

export interface TrafficOptions {
  /** Simulated requests per second per region; a region's index spreads load (region i: base × (1 + i/2)). */
  baseRps: number;
  /** Error share with no fault. */
  baseErrorRate: number;
  /** Typical latency with no fault. */
  baseLatencyMs: number;
  tickMs: number;
  random?: () => number;
  /** Labels every series with `service`, for a simulator that stands for one service's fleet. */
  service?: string;
}

export const DEFAULT_TRAFFIC: TrafficOptions = { baseRps: 40, baseErrorRate: 0.005, baseLatencyMs: 40, tickMs: 100 };

/**
 * One region's own traffic before any change: real regions differ in load and in their
 * natural error rate (another mix of clients, other dependencies). Unset fields keep the
 * simulator's defaults.
 */
export const regionTrafficSchema = z
  .object({
    /** Error share of this region with no fault, instead of the simulator's baseErrorRate. */
    baseErrorRate: z.number().min(0).max(1),
    /** Requests per second of this region, instead of its share of baseRps. */
    rps: z.number().min(0).max(100_000),
  })
  .partial()
  .strict();
export type RegionTraffic = z.infer<typeof regionTrafficSchema>;

export interface RegionHealth {
  errorRate: number;
  extraLatencyMs: number;
}

/**
 * Steady synthetic traffic per region, generated in-process: every tick each region serves
 * its share of requests, and each succeeds or fails, fast or slow, by the live config's
 * faults plus any simulator-wide incident (a shared dependency going down).
 */
export class TrafficGenerator {
  readonly registry = new Registry();
  private readonly requests: Counter<'region' | 'code'>;
  private readonly duration: Histogram<'region'>;
  private readonly carry = new Map<string, number>();
  /** Each region's own natural traffic, where set. */
  private readonly natural = new Map<string, RegionTraffic>();
  private timer: NodeJS.Timeout | null = null;
  /**
   * Degradation on top of each region's own (an outside dependency failing): in every region,
   * or only in `regions` when set.
   */
  incident: RegionHealth & { regions?: readonly string[] } = { errorRate: 0, extraLatencyMs: 0 };

  constructor(
    private readonly fleet: RegionFleet,
    private readonly options: TrafficOptions = DEFAULT_TRAFFIC,
  ) {
    if (options.service) this.registry.setDefaultLabels({ service: options.service });
    this.requests = new Counter({
      name: 'sluice_sim_requests_total',
      help: 'Requests served by a simulated region, by HTTP status code.',
      labelNames: ['region', 'code'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'sluice_sim_request_duration_seconds',
      help: 'Latency of requests served by a simulated region.',
      labelNames: ['region'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    // Every series exists from the start, so rate() has a baseline before the first error.
    for (const { region } of fleet.list()) {
      this.requests.inc({ region, code: '200' }, 0);
      this.requests.inc({ region, code: '500' }, 0);
    }
  }

  /** Sets a region's natural traffic (merged with what was set before); {} keeps it as it is. */
  setRegionTraffic(region: string, traffic: RegionTraffic): RegionTraffic {
    const merged = { ...this.natural.get(region), ...traffic };
    this.natural.set(region, merged);
    return merged;
  }

  /** A region's natural traffic: its own where set, the simulator's defaults otherwise. */
  regionTraffic(region: string, index: number): Required<RegionTraffic> {
    const own = this.natural.get(region) ?? {};
    return {
      baseErrorRate: own.baseErrorRate ?? this.options.baseErrorRate,
      rps: own.rps ?? this.options.baseRps * (1 + index / 2),
    };
  }

  /** What a region's live config asks for, on top of its natural error rate, plus the incident. */
  healthOf(region: string): RegionHealth {
    const parsed = configFaultsSchema.safeParse(this.fleet.get(region)?.config ?? {});
    const faults = parsed.success ? (parsed.data.faults ?? {}) : {};
    const base = this.natural.get(region)?.baseErrorRate ?? this.options.baseErrorRate;
    const incident = !this.incident.regions || this.incident.regions.includes(region) ? this.incident : null;
    return {
      errorRate: Math.min(
        1,
        base * (faults.errorRateFactor ?? 1) + (faults.errorRate ?? 0) + (incident?.errorRate ?? 0),
      ),
      extraLatencyMs: (faults.extraLatencyMs ?? 0) + (incident?.extraLatencyMs ?? 0),
    };
  }

  /** Serves one tick of traffic in every region. */
  tick(seconds = this.options.tickMs / 1000): void {
    const random = this.options.random ?? Math.random;
    this.fleet.list().forEach(({ region }, index) => {
      const due = (this.carry.get(region) ?? 0) + this.regionTraffic(region, index).rps * seconds;
      const count = Math.floor(due);
      this.carry.set(region, due - count);
      const health = this.healthOf(region);
      for (let i = 0; i < count; i++) {
        const failed = random() < health.errorRate;
        this.requests.inc({ region, code: failed ? '500' : '200' });
        // latency: exponential around the base, plus the fault's extra
        const latencyMs = -Math.log(1 - random()) * this.options.baseLatencyMs + health.extraLatencyMs;
        this.duration.observe({ region }, latencyMs / 1000);
      }
    });
  }

  /**
   * Ticks on a timer, each tick serving the time that really passed since the last: a busy
   * machine delays ticks but does not thin the traffic (the rates stay per wall-clock second).
   */
  start(): void {
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.tick((now - last) / 1000);
      last = now;
    }, this.options.tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
