import { SluiceError } from '../../domain/src';
import type { MetricsSource, PromSample } from '../../targets/src';
import { affectedCustomers, type Exposure } from './exposure';
import { readExposureMetrics } from './exposure-metrics';
import { DEFAULT_INSIGHT, type InsightOptions } from './insight-options';

const t = (minute: number) => new Date(Date.UTC(2026, 10, 26, 12, minute));
const exposed: Exposure[] = [
  { region: 'eu', from: t(10), until: t(20), endedBy: 'ROLLED_BACK' },
  { region: 'us', from: t(12), until: null, endedBy: null },
];
const rows = affectedCustomers(
  exposed,
  new Map([
    ['eu', ['Acme', 'Globex']],
    ['us', ['Initech']],
  ]),
);
const of = (customer: string) => rows.find((r) => r.customer === customer)!;

const OPTIONS: InsightOptions = {
  ...DEFAULT_INSIGHT,
  requestsQuery: 'requests[{{range}}]',
  errorsQuery: 'errors[{{range}}]',
  spanSeconds: 300,
};
const PER_CUSTOMER = {
  ...OPTIONS,
  customerRequestsQuery: 'c_requests[{{range}}]',
  customerErrorsQuery: 'c_errors[{{range}}]',
};

/** Answers by query name and whether the window is before a push (baseline) or after. */
function fakeMetrics(
  answer: (name: string, at: Date, range: string) => PromSample[],
): MetricsSource & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    query(expr, _timeout, at) {
      queries.push(`${expr}@${at!.toISOString()}`);
      const [, name, range] = /^(\w+)\[(\w+)\]$/.exec(expr)!;
      return Promise.resolve(answer(name, at!, range));
    },
  };
}

const sample = (labels: Record<string, string>, value: number): PromSample => ({ labels, value });
const baseline = (at: Date) => at.getTime() === t(10).getTime() || at.getTime() === t(12).getTime();

describe('readExposureMetrics: counts while exposed and before the push', () => {
  it('reads each region over its exposure (an open one up to now) and the span before its push', async () => {
    const metrics = fakeMetrics((name, at) => {
      const errors = name === 'errors';
      return baseline(at)
        ? [sample({ region: 'eu' }, errors ? 1 : 100), sample({ region: 'us' }, errors ? 0 : 100)]
        : [sample({ region: 'eu' }, errors ? 30 : 100), sample({ region: 'us' }, errors ? Number.NaN : 50)];
    });
    const readings = await readExposureMetrics(metrics, OPTIONS, 'shop', exposed, t(30));
    expect(readings.error).toBeNull();
    expect(readings.of(of('Acme'))).toEqual({
      measured: { source: 'REGION', during: { requests: 100, errors: 30 }, baseline: { requests: 100, errors: 1 } },
      note: null,
    });
    expect(readings.of(of('Initech')).measured).toEqual({
      source: 'REGION',
      during: { requests: 50, errors: 0 },
      baseline: { requests: 100, errors: 0 },
    });
    expect(metrics.queries.sort()).toEqual([
      'errors[1080s]@2026-11-26T12:30:00.000Z',
      'errors[300s]@2026-11-26T12:10:00.000Z',
      'errors[300s]@2026-11-26T12:12:00.000Z',
      'errors[600s]@2026-11-26T12:20:00.000Z',
      'requests[1080s]@2026-11-26T12:30:00.000Z',
      'requests[300s]@2026-11-26T12:10:00.000Z',
      'requests[300s]@2026-11-26T12:12:00.000Z',
      'requests[600s]@2026-11-26T12:20:00.000Z',
    ]);
  });

  it('uses a customer’s own series where they exist and its region’s otherwise, saying so', async () => {
    // Globex has series only while exposed: its baseline is the region's, and the note says so
    const metrics = fakeMetrics((name, at) => {
      if (name.startsWith('c_'))
        return baseline(at) ? [] : [sample({ region: 'eu', customer: 'Globex' }, name === 'c_errors' ? 9 : 10)];
      return [sample({ region: 'eu' }, name === 'errors' ? 5 : 100), sample({ region: 'us' }, 100)];
    });
    const readings = await readExposureMetrics(metrics, PER_CUSTOMER, 'shop', exposed, t(30));
    expect(readings.of(of('Globex'))).toEqual({
      measured: { source: 'CUSTOMER', during: { requests: 10, errors: 9 }, baseline: { requests: 100, errors: 5 } },
      note: 'no series for Globex before the push; region baseline used',
    });
    expect(readings.of(of('Acme'))).toEqual({
      measured: { source: 'REGION', during: { requests: 100, errors: 5 }, baseline: { requests: 100, errors: 5 } },
      note: 'no series for Acme; region rate used',
    });
  });

  it('falls back to region rates when the per-customer query fails', async () => {
    const metrics = fakeMetrics((name) => {
      if (name.startsWith('c_')) throw new SluiceError('GATE_MISCONFIGURED', 'bad PromQL');
      return [sample({ region: 'eu' }, 100)];
    });
    const readings = await readExposureMetrics(metrics, PER_CUSTOMER, 'shop', exposed, t(30));
    expect(readings.of(of('Acme'))).toMatchObject({
      measured: { source: 'REGION' },
      note: 'per-customer metrics could not be read (bad PromQL); region rates used',
    });
    expect(readings.of(of('Initech')).measured).toBe('no series for region us while exposed');
  });

  it('marks every exposure unknown, with the reason, when Prometheus cannot be read', async () => {
    const metrics: MetricsSource = {
      query: () => Promise.reject(new SluiceError('METRICS_UNAVAILABLE', 'connection refused')),
    };
    const readings = await readExposureMetrics(metrics, OPTIONS, 'shop', exposed, t(30));
    expect(readings.error).toBe('the metrics could not be read (connection refused)');
    for (const r of rows) expect(readings.of(r).measured).toBe('the metrics could not be read (connection refused)');
  });
});
