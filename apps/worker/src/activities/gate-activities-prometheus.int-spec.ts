import { canaryGateSchema } from '../../../../libs/domain/src';
import { readUntil } from '../../../../test/support/eventually';
import { describeWithMonitoring, startPrometheus, type PrometheusServer } from '../../../../test/support/prometheus';
import {
  startExporter,
  activityEnvironment,
  inActivity,
  activitiesFor,
  refs,
  gate,
} from '../../../../test/support/gate-activities';

describeWithMonitoring(['prometheus'], 'gate evaluation against a real Prometheus', () => {
  let prometheus: PrometheusServer;
  let exporter: Awaited<ReturnType<typeof startExporter>>;
  let activities: ReturnType<typeof activitiesFor>;
  const env = () => activityEnvironment(30_000, 10_000);

  /** Sets the exposition text, then waits until Prometheus has scraped it (`check` reads 1). */
  const expose = async (text: string, check: string) => {
    exporter.set(text);
    await readUntil(
      async () => {
        const body = (await (
          await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(check)}`)
        ).json()) as { data?: { result: Array<{ value: [number, string] }> } };
        return body.data?.result[0]?.value[1];
      },
      (v) => v === '1',
      { what: `Prometheus to scrape ${check}`, timeoutMs: 60_000, intervalMs: 250 },
    );
  };

  beforeAll(async () => {
    exporter = await startExporter();
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${exporter.port}`] });
    activities = activitiesFor(prometheus.url);
    await expose(
      [
        'spec_failed{region="r1"} 7',
        'spec_ok{region="r1"} 0',
        'spec_failed{region="r2"} 0',
        'spec_ok{region="r2"} 0',
        'spec_failed{region="r3"} 1',
        'spec_ok{region="r3"} 99',
      ].join('\n') + '\n',
      'count(spec_ok) == bool 3',
    );
  }, 90_000);
  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.close();
  });

  describe('sample values as Prometheus means them', () => {
    const ratio = gate({
      kind: 'prometheus',
      name: 'failures',
      query: 'spec_failed{region="{{region}}"} / spec_ok{region="{{region}}"}',
      comparison: '<',
      threshold: 0.05,
      noData: 'pass',
    });

    it('fails a region that fails every request: n/0 is +Inf, not missing data', async () => {
      const [r1] = await inActivity(env(), activities.evaluateGates, {
        wave: 1,
        service: 'api',
        regions: refs(['r1']),
        gates: [ratio],
      });
      expect(r1).toMatchObject({ region: 'r1', verdict: 'FAIL', value: '+Inf', detail: '+Inf not < 0.05' });
    });

    it('calls 0/0 (NaN) no data for that series, and says so', async () => {
      const [r2, r3] = await inActivity(env(), activities.evaluateGates, {
        wave: 1,
        service: 'api',
        regions: refs(['r2', 'r3']),
        gates: [ratio],
      });
      expect(r2).toMatchObject({
        region: 'r2',
        verdict: 'NO_DATA',
        noData: 'pass',
        detail: expect.stringMatching(/NaN/),
      });
      expect(r3).toMatchObject({ region: 'r3', verdict: 'PASS', value: 0.010101010101010102 });
    });
  });

  describe('precheck', () => {
    it('finds a syntax error in a prometheus query and in each canary query; accepts good ones', async () => {
      const problems = await inActivity(env(), activities.checkGates, {
        service: 'api',
        regions: refs(['r1', 'r2']),
        gates: [
          gate({
            kind: 'prometheus',
            name: 'ok',
            query: 'spec_ok{region="{{region}}"}',
            comparison: '>',
            threshold: 0,
          }),
          gate({ kind: 'prometheus', name: 'broken', query: 'sum(rate(', comparison: '<', threshold: 1 }),
          gate({ kind: 'canary', name: 'judge' }),
          gate({ kind: 'canary', name: 'bad-events', eventsQuery: 'spec_failed{region=~"{{regions}}"' }),
          gate({ kind: 'canary', name: 'bad-requests', requestsQuery: 'rate(spec_ok{region=~"{{regions}}"})' }),
        ],
      });
      expect(problems).toEqual([
        { gate: 'broken', problem: expect.stringMatching(/^Prometheus refused "sum\(rate\(": .*parse error/) },
        { gate: 'bad-events', problem: expect.stringMatching(/^eventsQuery: Prometheus refused .*parse error/) },
        { gate: 'bad-requests', problem: expect.stringMatching(/^requestsQuery: Prometheus refused .*range vector/) },
      ]);
    });
  });

  describe('canary counters series by series', () => {
    const canary = canaryGateSchema.parse({
      kind: 'canary',
      name: 'judge',
      requestsQuery: 'spec_requests_total{region=~"{{regions}}"}',
      eventsQuery: 'spec_requests_total{region=~"{{regions}}",code="500"}',
    });
    const series = (region: string, code: string) =>
      `{__name__="spec_requests_total",code="${code}",instance="127.0.0.1:${exporter.port}",job="region-sim",region="${region}"}`;
    const exposition = (values: Record<string, number>) =>
      Object.entries(values)
        .map(([key, value]) => {
          const [region, code] = key.split('/');
          return `spec_requests_total{region="${region}",code="${code}"} ${value}`;
        })
        .join('\n') + '\n';

    it('reads each counter per series, keyed by its labels, with the totals their sums', async () => {
      await expose(
        exposition({ 'c1/200': 100, 'c1/500': 5, 'b1/200': 1000, 'b2/200': 2000, 'b2/500': 10 }),
        'spec_requests_total{region="b2",code="500"} == bool 10',
      );
      const read = await inActivity(env(), activities.readCanaryCounts, {
        gate: canary,
        service: 'api',
        canaryRegions: ['c1'],
        baselineRegions: ['b1', 'b2'],
      });
      expect(read).toEqual({
        totals: { canaryRequests: 105, canaryEvents: 5, baselineRequests: 3010, baselineEvents: 10 },
        series: {
          canaryRequests: { [series('c1', '200')]: 100, [series('c1', '500')]: 5 },
          canaryEvents: { [series('c1', '500')]: 5 },
          baselineRequests: { [series('b1', '200')]: 1000, [series('b2', '200')]: 2000, [series('b2', '500')]: 10 },
          baselineEvents: { [series('b2', '500')]: 10 },
        },
      });
    });

    it('reads the baseline window per series, counting a series reset in the window from zero', async () => {
      await expose(
        exposition({ 'c1/200': 100, 'c1/500': 5, 'b1/200': 1000, 'b2/200': 2000, 'b2/500': 10 }),
        'spec_requests_total{region="b2",code="500"} == bool 10',
      );
      const windowStart = Date.now();
      await new Promise((r) => setTimeout(r, 1_500));
      // c1/200 grew by 50, c1/500 by 2; b1's process restarted (1000 → 30); b2/200 grew by 500,
      // and b3 appeared within the window
      await expose(
        exposition({ 'c1/200': 150, 'c1/500': 7, 'b1/200': 30, 'b2/200': 2500, 'b2/500': 10, 'b3/500': 4 }),
        'spec_requests_total{region="b3",code="500"} == bool 4',
      );
      await new Promise((r) => setTimeout(r, 1_500));
      const at = Date.now();
      const windowSeconds = (at - windowStart) / 1000;
      const read = await inActivity(env(), activities.readCanaryBaseline, {
        gate: canary,
        service: 'api',
        canaryRegions: ['c1'],
        baselineRegions: ['b1', 'b2', 'b3'],
        at,
        windowSeconds,
      });
      expect(read).toEqual({
        counts: { canaryRequests: 52, canaryEvents: 2, baselineRequests: 30 + 500 + 4, baselineEvents: 4 },
        windowSeconds,
      });
    }, 60_000);

    it('has no baseline where the canary has no counters', async () => {
      const read = await inActivity(env(), activities.readCanaryBaseline, {
        gate: canary,
        service: 'api',
        canaryRegions: ['nowhere'],
        baselineRegions: ['b1'],
        at: Date.now(),
        windowSeconds: 60,
      });
      expect(read).toEqual({ noData: expect.stringMatching(/canary/) });
    });
  });
});
