import type { AffectedCustomer } from './exposure';

/** How badly a customer was hit while exposed; UNKNOWN when the metrics could not tell. */
export type ImpactSeverity = 'HIGH' | 'MEDIUM' | 'LOW' | 'NONE' | 'UNKNOWN';
/** Whose counts the estimate rests on: the customer's own series, or its region's. */
export type ImpactSource = 'CUSTOMER' | 'REGION';

export interface ImpactCounts {
  requests: number;
  errors: number;
}

/** Counts read for one exposed customer: while exposed, and over the span before the push. */
export interface MeasuredExposure {
  source: ImpactSource;
  during: ImpactCounts;
  /** Undefined when nothing was served before the push (the baseline rate is then taken as 0). */
  baseline?: ImpactCounts;
}

/**
 * Excess error rate (exposed minus baseline) at which a customer counts as hit, from the
 * worst down. Below LOW the difference is within the noise of a healthy service.
 */
export const SEVERITY_THRESHOLDS = { HIGH: 0.05, MEDIUM: 0.01, LOW: 0.002 } as const;

export interface CustomerImpact extends AffectedCustomer {
  /** Seconds from the push to the end of the exposure (or to `now` while it lasts). */
  exposedSeconds: number;
  /** Requests served while exposed, null when unknown. */
  requests: number | null;
  errorRate: number | null;
  baselineErrorRate: number | null;
  /** max(0, errorRate − baselineErrorRate) × requests, rounded: the errors the change added. */
  badRequestsEstimate: number | null;
  severity: ImpactSeverity;
  measuredBy: ImpactSource | null;
  /** Why the severity is UNKNOWN, or why the customer's own series were not used. */
  note: string | null;
  /**
   * What the customer scenarios saw: the customer's journeys that failed in this region while
   * the rollout's scenario gate ran (docs/SCENARIOS.md); null when none failed there.
   */
  observed?: ObservedJourneys | null;
}

/** A customer's failed journeys in one changed region, from the scenario gates' runs. */
export interface ObservedJourneys {
  scenarios: string[];
  failures: number;
  runs: number;
  firstFailureAt: Date;
  lastFailureAt: Date;
}

/**
 * Each exposed customer with the journeys of theirs that failed in that region, observed by
 * the rollout's scenario gates. A customer seen failing is affected for certain; the others
 * were merely exposed.
 */
export function withObservedJourneys(
  impacts: readonly CustomerImpact[],
  observed: ReadonlyArray<ObservedJourneys & { customer: string; region: string }>,
): CustomerImpact[] {
  const byKey = new Map(observed.map((o) => [`${o.customer}\u0000${o.region}`, o]));
  return impacts.map((c) => {
    const o = byKey.get(`${c.customer}\u0000${c.region}`);
    return {
      ...c,
      observed: o
        ? {
            scenarios: o.scenarios,
            failures: o.failures,
            runs: o.runs,
            firstFailureAt: o.firstFailureAt,
            lastFailureAt: o.lastFailureAt,
          }
        : null,
    };
  });
}

export interface RankedCustomer extends CustomerImpact {
  /** 1 = contact first. */
  rank: number;
}

const rate = (c: ImpactCounts | undefined) => (c && c.requests > 0 ? Math.min(1, c.errors / c.requests) : null);

function severityOf(excess: number): ImpactSeverity {
  if (excess >= SEVERITY_THRESHOLDS.HIGH) return 'HIGH';
  if (excess >= SEVERITY_THRESHOLDS.MEDIUM) return 'MEDIUM';
  if (excess >= SEVERITY_THRESHOLDS.LOW) return 'LOW';
  return 'NONE';
}

/**
 * How badly `row`'s customer was hit: its error rate while exposed against the rate before
 * the push. `measured` is a string (why) when the metrics could not be read.
 */
export function customerImpact(
  row: AffectedCustomer,
  measured: MeasuredExposure | string,
  now: Date,
  note: string | null = null,
): CustomerImpact {
  const end = row.until ?? now;
  const exposedSeconds = Math.max(0, Math.round((end.getTime() - row.from.getTime()) / 1000));
  const unknown = (why: string): CustomerImpact => ({
    ...row,
    exposedSeconds,
    requests: null,
    errorRate: null,
    baselineErrorRate: null,
    badRequestsEstimate: null,
    severity: 'UNKNOWN',
    measuredBy: null,
    note: why,
  });
  if (typeof measured === 'string') return unknown(measured);
  const errorRate = rate(measured.during);
  if (errorRate === null) return unknown(`no requests measured in ${row.region} while exposed`);
  const baselineErrorRate = rate(measured.baseline);
  const excess = Math.max(0, errorRate - (baselineErrorRate ?? 0));
  return {
    ...row,
    exposedSeconds,
    requests: measured.during.requests,
    errorRate,
    baselineErrorRate,
    badRequestsEstimate: Math.round(excess * measured.during.requests),
    severity: severityOf(excess),
    measuredBy: measured.source,
    note,
  };
}

/**
 * 0: measured, errors added (by the rates: a share of a region's count can round to 0);
 * 1: unknown (could be bad); 2: measured, nothing added.
 */
const tier = (c: CustomerImpact) =>
  c.severity === 'UNKNOWN' ? 1 : (c.errorRate ?? 0) > (c.baselineErrorRate ?? 0) ? 0 : 2;

/**
 * The order for outreach: customers whose journeys were seen failing first (most failures
 * first); then customers with estimated bad requests, most first; then
 * those whose impact is unknown; then those the change did not measurably hurt. Within a
 * tier, longer exposure first, then customer name, region and push time.
 */
