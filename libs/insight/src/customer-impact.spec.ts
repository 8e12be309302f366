import fc from 'fast-check';
import {
  SEVERITY_THRESHOLDS,
  affectedCustomersCsv,
  affectedCustomersJson,
  compareForOutreach,
  customerImpact,
  rankAffectedCustomers,
  withObservedJourneys,
  type CustomerImpact,
  type ImpactCounts,
} from './customer-impact';
import { affectedCustomers, exposures, type AffectedCustomer } from './exposure';

const t = (minute: number) => new Date(Date.UTC(2026, 10, 26, 12, minute));
const NOW = t(60);

const row = (customer: string, region = 'eu', from = 0, until: number | null = 10): AffectedCustomer => ({
  customer,
  region,
  from: t(from),
  until: until === null ? null : t(until),
  endedBy: until === null ? null : 'ROLLED_BACK',
  rolledBack: until !== null,
});
const counts = (requests: number, errors: number): ImpactCounts => ({ requests, errors });

describe('customerImpact: how badly a customer was hit while exposed', () => {
  it('estimates the errors the change added: the rise over the baseline times the requests served', () => {
    const impact = customerImpact(
      row('Acme'),
      { source: 'REGION', during: counts(1000, 310), baseline: counts(1000, 10) },
      NOW,
    );
    expect(impact).toMatchObject({
      exposedSeconds: 600,
      requests: 1000,
      errorRate: 0.31,
      baselineErrorRate: 0.01,
      badRequestsEstimate: 300,
      severity: 'HIGH',
      measuredBy: 'REGION',
      note: null,
    });
  });

  it('counts an open exposure up to now and takes a missing baseline as no errors', () => {
    const impact = customerImpact(row('Acme', 'eu', 0, null), { source: 'CUSTOMER', during: counts(200, 4) }, NOW);
    expect(impact).toMatchObject({ exposedSeconds: 3600, baselineErrorRate: null, badRequestsEstimate: 4 });
    expect(impact.severity).toBe('MEDIUM');
  });

  it('grades the rise: HIGH, MEDIUM, LOW, and NONE for a rise within the noise or a fall', () => {
    const severity = (errors: number, baselineErrors = 0) =>
      customerImpact(
        row('A'),
        { source: 'REGION', during: counts(10_000, errors), baseline: counts(10_000, baselineErrors) },
        NOW,
      ).severity;
    expect(severity(500)).toBe('HIGH');
    expect(severity(499)).toBe('MEDIUM');
    expect(severity(100)).toBe('MEDIUM');
    expect(severity(20)).toBe('LOW');
    expect(severity(19)).toBe('NONE');
    expect(severity(100, 300)).toBe('NONE');
  });

  it('says the severity is UNKNOWN, and why, when there are no metrics or no requests', () => {
    expect(customerImpact(row('A'), 'the metrics could not be read (timeout)', NOW)).toMatchObject({
      severity: 'UNKNOWN',
      exposedSeconds: 600,
      errorRate: null,
      badRequestsEstimate: null,
      measuredBy: null,
      note: 'the metrics could not be read (timeout)',
    });
    expect(customerImpact(row('A'), { source: 'REGION', during: counts(0, 0) }, NOW)).toMatchObject({
      severity: 'UNKNOWN',
      note: 'no requests measured in eu while exposed',
    });
  });
});

const lastIndex = <T>(items: readonly T[], test: (item: T) => boolean) =>
  items.reduce((last, item, i) => (test(item) ? i : last), -1);

