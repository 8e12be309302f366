import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { freePort } from '../../libs/platform/src/free-port';
import { startAppStack, type AppStack } from '../support/app-stack';
import {
  registerService,
  startRollout,
  waitForApproval,
  waitForRollout,
  type RegionFixture,
} from '../support/fixtures';
import { postAlerts } from '../support/alertmanager-webhook';
import { eventually, graphql } from '../support/graphql-client';
import { describeWithMonitoring, startPrometheus, type PrometheusServer } from '../support/prometheus';
import { tokenOf } from '../support/test-tokens';

/**
 * The three incident scenarios on the real stack: region-sim per service (metrics labelled
 * with the service), a real Prometheus scraping them every second, the worker and gateway
 * against the real Temporal and PostgreSQL. Windows are 20 s each side of a change.
 */
const SPAN_SECONDS = 20;
const suffix = Date.now().toString(36);
const FAULTY = { faults: { errorRate: 0.3 } };
const HARMLESS = { feature: 'on' };

interface Scenario {
  service: string;
  regions: RegionFixture[];
  sim?: RegionSim;
}

const regionsOf = (prefix: string, customers: Record<string, string[]> = {}): RegionFixture[] =>
  ['canary', 'west', 'east', 'south'].map((name, i) => ({
    name: `${prefix}-${name}`,
    tier: i === 0 ? 'CANARY' : 'STANDARD',
    customers: customers[name] ?? [],
  }));

