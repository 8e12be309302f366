import { isSluiceError, type ChangeAssessment } from '../../domain/src';

export type { ChangeAssessment } from '../../domain/src';
import type { MetricsSource } from '../../targets/src';
import type { Exposure } from './exposure';
import { readExposureMetrics, type ExposureReadings } from './exposure-metrics';
import { renderInsightQuery, type InsightOptions } from './insight-options';
import { shiftTest, type RegionShift, type WindowCounts } from './scoring';
import { changeVerdict } from './verdicts';

export interface AssessChangeInput {
  service: string;
  pivot: Date;
  /** Regions the change reached (by the time of the alert). */
  changedRegions: readonly string[];
  /** Every region of the service: the rest are the control group. */
  serviceRegions: readonly string[];
  /** The after window ends at the earlier of pivot + span and this (default: now). */
  until?: Date;
}

export interface AssessRolloutInput {
  service: string;
  /** Each region the rollout changed by `until`, with when: each is judged around its own push. */
  pushes: ReadonlyMap<string, Date>;
  /** Every region of the service: those without a push are the control group. */
  serviceRegions: readonly string[];
  /** The push being judged; the control regions are judged around it. */
  focusPivot: Date;
  /** After windows end here (the alert): at most a span long, and never before their pivot. */
  until: Date;
}

/** Pushes this close together (a wave) share one pivot, the latest of them: fewer queries. */
export const PIVOT_GROUP_MS = 60_000;

type Counts = Map<string, number>;
type Window = { requests: Counts; errors: Counts; slow: Counts };
/** Metric reads shared by the assessments of one question: each window is read once. */
export type ReadCache = Map<string, Promise<unknown>>;