describe('rankAffectedCustomers: the order for outreach', () => {
  const measured = (r: AffectedCustomer, errors: number, requests = 1000) =>
    customerImpact(r, { source: 'REGION', during: counts(requests, errors), baseline: counts(1000, 0) }, NOW);

  it("splits a region's counts evenly among the customers measured by them, and says so", () => {
    const ranked = rankAffectedCustomers([
      measured(row('Acme', 'eu'), 300),
      measured(row('Globex', 'eu'), 300),
      measured(row('Initech', 'us'), 200),
      customerImpact(
        row('Hooli', 'eu'),
        { source: 'CUSTOMER', during: counts(100, 40), baseline: counts(100, 0) },
        NOW,
      ),
    ]);
    expect(ranked.map((r) => [r.customer, r.requests, r.badRequestsEstimate, r.severity, r.note])).toEqual([
      // alone in us: the region's counts are its own
      ['Initech', 1000, 200, 'HIGH', null],
      ['Acme', 500, 150, 'HIGH', "the region's requests split evenly among its 2 customers measured by them"],
      ['Globex', 500, 150, 'HIGH', "the region's requests split evenly among its 2 customers measured by them"],
      ['Hooli', 100, 40, 'HIGH', null],
    ]);
  });

  it('keeps a hit customer above the unknown and the unhurt when its share of bad requests rounds to 0', () => {
    const crowd = Array.from({ length: 30 }, (_, i) => measured(row(`Customer ${i}`, 'eu'), 10));
    const ranked = rankAffectedCustomers([
      measured(row('Unhurt', 'us'), 0),
      customerImpact(row('Unknown Ltd', 'ap'), 'no series for region ap while exposed', NOW),
      ...crowd,
    ]);
    expect(ranked[0]).toMatchObject({ badRequestsEstimate: 0, severity: 'MEDIUM' });
    expect(ranked.slice(-2).map((r) => r.customer)).toEqual(['Unknown Ltd', 'Unhurt']);
  });

  it('puts the most estimated bad requests first, then unknown, then unhurt; ties by longer exposure, then name', () => {
    const ranked = rankAffectedCustomers([
      measured(row('Zed', 'us'), 0),
      customerImpact(row('Unknown Ltd', 'ap'), 'no series for region ap while exposed', NOW),
      measured(row('Globex', 'eu'), 300),
      measured(row('Acme', 'eu'), 300),
      measured(row('Initech', 'us', 0, 30), 50),
      measured(row('Hooli', 'us', 0, 5), 50),
    ]);
    expect(ranked.map((r) => [r.rank, r.customer])).toEqual([
      [1, 'Acme'],
      [2, 'Globex'],
      [3, 'Initech'],
      [4, 'Hooli'],
      [5, 'Unknown Ltd'],
      [6, 'Zed'],
    ]);
  });

  it('ranks by exposure alone when Prometheus could not be read', () => {
    const down = (r: AffectedCustomer) => customerImpact(r, 'the metrics could not be read (refused)', NOW);
    const ranked = rankAffectedCustomers([
      down(row('B', 'eu', 0, 5)),
      down(row('A', 'eu', 0, 5)),
      down(row('C', 'us', 1, null)),
    ]);
    expect(ranked.map((r) => [r.customer, r.exposedSeconds, r.severity])).toEqual([
      ['C', 3540, 'UNKNOWN'],
      ['A', 300, 'UNKNOWN'],
      ['B', 300, 'UNKNOWN'],
    ]);
  });

  const impactArb: fc.Arbitrary<CustomerImpact> = fc
    .record({
      customer: fc.constantFrom('Acme', 'Globex', 'Initech', 'Hooli', '=cmd'),
      region: fc.constantFrom('eu', 'us', 'ap'),
      from: fc.integer({ min: 0, max: 30 }),
      length: fc.option(fc.integer({ min: 0, max: 29 }), { nil: null }),
      metrics: fc.option(
        fc.record({
          requests: fc.integer({ min: 0, max: 100_000 }),
          errorShare: fc.double({ min: 0, max: 1, noNaN: true }),
          baselineShare: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
        }),
        { nil: null },
      ),
    })
    .map(({ customer, region, from, length, metrics }) =>
      customerImpact(
        row(customer, region, from, length === null ? null : from + length),
        metrics === null
          ? 'the metrics could not be read'
          : {
              source: 'REGION',
              during: counts(metrics.requests, Math.round(metrics.requests * metrics.errorShare)),
              baseline:
                metrics.baselineShare === undefined
                  ? undefined
                  : counts(1000, Math.round(1000 * metrics.baselineShare)),
            },
        NOW,
      ),
    );

  it('property: ranks 1..n, a total order independent of the input order', () => {
    fc.assert(
      fc.property(fc.array(impactArb, { maxLength: 30 }), fc.integer(), (impacts, seed) => {
        const ranked = rankAffectedCustomers(impacts);
        expect(ranked.map((r) => r.rank)).toEqual(impacts.map((_, i) => i + 1));
        const shuffled = [...impacts].sort(
          (a, b) => ((a.exposedSeconds * 31 + seed) % 7) - ((b.exposedSeconds * 31 + seed) % 7),
        );
        expect(rankAffectedCustomers(shuffled)).toEqual(ranked);
        for (let i = 1; i < ranked.length; i++)
          expect(compareForOutreach(ranked[i - 1], ranked[i])).toBeLessThanOrEqual(0);
      }),
    );
  });

  it('property: whoever has estimated bad requests outranks every unknown and every unhurt customer, and more outranks fewer', () => {
    fc.assert(
      fc.property(fc.array(impactArb, { maxLength: 30 }), (impacts) => {
        const ranked = rankAffectedCustomers(impacts);
        const hurt = (c: CustomerImpact) => (c.badRequestsEstimate ?? 0) > 0;
        const lastHurt = lastIndex(ranked, hurt);
        const firstOther = ranked.findIndex((c) => !hurt(c));
        if (lastHurt >= 0 && firstOther >= 0) expect(lastHurt).toBeLessThan(firstOther);
        const estimates = ranked.filter(hurt).map((c) => c.badRequestsEstimate!);
        expect(estimates).toEqual([...estimates].sort((a, b) => b - a));
        const lastUnknown = lastIndex(ranked, (c) => c.severity === 'UNKNOWN');
        const firstUnhurt = ranked.findIndex((c) => c.severity !== 'UNKNOWN' && !hurt(c));
        if (lastUnknown >= 0 && firstUnhurt >= 0) expect(lastUnknown).toBeLessThan(firstUnhurt);
      }),
    );
  });

  it('property: the estimate is between 0 and the requests served, and severity follows the rise', () => {
    fc.assert(
      fc.property(impactArb, (c) => {
        if (c.severity === 'UNKNOWN') {
          expect(c.badRequestsEstimate).toBeNull();
          return;
        }
        expect(c.badRequestsEstimate).toBeGreaterThanOrEqual(0);
        expect(c.badRequestsEstimate).toBeLessThanOrEqual(c.requests!);
        const rise = c.errorRate! - (c.baselineErrorRate ?? 0);
        const expected =
          rise >= SEVERITY_THRESHOLDS.HIGH
            ? 'HIGH'
            : rise >= SEVERITY_THRESHOLDS.MEDIUM
              ? 'MEDIUM'
              : rise >= SEVERITY_THRESHOLDS.LOW
                ? 'LOW'
                : 'NONE';
        expect(c.severity).toBe(expected);
      }),
    );
  });
});