const shop: Scenario = {
  service: `shop-${suffix}`,
  regions: regionsOf('ins1', { canary: ['Acme Corp', 'Globex'], west: ['Initech'] }),
};
const search: Scenario = { service: `search-${suffix}`, regions: regionsOf('ins2') };
const pay: Scenario = { service: `pay-${suffix}`, regions: regionsOf('ins3') };
const cart: Scenario = { service: `cart-${suffix}`, regions: regionsOf('ins3') };
const SCENARIOS = [shop, search, pay, cart];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Per-customer metrics, as a service with a `customer` label would have them: here only
 * Globex (in shop's canary) has series, its region's requests with twice the errors, so it
 * outranks Acme Corp, which falls back to the region's rate.
 */
const globex = (matchers: string) =>
  `label_replace(sum by (region) (increase(sluice_sim_requests_total{service="{{service}}",region="ins1-canary"${matchers}}[{{range}}])), "customer", "Globex", "", "")`;
const PER_CUSTOMER = {
  customerRequestsQuery: globex(''),
  customerErrorsQuery: `2 * ${globex(',code=~"5.."')}`,
};

const CUSTOMER_FIELDS = /* GraphQL */ `
  rank customer region exposedFrom exposedUntil exposedSeconds rolledBack endedBy
  requests errorRate baselineErrorRate badRequestsEstimate severity measuredBy note
`;

const SUSPECT_FIELDS = /* GraphQL */ `
  rank
  score
  likelyCause
  rolloutId
  verdict
  change { service region kind toVersion }
  explanation {
    text minutesBeforeAlert testStatistic shiftStrength controlDegradedShare proximity scope
    errors { before { requests events } after { requests events } beforeRate afterRate ratio eValue degraded }
  }
  assessment { verdict summary regions { region changed degraded } }
  affectedCustomers { ${CUSTOMER_FIELDS} }
`;

interface SuspectView {
  rank: number;
  score: number;
  likelyCause: boolean;
  rolloutId: string;
  verdict: string;
  change: { service: string; region: string; kind: string; toVersion: string };
  explanation: {
    text: string;
    minutesBeforeAlert: number;
    testStatistic: number;
    shiftStrength: number;
    controlDegradedShare: number;
    proximity: number;
    scope: number;
    errors: {
      before: { requests: number; events: number };
      after: { requests: number; events: number };
      beforeRate: number;
      afterRate: number;
      ratio: number;
      eValue: number;
      degraded: boolean;
    };
  };
  assessment: {
    verdict: string;
    summary: string;
    regions: Array<{ region: string; changed: boolean; degraded: boolean }>;
  };
  affectedCustomers: CustomerView[];
}

interface CustomerView {
  rank: number;
  customer: string;
  region: string;
  exposedFrom: string;
  exposedUntil: string | null;
  exposedSeconds: number;
  rolledBack: boolean;
  endedBy: string | null;
  requests: number | null;
  errorRate: number | null;
  baselineErrorRate: number | null;
  badRequestsEstimate: number | null;
  severity: string;
  measuredBy: string | null;
  note: string | null;
}

interface IncidentView {
  service: string;
  region: string;
  regionChanges: Array<{ rolloutId: string; kind: string }>;
  serviceChanges: Array<{ rolloutId: string }>;
  recentChanges: Array<{ rolloutId: string }>;
  suspects: SuspectView[];
  verdict: { verdict: string; summary: string; rolloutId: string | null; evidence: { pivot: string } | null };
}

const SUITE = 'incident insight on the real stack (Prometheus, region-sim, Temporal, PostgreSQL)';

describeWithMonitoring(['prometheus'], SUITE, () => {
  let prometheus: PrometheusServer;
  let stack: AppStack;
  const rollouts: Record<string, string> = {};
  let prometheusStopped = false;

  const canary = (s: Scenario) => s.regions[0].name;

  const incident = async (labels: Record<string, string>, startsAt = new Date()) => {
    const res = await graphql<{ incident: IncidentView }>(
      stack.gateway.url,
      /* GraphQL */ `
        query ($alert: AlertInput!) {
          incident(alert: $alert) {
            service region
            regionChanges { rolloutId kind }
            serviceChanges { rolloutId }
            recentChanges { rolloutId }
            suspects { ${SUSPECT_FIELDS} }
            verdict { verdict summary rolloutId evidence { pivot } }
          }
        }
      `,
      { alert: { labels, startsAt: startsAt.toISOString() } },
      'viewer',
    );
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!.incident;
  };

  const start = (s: Scenario, version: string, config: Record<string, unknown>) =>
    startRollout(stack, {
      service: s.service,
      version,
      config,
      strategy: { canaryMaxShare: 0.4, growthFactor: 4, bakeSeconds: 1, approvalAfterCanary: true },
      gates: [],
    });

  const halt = (s: Scenario) =>
    postAlerts(stack.gateway.url, [
      {
        labels: { alertname: 'HighErrorRate', service: s.service, region: canary(s) },
        fingerprint: `insight-${s.service}`,
      },
    ]);

  beforeAll(async () => {
    const ports = await Promise.all(SCENARIOS.map(() => freePort()));
    prometheus = await startPrometheus({ targets: ports.map((p) => `127.0.0.1:${p}`) });
    // the stack's own region-sim is not scraped: every scenario has its own, labelled by service
    stack = await startAppStack({
      regions: ['ins-unused'],
      prometheusUrl: prometheus.url,
      insight: { spanSeconds: SPAN_SECONDS, ...PER_CUSTOMER },
    });
    for (const [i, s] of SCENARIOS.entries()) {
      s.sim = await startRegionSim({ regions: s.regions.map((r) => r.name), port: ports[i], service: s.service });
      await registerService(stack, s.service, s.regions, s.sim.url);
    }
    await eventually(
      async () => {
        const query = encodeURIComponent('count(rate(sluice_sim_requests_total{code="200"}[5s]) > 0)');
        const body = (await (await fetch(`${prometheus.url}/api/v1/query?query=${query}`)).json()) as {
          data: { result: Array<{ value: [number, string] }> };
        };
        return Number(body.data.result[0]?.value[1] ?? 0) >= 16 ? true : undefined;
      },
      { what: 'Prometheus to scrape every region of every scenario', timeoutMs: 60_000, intervalMs: 500 },
    );
    // a full window of healthy traffic before any change
    await sleep((SPAN_SECONDS + 2) * 1000);

    // 1. a faulty config in shop's canary; 2. a harmless change to search, then an outage of a
    // dependency every search region shares; 3. pay's faulty change, then cart's harmless one
    // closer to the alert, both in region ins3-canary.
    [rollouts.shop, rollouts.search, rollouts.pay] = await Promise.all([
      start(shop, 'v2-faulty', FAULTY),
      start(search, 'v2-harmless', HARMLESS),
      start(pay, 'v7-faulty', FAULTY),
    ]);
    await Promise.all([rollouts.shop, rollouts.search, rollouts.pay].map((id) => waitForApproval(stack, id)));
    await sleep(3_000);
    await fetch(`${search.sim!.url}/incident`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 0.3 }),
    });
    await sleep(2_000);
    rollouts.cart = await start(cart, 'v3-harmless', HARMLESS);
    await waitForApproval(stack, rollouts.cart);
    // a full window after every change
    await sleep((SPAN_SECONDS + 2) * 1000);
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    for (const s of SCENARIOS) await s.sim?.close();
    if (!prometheusStopped) await prometheus?.stop();
  });

  it('1. a faulty config in one region: that rollout is the top suspect, with its numbers, and the verdict is LIKELY_CHANGE', async () => {
    const result = await incident({ alertname: 'HighErrorRate', service: shop.service, region: canary(shop) });
    expect(result.regionChanges).toEqual([{ rolloutId: rollouts.shop, kind: 'PUSH' }]);
    expect(result.serviceChanges.map((c) => c.rolloutId)).toEqual([rollouts.shop]);
    expect(result.recentChanges.map((c) => c.rolloutId)).toEqual(
      expect.arrayContaining([rollouts.shop, rollouts.search, rollouts.pay, rollouts.cart]),
    );

    const [top] = result.suspects;
    expect(top).toMatchObject({ rank: 1, rolloutId: rollouts.shop, likelyCause: true, verdict: 'LIKELY_CHANGE' });
    expect(top.change).toEqual({ service: shop.service, region: canary(shop), kind: 'PUSH', toVersion: 'v2-faulty' });
    const { errors } = top.explanation;
    expect(errors.beforeRate).toBeLessThan(0.05);
    expect(errors.afterRate).toBeGreaterThan(0.15);
    expect(errors.before.requests).toBeGreaterThan(300);
    expect(errors.degraded).toBe(true);
    expect(top.explanation.testStatistic).toBeGreaterThanOrEqual(100);
    expect(top.explanation.controlDegradedShare).toBe(0);
    expect(top.explanation.minutesBeforeAlert).toBeGreaterThan(0);
    expect(top.explanation.minutesBeforeAlert).toBeLessThan(2);
    expect(top.explanation.text).toMatch(
      /^push of shop-\w+ v2-faulty to ins1-canary [\d.]+ min before the alert; errors /,
    );
    expect(top.score).toBeGreaterThanOrEqual(0.5);
    expect(top.assessment.regions.filter((r) => r.degraded).map((r) => r.region)).toEqual([canary(shop)]);

    expect(result.verdict).toMatchObject({ verdict: 'LIKELY_CHANGE', rolloutId: rollouts.shop });
    expect(result.verdict.summary).toBe(
      'regions degraded after their own push (ins1-canary); 0 of 3 without the change did',
    );
    // who is affected: the canary's customers, still exposed, Globex (twice the errors) first
    expect(
      top.affectedCustomers.map((c) => [c.rank, c.customer, c.region, c.exposedUntil, c.rolledBack, c.measuredBy]),
    ).toEqual([
      [1, 'Globex', canary(shop), null, false, 'CUSTOMER'],
      [2, 'Acme Corp', canary(shop), null, false, 'REGION'],
    ]);
    for (const c of top.affectedCustomers) expect(c.severity).toBe('HIGH');
  });

  it('2. a dependency outage across every region: the harmless rollout nearby is not blamed, the verdict is LIKELY_EXTERNAL', async () => {
    const result = await incident({ alertname: 'HighErrorRate', service: search.service, region: canary(search) });
    const [top] = result.suspects;
    expect(top).toMatchObject({ rolloutId: rollouts.search, likelyCause: false, verdict: 'LIKELY_EXTERNAL' });
    expect(top.explanation.errors.degraded).toBe(true);
    expect(top.explanation.controlDegradedShare).toBe(1);
    expect(top.score).toBeLessThan(0.5);
    expect(result.verdict.verdict).toBe('LIKELY_EXTERNAL');
    expect(result.verdict.summary).toMatch(/^3 of 3 regions without the change degraded too/);
  });

  it('3. two rollouts of different services in one region: the faulty one ranks first', async () => {
    const res = await graphql<{ suspects: SuspectView[] }>(
      stack.gateway.url,
      `query ($at: DateTime!) { suspects(region: "ins3-canary", at: $at, window: 30) { ${SUSPECT_FIELDS} } }`,
      { at: new Date().toISOString() },
      'viewer',
    );
    expect(res.errors).toBeUndefined();
    const [first, second] = res.data!.suspects;
    expect(res.data!.suspects).toHaveLength(2);
    expect(first).toMatchObject({ rank: 1, rolloutId: rollouts.pay, likelyCause: true });
    expect(second).toMatchObject({ rank: 2, rolloutId: rollouts.cart, likelyCause: false });
    // cart's change is the closer one, and still ranks lower
    expect(second.explanation.minutesBeforeAlert).toBeLessThan(first.explanation.minutesBeforeAlert);
    expect(second.explanation.proximity).toBeGreaterThan(first.explanation.proximity);
    expect(first.score).toBeGreaterThan(second.score);
  });

  it('records the verdict in the halt’s history and ranks the customers for outreach, in GraphQL, CSV and JSON', async () => {
    expect((await halt(shop)).status).toBe(200);
    expect((await halt(search)).status).toBe(200);
    const [shopDone, searchDone] = await Promise.all([
      waitForRollout(stack, rollouts.shop, ['ROLLED_BACK']),
      waitForRollout(stack, rollouts.search, ['ROLLED_BACK']),
    ]);
    const assessed = (view: typeof shopDone) => view.events.find((e) => e.type === 'HaltAssessed')?.data;
    expect(assessed(shopDone)).toMatchObject({ verdict: 'LIKELY_CHANGE', service: shop.service });
    expect(assessed(searchDone)).toMatchObject({ verdict: 'LIKELY_EXTERNAL', service: search.service });
    expect(shopDone.events.at(-1)!.type).toBe('RolloutRolledBack');

    const customers = await eventually(
      async () => {
        const res = await graphql<{ affectedCustomers: CustomerView[] }>(
          stack.gateway.url,
          `{ affectedCustomers(rolloutId: "${rollouts.shop}") { ${CUSTOMER_FIELDS} } }`,
          {},
          'viewer',
        );
        const rows = res.data?.affectedCustomers ?? [];
        return rows.length > 0 && rows.every((r) => r.rolledBack) ? rows : undefined;
      },
      { what: 'the rollback to reach the projections', timeoutMs: 20_000 },
    );
    // ranked for outreach: Globex's own series show twice the region's errors
    expect(customers.map((c) => [c.rank, c.customer, c.endedBy, c.measuredBy, c.severity])).toEqual([
      [1, 'Globex', 'ROLLED_BACK', 'CUSTOMER', 'HIGH'],
      [2, 'Acme Corp', 'ROLLED_BACK', 'REGION', 'HIGH'],
    ]);
    const [first, second] = customers;
    for (const c of customers) {
      expect(new Date(c.exposedUntil!) > new Date(c.exposedFrom)).toBe(true);
      const seconds = (new Date(c.exposedUntil!).getTime() - new Date(c.exposedFrom).getTime()) / 1000;
      expect(Math.abs(c.exposedSeconds - seconds)).toBeLessThanOrEqual(1);
      expect(c.baselineErrorRate!).toBeLessThan(0.05);
      expect(c.errorRate! - c.baselineErrorRate!).toBeGreaterThanOrEqual(0.05);
      expect(c.badRequestsEstimate!).toBeGreaterThan(0);
      expect(c.badRequestsEstimate!).toBeLessThanOrEqual(c.requests!);
    }
    expect(first.errorRate!).toBeGreaterThan(second.errorRate!);
    expect(first.badRequestsEstimate!).toBeGreaterThan(second.badRequestsEstimate!);
    expect(second.errorRate!).toBeGreaterThan(0.15);
    expect(second.note).toBe('no series for Acme Corp; region rate used');

    const viewer = { headers: { authorization: `Bearer ${tokenOf('viewer')}` } };
    const exportUrl = (id: string, ext: string) => `${stack.gateway.url}/rollouts/${id}/affected-customers.${ext}`;
    const text = (v: number | string | null) => (v === null ? '' : String(v));
    const csv = await fetch(exportUrl(rollouts.shop, 'csv'), viewer);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    // the original six columns first, the ranking appended
    expect(lines[0]).toBe(
      'customer,region,exposed_from,exposed_until,rolled_back,ended_by,' +
        'rank,exposed_seconds,requests,error_rate,baseline_error_rate,bad_requests_estimate,severity,measured_by,' +
        'observed_failing,failed_scenarios,first_failure,last_failure,journey_failures,journey_runs',
    );
    const cells = lines.slice(1).map((l) => l.split(','));
    expect(cells.map((c) => c.slice(0, 8))).toEqual(
      customers.map((c) => [
        c.customer,
        c.region,
        c.exposedFrom,
        c.exposedUntil,
        'true',
        'ROLLED_BACK',
        String(c.rank),
        String(c.exposedSeconds),
      ]),
    );
    expect(cells.map((c) => c.slice(12, 14))).toEqual(customers.map((c) => [c.severity, text(c.measuredBy)]));
    // no scenario gate ran: nobody was seen failing, only exposed
    expect(cells.map((c) => c.slice(14))).toEqual(customers.map(() => ['false', '', '', '', '', '']));
    for (const [i, c] of cells.entries()) {
      expect(Number(c[11])).toBeGreaterThan(0);
      expect(Number(c[9])).toBeGreaterThan(Number(c[10]));
      // read again from Prometheus, so close to the GraphQL answer, not equal
      expect(Math.abs(Number(c[9]) - customers[i].errorRate!)).toBeLessThan(0.1);
    }

    const json = await fetch(exportUrl(rollouts.shop, 'json'), viewer);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    const report = (await json.json()) as {
      rolloutId: string;
      service: string;
      metricsError: string | null;
      customers: CustomerView[];
    };
    expect(report).toMatchObject({ rolloutId: rollouts.shop, service: shop.service, metricsError: null });
    const row = (c: CustomerView) => [
      c.rank,
      c.customer,
      c.region,
      c.exposedFrom,
      c.exposedUntil,
      c.exposedSeconds,
      c.severity,
      c.measuredBy,
    ];
    expect(report.customers.map(row)).toEqual(customers.map(row));

    for (const ext of ['csv', 'json']) {
      expect((await fetch(exportUrl(rollouts.shop, ext))).status).toBe(401);
      const missing = await fetch(exportUrl('no-such-rollout', ext), viewer);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
      const tooLong = await fetch(exportUrl('x'.repeat(201), ext), viewer);
      expect(tooLong.status).toBe(400);
      expect(((await tooLong.json()) as { error: { code: string } }).error.code).toBe('BAD_USER_INPUT');
    }
    const blank = await graphql(stack.gateway.url, '{ affectedCustomers(rolloutId: " ") { rank } }', {}, 'viewer');
    expect(blank.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses an alert it cannot place, and bad windows, with BAD_USER_INPUT', async () => {
    const ask = (alert: unknown, window = 60) =>
      graphql(
        stack.gateway.url,
        'query ($alert: AlertInput!, $window: Int!) { incident(alert: $alert, window: $window) { service } }',
        { alert, window },
        'viewer',
      );
    const startsAt = new Date().toISOString();
    const cases = [
      [await ask({ labels: { alertname: 'x' }, startsAt }), 'the alert needs a "service" or a "region" label'],
      [await ask({ labels: { service: 3 }, startsAt }), /^alert.labels must be an object of string values/],
      [await ask({ labels: { service: shop.service }, startsAt }, 0), /^window must be a whole number of minutes/],
    ] as const;
    for (const [res, message] of cases) {
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].message).toMatch(message);
    }
    const anonymous = await graphql(
      stack.gateway.url,
      `{ suspects(region: "x", at: "${startsAt}") { rank } }`,
      {},
      null,
    );
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('still lists the affected customers, ranked by exposure, with severity UNKNOWN, when Prometheus is down', async () => {
    await prometheus.stop();
    prometheusStopped = true;
    const res = await graphql<{ affectedCustomers: CustomerView[] }>(
      stack.gateway.url,
      `{ affectedCustomers(rolloutId: "${rollouts.shop}") { ${CUSTOMER_FIELDS} } }`,
      {},
      'viewer',
    );
    expect(res.errors).toBeUndefined();
    const rows = res.data!.affectedCustomers;
    // same exposure: by name
    expect(rows.map((c) => [c.rank, c.customer, c.severity, c.badRequestsEstimate])).toEqual([
      [1, 'Acme Corp', 'UNKNOWN', null],
      [2, 'Globex', 'UNKNOWN', null],
    ]);
    for (const c of rows) expect(c.note).toMatch(/^the metrics could not be read/);
    const json = await fetch(`${stack.gateway.url}/rollouts/${rollouts.shop}/affected-customers.json`, {
      headers: { authorization: `Bearer ${tokenOf('viewer')}` },
    });
    expect(json.status).toBe(200);
    expect(((await json.json()) as { metricsError: string }).metricsError).toMatch(/^the metrics could not be read/);
  });
});