/** Reads error and latency counts around a change per region and judges the shift. */
export class IncidentAnalyzer {
  constructor(
    private readonly metrics: MetricsSource,
    readonly options: InsightOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async assessChange(input: AssessChangeInput): Promise<ChangeAssessment> {
    const spanMs = this.options.spanSeconds * 1000;
    const pivot = input.pivot;
    const beforeFrom = new Date(pivot.getTime() - spanMs);
    const afterTo = new Date(Math.min(pivot.getTime() + spanMs, (input.until ?? this.now()).getTime()));
    const window = { service: input.service, pivot: pivot.toISOString(), beforeFrom: beforeFrom.toISOString() };
    const changed = new Set(input.changedRegions);
    const regions = [...new Set([...input.serviceRegions, ...input.changedRegions])].sort();
    try {
      const [before, after] = await Promise.all([
        this.windowCounts(input.service, pivot, this.options.spanSeconds),
        this.windowCounts(input.service, afterTo, (afterTo.getTime() - pivot.getTime()) / 1000),
      ]);
      const shifts = regions.map((region) => this.regionShift(region, changed.has(region), before, after));
      return { ...window, afterTo: afterTo.toISOString(), regions: shifts, ...changeVerdict(shifts) };
    } catch (err) {
      if (!isSluiceError(err)) throw err;
      return { ...window, afterTo: afterTo.toISOString(), ...this.unreadable(err) };
    }
  }

  /** Requests and errors of each exposure and the span before it (affected-customers ranking). */
  measureExposures(service: string, exposed: readonly Exposure[], now: Date = this.now()): Promise<ExposureReadings> {
    return readExposureMetrics(this.metrics, this.options, service, exposed, now);
  }

  /**
   * What a rollout did, region by region: each changed region's before window ends at its own
   * push, and its after window is the span before `until` (the alert), so a fault that shows
   * minutes after the push is seen, and a region pushed late is no control for the early ones.
   * The regions it had not reached are judged around `focusPivot`.
   */
  async assessRollout(input: AssessRolloutInput, cache: ReadCache = new Map()): Promise<ChangeAssessment> {
    const spanMs = this.options.spanSeconds * 1000;
    const until = input.until.getTime();
    const pivotOf = new Map<string, number>();
    const pushes = [...input.pushes].sort((a, b) => a[1].getTime() - b[1].getTime());
    for (let i = 0; i < pushes.length;) {
      let j = i;
      while (j + 1 < pushes.length && pushes[j + 1][1].getTime() - pushes[i][1].getTime() <= PIVOT_GROUP_MS) j++;
      for (let k = i; k <= j; k++) pivotOf.set(pushes[k][0], pushes[j][1].getTime());
      i = j + 1;
    }
    const focus = input.focusPivot.getTime();
    const regions = [...new Set([...input.serviceRegions, ...input.pushes.keys()])].sort();
    const window = {
      service: input.service,
      pivot: input.focusPivot.toISOString(),
      beforeFrom: new Date(focus - spanMs).toISOString(),
      afterTo: input.until.toISOString(),
    };
    try {
      const around = this.memo(input.service, cache);
      const shifts = await Promise.all(
        regions.map(async (region) => {
          const pivot = Math.min(pivotOf.get(region) ?? focus, until);
          const [before, after] = await Promise.all([
            around(pivot, this.options.spanSeconds),
            around(until, (until - Math.max(pivot, until - spanMs)) / 1000),
          ]);
          return this.regionShift(region, pivotOf.has(region), before, after);
        }),
      );
      return { ...window, regions: shifts, ...changeVerdict(shifts) };
    } catch (err) {
      if (!isSluiceError(err)) throw err;
      return { ...window, ...this.unreadable(err) };
    }
  }

  /**
   * The alert's region in other services, over the windows a push at `pivot` is judged on
   * (before it, and the span before `until`): a shared dependency failing shows in them too.
   * Null when unreadable.
   */
  async regionPeers(
    services: readonly string[],
    region: string,
    pivot: Date,
    until: Date,
    cache: ReadCache = new Map(),
  ): Promise<RegionShift[] | null> {
    const end = until.getTime();
    const from = Math.min(pivot.getTime(), end);
    const spanMs = this.options.spanSeconds * 1000;
    try {
      const shifts = await Promise.all(
        services.map(async (service) => {
          const around = this.memo(service, cache);
          const [before, after] = await Promise.all([
            around(from, this.options.spanSeconds),
            around(end, (end - Math.max(from, end - spanMs)) / 1000),
          ]);
          return { ...this.regionShift(region, false, before, after), region: `${service}/${region}` };
        }),
      );
      return shifts.filter((s) => s.errors.enoughData || s.latency.enoughData);
    } catch (err) {
      if (!isSluiceError(err)) throw err;
      return null;
    }
  }

  /** One region of a service: the span before `pivot` against [from, to]. Null when unreadable. */
  async shiftBetween(
    service: string,
    region: string,
    pivot: Date,
    window: { from: Date; to: Date },
    cache: ReadCache = new Map(),
    beforeSeconds = this.options.spanSeconds,
  ): Promise<RegionShift | null> {
    const around = this.memo(service, cache);
    try {
      const [before, after] = await Promise.all([
        around(pivot.getTime(), beforeSeconds),
        around(window.to.getTime(), (window.to.getTime() - window.from.getTime()) / 1000),
      ]);
      return this.regionShift(region, true, before, after);
    } catch (err) {
      if (!isSluiceError(err)) throw err;
      return null;
    }
  }

  private regionShift(region: string, changed: boolean, before: Window, after: Window): RegionShift {
    const at = (counts: Counts) => counts.get(region) ?? 0;
    const of = (side: Window, events: Counts): WindowCounts => ({
      requests: at(side.requests),
      events: Math.min(at(events), at(side.requests)),
    });
    return {
      region,
      changed,
      errors: shiftTest(of(before, before.errors), of(after, after.errors), this.options.shift),
      latency: shiftTest(of(before, before.slow), of(after, after.slow), this.options.shift),
    };
  }

  private unreadable(err: Error): Pick<ChangeAssessment, 'regions' | 'verdict' | 'summary' | 'error'> {
    return {
      regions: [],
      verdict: 'UNCLEAR',
      summary: `no verdict: the metrics could not be read (${err.message})`,
      error: err.message,
    };
  }

  /** windowCounts of one service, each (end, range) read once per cache. */
  private memo(service: string, cache: ReadCache): (endMs: number, rangeSeconds: number) => Promise<Window> {
    return (endMs, rangeSeconds) => {
      // one rounding for the key and the read: a range under a second reads nothing
      const seconds = Math.round(rangeSeconds);
      const key = `${service}/${endMs}/${seconds}`;
      if (!cache.has(key)) cache.set(key, this.windowCounts(service, new Date(endMs), seconds));
      return cache.get(key) as Promise<Window>;
    };
  }

  /** Requests, errors and slow requests per region over the `rangeSeconds` ending at `end`. */
  private async windowCounts(service: string, end: Date, rangeSeconds: number): Promise<Window> {
    if (rangeSeconds < 1) return { requests: new Map(), errors: new Map(), slow: new Map() };
    const read = async (template: string): Promise<Counts> => {
      const query = renderInsightQuery(template, { service, rangeSeconds });
      const samples = await this.metrics.query(query, this.options.timeoutMs, end);
      const counts: Counts = new Map();
      for (const s of samples) {
        const region = s.labels.region;
        // NaN and ±Inf (a ratio over nothing) are no counts
        if (region && Number.isFinite(s.value))
          counts.set(region, (counts.get(region) ?? 0) + Math.max(0, Math.round(s.value)));
      }
      return counts;
    };
    const [requests, errors, slow] = await Promise.all([
      read(this.options.requestsQuery),
      read(this.options.errorsQuery),
      read(this.options.slowQuery),
    ]);
    return { requests, errors, slow };
  }
}