describe('the exports', () => {
  const exposed = exposures('r1', [
    { region: 'eu', rolloutId: 'r1', kind: 'PUSH', changed: true, changedAt: t(0) },
    { region: 'us', rolloutId: 'r1', kind: 'PUSH', changed: true, changedAt: t(1) },
    { region: 'eu', rolloutId: 'r1', kind: 'ROLLBACK', changed: true, changedAt: t(3) },
  ]);
  const rows = affectedCustomers(
    exposed,
    new Map([
      ['eu', ['Zed GmbH', 'Acme, "Intl"']],
      ['us', ['Acme, "Intl"']],
    ]),
  );
  const ranked = rankAffectedCustomers(
    rows.map((r) =>
      r.region === 'eu'
        ? customerImpact(r, { source: 'REGION', during: counts(1000, 200), baseline: counts(1000, 0) }, t(6))
        : customerImpact(r, 'the metrics could not be read (refused)', t(6)),
    ),
  );

  it('CSV: the original six columns first, the ranking after them, in rank order, quoted where needed', () => {
    expect(affectedCustomersCsv(ranked).split('\r\n')).toEqual([
      'customer,region,exposed_from,exposed_until,rolled_back,ended_by,rank,exposed_seconds,requests,error_rate,baseline_error_rate,bad_requests_estimate,severity,measured_by,' +
        'observed_failing,failed_scenarios,first_failure,last_failure,journey_failures,journey_runs',
      '"Acme, ""Intl""",eu,2026-11-26T12:00:00.000Z,2026-11-26T12:03:00.000Z,true,ROLLED_BACK,1,180,500,0.2,0,100,HIGH,REGION,false,,,,,',
      'Zed GmbH,eu,2026-11-26T12:00:00.000Z,2026-11-26T12:03:00.000Z,true,ROLLED_BACK,2,180,500,0.2,0,100,HIGH,REGION,false,,,,,',
      '"Acme, ""Intl""",us,2026-11-26T12:01:00.000Z,,false,,3,300,,,,,UNKNOWN,,false,,,,,',
      '',
    ]);
  });

  it('CSV: keeps a customer name that looks like a spreadsheet formula as text', () => {
    const formula = rankAffectedCustomers([customerImpact(row('=HYPERLINK("x")', 'us', 1, null), 'down', t(6))]);
    expect(affectedCustomersCsv(formula).split('\r\n')[1]).toBe(
      `"'=HYPERLINK(""x"")",us,2026-11-26T12:01:00.000Z,,false,,1,300,,,,,UNKNOWN,,false,,,,,`,
    );
  });

  it('JSON: the report with ISO times and every ranking field, in rank order', () => {
    const json = affectedCustomersJson({
      rolloutId: 'r1',
      service: 'shop',
      generatedAt: t(6),
      metricsError: 'the metrics could not be read (refused)',
      customers: ranked,
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual({
      rolloutId: 'r1',
      service: 'shop',
      generatedAt: '2026-11-26T12:06:00.000Z',
      metricsError: 'the metrics could not be read (refused)',
      customers: [
        expect.objectContaining({
          rank: 1,
          customer: 'Acme, "Intl"',
          region: 'eu',
          severity: 'HIGH',
          // the region's 1,000 requests and 200 bad ones, shared with Zed GmbH
          requests: 500,
          badRequestsEstimate: 100,
          note: "the region's requests split evenly among its 2 customers measured by them",
        }),
        expect.objectContaining({ rank: 2, customer: 'Zed GmbH', exposedUntil: '2026-11-26T12:03:00.000Z' }),
        {
          rank: 3,
          customer: 'Acme, "Intl"',
          region: 'us',
          exposedFrom: '2026-11-26T12:01:00.000Z',
          exposedUntil: null,
          exposedSeconds: 300,
          rolledBack: false,
          endedBy: null,
          requests: null,
          errorRate: null,
          baselineErrorRate: null,
          badRequestsEstimate: null,
          severity: 'UNKNOWN',
          measuredBy: null,
          note: 'the metrics could not be read (refused)',
          observed: null,
        },
      ],
    });
  });
});

describe('observed, not only exposed: customers the scenario gates saw failing', () => {
  const exposedOnly = (customer: string, errors: number) =>
    customerImpact(row(customer), { source: 'REGION', during: counts(1000, errors), baseline: counts(1000, 0) }, NOW);
  const impacts = [exposedOnly('Acme', 300), exposedOnly('Initech', 0), exposedOnly('Hooli', 0)];
  const seen = (customer: string, region: string, failures: number) => ({
    customer,
    region,
    scenarios: ['checkout'],
    failures,
    runs: failures,
    firstFailureAt: t(1),
    lastFailureAt: t(3),
  });
  const observed = [seen('Initech', 'eu', 4), seen('Hooli', 'us', 9)];

  it('attaches each customer’s failed journeys in that region only, and ranks those seen failing first', () => {
    const ranked = rankAffectedCustomers(withObservedJourneys(impacts, observed));
    expect(ranked.map((c) => [c.customer, c.rank, c.observed?.failures ?? null])).toEqual([
      ['Initech', 1, 4],
      // measured errors come next; Hooli failed in another region than this row's
      ['Acme', 2, null],
      ['Hooli', 3, null],
    ]);
  });

  it('CSV and JSON show what was observed beside what was exposed', () => {
    const ranked = rankAffectedCustomers(withObservedJourneys(impacts, observed));
    const line = affectedCustomersCsv(ranked).split('\r\n')[1].split(',');
    expect(line.slice(0, 2)).toEqual(['Initech', 'eu']);
    expect(line.slice(-6)).toEqual([
      'true',
      'checkout',
      '2026-11-26T12:01:00.000Z',
      '2026-11-26T12:03:00.000Z',
      '4',
      '4',
    ]);
    const json = affectedCustomersJson({
      rolloutId: 'r',
      service: 's',
      generatedAt: NOW,
      metricsError: null,
      customers: ranked,
    });
    expect(json.customers[0].observed).toEqual({
      scenarios: ['checkout'],
      failures: 4,
      runs: 4,
      firstFailureAt: '2026-11-26T12:01:00.000Z',
      lastFailureAt: '2026-11-26T12:03:00.000Z',
    });
    expect(json.customers[1].observed).toBeNull();
  });
});
