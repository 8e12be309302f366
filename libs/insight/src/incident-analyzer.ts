import { isSluiceError, type ChangeAssessment } from '../../domain/src';

export type { ChangeAssessment } from '../../domain/src';
import type { MetricsSource } from '../../targets/src';
import type { Exposure } from './exposure';
import { readExposureMetrics, type ExposureReadings } from './exposure-metrics';
import { renderInsightQuery, type InsightOptions } from './insight-options';
import { changeVerdict, shiftTest, type RegionShift, type WindowCounts } from './scoring';

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

type Counts = Map<string, number>;

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
      const shifts: RegionShift[] = regions.map((region) => {
        const at = (counts: Counts) => counts.get(region) ?? 0;
        const of = (side: typeof before, events: Counts): WindowCounts => ({
          requests: at(side.requests),
          events: Math.min(at(events), at(side.requests)),
        });
        return {
          region,
          changed: changed.has(region),
          errors: shiftTest(of(before, before.errors), of(after, after.errors), this.options.shift),
          latency: shiftTest(of(before, before.slow), of(after, after.slow), this.options.shift),
        };
      });
      return { ...window, afterTo: afterTo.toISOString(), regions: shifts, ...changeVerdict(shifts) };
    } catch (err) {
      if (!isSluiceError(err)) throw err;
      return {
        ...window,
        afterTo: afterTo.toISOString(),
        regions: [],
        verdict: 'UNCLEAR',
        summary: `no verdict: the metrics could not be read (${err.message})`,
        error: err.message,
      };
    }
  }

  /** Requests and errors of each exposure and the span before it (affected-customers ranking). */
  measureExposures(service: string, exposed: readonly Exposure[], now: Date = this.now()): Promise<ExposureReadings> {
    return readExposureMetrics(this.metrics, this.options, service, exposed, now);
  }

  /** Requests, errors and slow requests per region over the `rangeSeconds` ending at `end`. */
  private async windowCounts(
    service: string,
    end: Date,
    rangeSeconds: number,
  ): Promise<{ requests: Counts; errors: Counts; slow: Counts }> {
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
