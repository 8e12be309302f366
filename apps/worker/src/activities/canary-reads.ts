import { isSluiceError, renderCanaryQuery } from '../../../../libs/domain/src';
import { seriesKey, type MetricsSource } from '../../../../libs/targets/src';
import type {
  CanaryBaselineInput,
  CanaryBaselineResult,
  CanaryCountsInput,
  CanaryCountsResult,
  CanarySeries,
  SeriesValues,
} from '../../../../workflows/activity-contracts';
import type { Budget } from './activity-budget';
import { metricsReadMs, withMetricsRetries } from './metrics-retry';

const sum = (values: SeriesValues) => Object.values(values).reduce((total, v) => total + v, 0);

/**
 * How much each counter grew between two reads, series by series, summed. A series lower at
 * the end was reset (its process restarted): it counts its end value. A series first seen at
 * the end started within the window: likewise. One seen only at the start adds nothing.
 */
export function seriesIncrease(start: SeriesValues, end: SeriesValues): number {
  let total = 0;
  for (const [key, value] of Object.entries(end)) {
    const before = start[key];
    total += before === undefined || value < before ? value : value - before;
  }
  return total;
}

/** The canary gate's four counters, each series by its canonical key; null where a query has no data. */
type Reading = { [K in keyof CanarySeries]: SeriesValues | null };

/** Reads the four counters (at `at`, or now), in parallel, each within `budget`. */
async function readCounters(
  metrics: MetricsSource,
  input: CanaryCountsInput,
  budget: Budget,
  at?: Date,
): Promise<Reading> {
  const read = async (template: string, regions: string[]): Promise<SeriesValues | null> => {
    const query = renderCanaryQuery(template, { regions, service: input.service });
    const samples = await withMetricsRetries(budget, input.gate.timeoutMs, (timeoutMs) =>
      metrics.query(query, timeoutMs, at),
    );
    const values: SeriesValues = {};
    // A counter is finite; NaN or ±Inf in a series is no data for that series.
    for (const s of samples) if (Number.isFinite(s.value)) values[seriesKey(s.labels)] = s.value;
    return Object.keys(values).length === 0 ? null : values;
  };
  const { gate, canaryRegions, baselineRegions } = input;
  const [canaryRequests, canaryEvents, baselineRequests, baselineEvents] = await Promise.all([
    read(gate.requestsQuery, canaryRegions),
    read(gate.eventsQuery, canaryRegions),
    read(gate.requestsQuery, baselineRegions),
    read(gate.eventsQuery, baselineRegions),
  ]);
  return { canaryRequests, canaryEvents, baselineRequests, baselineEvents };
}

/** The shortest pre-change window a baseline read falls back to. */
const MIN_WINDOW_SECONDS = 60;

/** Why a reading cannot be judged, or null when it can: requests are needed, events may be none yet. */
function missing(reading: Reading, input: CanaryCountsInput, when = ''): string | null {
  if (!reading.canaryRequests) return `no request counts for the canary (${input.canaryRegions.join(', ')})${when}`;
  if (!reading.baselineRequests) {
    return `no request counts for the baseline (${input.baselineRegions.join(', ')})${when}`;
  }
  return null;
}

const series = (reading: Reading): CanarySeries => ({
  canaryRequests: reading.canaryRequests ?? {},
  canaryEvents: reading.canaryEvents ?? {},
  baselineRequests: reading.baselineRequests ?? {},
  baselineEvents: reading.baselineEvents ?? {},
});

/** The canary judge's counters now, series by series and summed; Prometheus trouble is no data, never a throw. */
export async function readCanaryCounts(
  metrics: MetricsSource,
  input: CanaryCountsInput,
  budget: Budget,
): Promise<CanaryCountsResult> {
  if (input.baselineRegions.length === 0) return { noData: 'no unchanged regions are left to serve as the baseline' };
  try {
    const reading = await readCounters(metrics, input, budget.within(metricsReadMs(input.gate.timeoutMs)));
    const reason = missing(reading, input);
    if (reason) return { noData: reason };
    const values = series(reading);
    return {
      totals: {
        canaryRequests: sum(values.canaryRequests),
        canaryEvents: sum(values.canaryEvents),
        baselineRequests: sum(values.baselineRequests),
        baselineEvents: sum(values.baselineEvents),
      },
      series: values,
    };
  } catch (err) {
    if (!isSluiceError(err)) throw err;
    return { noData: err.message };
  }
}

/**
 * The canary's and the controls' counts over the `windowSeconds` before `at`: each counter
 * read at both ends (Prometheus's `time`) and differenced per series, reset-aware.
 */
export async function readCanaryBaseline(
  metrics: MetricsSource,
  input: CanaryBaselineInput,
  budget: Budget,
): Promise<CanaryBaselineResult> {
  if (input.baselineRegions.length === 0) return { noData: 'no control regions to compare the baseline with' };
  const end = new Date(input.at);
  const own = budget.within(metricsReadMs(input.gate.timeoutMs));
  try {
    const after = await readCounters(metrics, input, own, end);
    const atEnd = missing(after, input, ` at the window’s end (${end.toISOString()})`);
    if (atEnd) return { noData: atEnd };
    // Prometheus may hold less than the window (it started recently, or retention is short):
    // the window halves until its start has data, down to a minute; the result says which.
    let reason = '';
    const windows = [input.windowSeconds];
    while (windows.at(-1)! / 2 > MIN_WINDOW_SECONDS) windows.push(Math.floor(windows.at(-1)! / 2));
    if (windows.at(-1)! > MIN_WINDOW_SECONDS) windows.push(MIN_WINDOW_SECONDS);
    for (const seconds of windows) {
      const start = new Date(input.at - seconds * 1000);
      const before = await readCounters(metrics, input, own, start);
      const atStart = missing(before, input, ` at the window’s start (${start.toISOString()})`);
      if (atStart) {
        reason = atStart;
        continue;
      }
      const [from, to] = [series(before), series(after)];
      return {
        counts: {
          canaryRequests: seriesIncrease(from.canaryRequests, to.canaryRequests),
          canaryEvents: seriesIncrease(from.canaryEvents, to.canaryEvents),
          baselineRequests: seriesIncrease(from.baselineRequests, to.baselineRequests),
          baselineEvents: seriesIncrease(from.baselineEvents, to.baselineEvents),
        },
        windowSeconds: seconds,
      };
    }
    return { noData: `${reason}, nor at any shorter window down to ${MIN_WINDOW_SECONDS} s` };
  } catch (err) {
    if (!isSluiceError(err)) throw err;
    return { noData: err.message };
  }
}
