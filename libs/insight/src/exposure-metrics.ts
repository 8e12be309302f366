import type { MetricsSource } from '../../targets/src';
import type { ImpactCounts, MeasuredExposure } from './customer-impact';
import type { AffectedCustomer, Exposure } from './exposure';
import { renderInsightQuery, type InsightOptions } from './insight-options';

type CountsBy = Map<string, ImpactCounts>;

/** Counts of one window, per region and (when per-customer queries are set) per region and customer. */
interface WindowReading {
  regions: CountsBy;
  customers: CountsBy;
  /** Why the per-customer counts are missing although configured. */
  customerError: string | null;
}

const customerKey = (region: string, customer: string) => `${region}\u0000${customer}`;

/** What Prometheus says about each exposed customer: counts, or why there are none. */
export interface ExposureReadings {
  of(row: AffectedCustomer): { measured: MeasuredExposure | string; note: string | null };
  /** The first read that failed, if any. */
  error: string | null;
}

/**
 * Reads requests and errors of every exposure window (from the push to its end, or `now`)
 * and of the span before the push, per region and, where configured, per customer. A failed
 * read marks that exposure unknown; it never fails the whole list.
 */
export async function readExposureMetrics(
  metrics: MetricsSource,
  options: InsightOptions,
  service: string,
  exposed: readonly Exposure[],
  now: Date,
): Promise<ExposureReadings> {
  const perCustomer = options.customerRequestsQuery !== '' && options.customerErrorsQuery !== '';
  const cache = new Map<string, Promise<WindowReading>>();

  const count = async (
    template: string,
    end: Date,
    rangeSeconds: number,
    keyOf: (l: Record<string, string>) => string | null,
  ) => {
    const counts = new Map<string, number>();
    if (rangeSeconds < 1) return counts;
    const query = renderInsightQuery(template, { service, rangeSeconds });
    for (const s of await metrics.query(query, options.timeoutMs, end)) {
      const key = keyOf(s.labels);
      // NaN and ±Inf (a ratio over nothing) are no counts
      if (key !== null && Number.isFinite(s.value))
        counts.set(key, (counts.get(key) ?? 0) + Math.max(0, Math.round(s.value)));
    }
    return counts;
  };
  const join = (requests: Map<string, number>, errors: Map<string, number>): CountsBy =>
    new Map(
      [...requests].map(([key, n]) => [key, { requests: n, errors: Math.min(errors.get(key) ?? 0, n) }] as const),
    );
  const byRegion = (l: Record<string, string>) => l.region || null;
  const byCustomer = (l: Record<string, string>) => (l.region && l.customer ? customerKey(l.region, l.customer) : null);

  const read = (end: Date, rangeSeconds: number): Promise<WindowReading> => {
    const key = `${end.getTime()}/${rangeSeconds}`;
    let reading = cache.get(key);
    if (!reading) {
      reading = (async () => {
        const [requests, errors] = await Promise.all([
          count(options.requestsQuery, end, rangeSeconds, byRegion),
          count(options.errorsQuery, end, rangeSeconds, byRegion),
        ]);
        let customers: CountsBy = new Map();
        let customerError: string | null = null;
        if (perCustomer) {
          try {
            const [cr, ce] = await Promise.all([
              count(options.customerRequestsQuery, end, rangeSeconds, byCustomer),
              count(options.customerErrorsQuery, end, rangeSeconds, byCustomer),
            ]);
            customers = join(cr, ce);
          } catch (err) {
            customerError = `per-customer metrics could not be read (${(err as Error).message}); region rates used`;
          }
        }
        return { regions: join(requests, errors), customers, customerError };
      })();
      cache.set(key, reading);
    }
    return reading;
  };

  let error: string | null = null;
  const windows = new Map<Exposure, { during: WindowReading; baseline: WindowReading } | string>();
  await Promise.all(
    exposed.map(async (e) => {
      const end = e.until ?? now;
      try {
        const [during, baseline] = await Promise.all([
          read(end, (end.getTime() - e.from.getTime()) / 1000),
          read(e.from, options.spanSeconds),
        ]);
        windows.set(e, { during, baseline });
      } catch (err) {
        const message = `the metrics could not be read (${(err as Error).message})`;
        error ??= message;
        windows.set(e, message);
      }
    }),
  );

  const windowOf = (row: AffectedCustomer) =>
    [...windows].find(([e]) => e.region === row.region && e.from.getTime() === row.from.getTime())?.[1];

  return {
    error,
    of(row) {
      const w = windowOf(row);
      if (w === undefined) return { measured: 'the exposure was not measured', note: null };
      if (typeof w === 'string') return { measured: w, note: null };
      const key = customerKey(row.region, row.customer);
      const own = w.during.customers.get(key);
      if (own && own.requests > 0) {
        const ownBefore = w.baseline.customers.get(key);
        return {
          measured: { source: 'CUSTOMER', during: own, baseline: ownBefore ?? w.baseline.regions.get(row.region) },
          // a customer's own rate may differ from its region's: say which baseline it is held to
          note: ownBefore ? null : `no series for ${row.customer} before the push; region baseline used`,
        };
      }
      const region = w.during.regions.get(row.region);
      if (!region) return { measured: `no series for region ${row.region} while exposed`, note: null };
      const note = w.during.customerError ?? (perCustomer ? `no series for ${row.customer}; region rate used` : null);
      return { measured: { source: 'REGION', during: region, baseline: w.baseline.regions.get(row.region) }, note };
    },
  };
}