export function compareForOutreach(a: CustomerImpact, b: CustomerImpact): number {
  return (
    Number(Boolean(b.observed)) - Number(Boolean(a.observed)) ||
    (b.observed?.failures ?? 0) - (a.observed?.failures ?? 0) ||
    tier(a) - tier(b) ||
    (b.badRequestsEstimate ?? 0) - (a.badRequestsEstimate ?? 0) ||
    b.exposedSeconds - a.exposedSeconds ||
    a.customer.localeCompare(b.customer) ||
    a.region.localeCompare(b.region) ||
    a.from.getTime() - b.from.getTime()
  );
}

/**
 * Customers measured by their region's counts share them: the region's requests, and the bad
 * requests estimated on them, split evenly among the customers of that exposure measured so
 * (the rates stay the region's). Each row is one customer's estimate; the region's whole
 * count on every row would count the region's errors once per customer. The traffic of the
 * customers measured on their own series is not taken out first: an upper bound.
 */
function shareRegionCounts(impacts: readonly CustomerImpact[]): CustomerImpact[] {
  const exposure = (c: CustomerImpact) => `${c.region}\u0000${c.from.getTime()}`;
  const sharing = new Map<string, number>();
  for (const c of impacts) if (c.measuredBy === 'REGION') sharing.set(exposure(c), (sharing.get(exposure(c)) ?? 0) + 1);
  return impacts.map((c) => {
    const n = c.measuredBy === 'REGION' ? sharing.get(exposure(c))! : 1;
    if (n === 1 || c.requests === null) return c;
    const split = `the region's requests split evenly among its ${n} customers measured by them`;
    return {
      ...c,
      requests: Math.round(c.requests / n),
      badRequestsEstimate: c.badRequestsEstimate === null ? null : Math.round(c.badRequestsEstimate / n),
      note: c.note ? `${c.note}; ${split}` : split,
    };
  });
}

export function rankAffectedCustomers(impacts: readonly CustomerImpact[]): RankedCustomer[] {
  return shareRegionCounts(impacts)
    .sort(compareForOutreach)
    .map((c, i) => ({ ...c, rank: i + 1 }));
}

/** A spreadsheet would run a cell starting like a formula; a leading quote keeps it text. */
const defused = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
const text = (value: number | string | null) => (value === null ? '' : String(value));

/**
 * RFC 4180 CSV of affected customers in outreach order, for the communications team (safe to
 * open in a spreadsheet). The first six columns are the original export's; the rest were added after them.
 */
export function affectedCustomersCsv(rows: readonly RankedCustomer[]): string {
  const cell = (raw: string) => {
    const value = defused(raw);
    return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  };
  const lines = [
    [
      'customer',
      'region',
      'exposed_from',
      'exposed_until',
      'rolled_back',
      'ended_by',
      'rank',
      'exposed_seconds',
      'requests',
      'error_rate',
      'baseline_error_rate',
      'bad_requests_estimate',
      'severity',
      'measured_by',
      'observed_failing',
      'failed_scenarios',
      'first_failure',
      'last_failure',
      'journey_failures',
      'journey_runs',
    ],
  ];
  for (const r of rows) {
    lines.push([
      r.customer,
      r.region,
      r.from.toISOString(),
      r.until?.toISOString() ?? '',
      String(r.rolledBack),
      r.endedBy ?? '',
      String(r.rank),
      String(r.exposedSeconds),
      text(r.requests),
      text(r.errorRate),
      text(r.baselineErrorRate),
      text(r.badRequestsEstimate),
      r.severity,
      text(r.measuredBy),
      String(Boolean(r.observed)),
      r.observed?.scenarios.join(' ') ?? '',
      r.observed?.firstFailureAt.toISOString() ?? '',
      r.observed?.lastFailureAt.toISOString() ?? '',
      text(r.observed?.failures ?? null),
      text(r.observed?.runs ?? null),
    ]);
  }
  return lines.map((l) => l.map(cell).join(',')).join('\r\n') + '\r\n';
}

export interface AffectedCustomersReport {
  rolloutId: string;
  service: string;
  generatedAt: Date;
  /** Set when Prometheus could not be read: the severities are then UNKNOWN. */
  metricsError: string | null;
  customers: RankedCustomer[];
}

/** The JSON export: the report with ISO times, one object per customer and region, in rank order. */
export function affectedCustomersJson(report: AffectedCustomersReport) {
  return {
    rolloutId: report.rolloutId,
    service: report.service,
    generatedAt: report.generatedAt.toISOString(),
    metricsError: report.metricsError,
    customers: report.customers.map((r) => ({
      rank: r.rank,
      customer: r.customer,
      region: r.region,
      exposedFrom: r.from.toISOString(),
      exposedUntil: r.until?.toISOString() ?? null,
      exposedSeconds: r.exposedSeconds,
      rolledBack: r.rolledBack,
      endedBy: r.endedBy,
      requests: r.requests,
      errorRate: r.errorRate,
      baselineErrorRate: r.baselineErrorRate,
      badRequestsEstimate: r.badRequestsEstimate,
      severity: r.severity,
      measuredBy: r.measuredBy,
      note: r.note,
      observed: r.observed
        ? {
            ...r.observed,
            firstFailureAt: r.observed.firstFailureAt.toISOString(),
            lastFailureAt: r.observed.lastFailureAt.toISOString(),
          }
        : null,
    })),
  };
}
