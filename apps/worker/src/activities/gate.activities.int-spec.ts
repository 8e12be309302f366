import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { canaryGateSchema, gateSpecSchema, type GateSpec } from '../../../../libs/domain/src';
import { AlertmanagerClient, HttpRegionClient, PrometheusClient } from '../../../../libs/targets/src';
import { readUntil } from '../../../../test/support/eventually';
import { describeWithMonitoring, startPrometheus, type PrometheusServer } from '../../../../test/support/prometheus';
import { createGateActivities } from './gate.activities';

/** A scrape target whose exposition text the spec sets. */
async function startExporter(): Promise<{ port: number; set(text: string): void; close(): Promise<void> }> {
  let text = '';
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    set: (t) => (text = t),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** "Prometheus does not answer": accepts the connection, never responds. */
async function startHangingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An activity's context as the worker gives it under GATE_EVALUATION-like options (no schedule-to-close). */
const activityEnvironment = (startToCloseTimeoutMs: number, heartbeatTimeoutMs: number) =>
  new MockActivityEnvironment({
    scheduledTimestampMs: Date.now(),
    currentAttemptScheduledTimestampMs: Date.now(),
    scheduleToCloseTimeoutMs: 0,
    startToCloseTimeoutMs,
    heartbeatTimeoutMs,
  });

/** Runs an activity as the worker would: in an activity context, with its timeouts. */
function inActivity<A, R>(context: MockActivityEnvironment, activity: (input: A) => Promise<R>, input: A): Promise<R> {
  return context.run(activity, input) as Promise<R>;
}

const nowhere = 'http://127.0.0.1:1';
const activitiesFor = (prometheusUrl: string) =>
  createGateActivities(new HttpRegionClient(), new PrometheusClient(prometheusUrl), new AlertmanagerClient(nowhere));
const REGIONS = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'];
const refs = (names: string[]) => names.map((region) => ({ region, endpoint: nowhere }));
const gate = (spec: Record<string, unknown>): GateSpec => gateSpecSchema.parse(spec);

describe('gate evaluation against a Prometheus that does not answer', () => {
  let hanging: { url: string; close(): Promise<void> };
  beforeAll(async () => (hanging = await startHangingServer()));
  afterAll(() => hanging.close());

  // The worker's budget for one evaluation: a 10 s start-to-close, heartbeats due every 3 s.
  const env = () => activityEnvironment(10_000, 3_000);

  it('answers NO_DATA for every region of 8 within the activity’s time, following noData, heartbeating meanwhile', async () => {
    const activities = activitiesFor(hanging.url);
    const context = env();
    const beats: number[] = [];
    context.on('heartbeat', () => beats.push(Date.now()));
    const started = Date.now();
    const results = await inActivity(context, activities.evaluateGates, {
      wave: 1,
      service: 'api',
      regions: refs(REGIONS),
      gates: [
        gate({ kind: 'prometheus', name: 'errors', query: 'up{region="{{region}}"}', comparison: '<', threshold: 1 }),
        gate({ kind: 'prometheus', name: 'latency', query: 'up', comparison: '<', threshold: 1, noData: 'pass' }),
      ],
    });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(10_000);
    expect(results).toHaveLength(16);
    // 8 at a time: the first gate's 8 regions waited out the hang together; the budget was
    // gone before the second gate's turn, and they say so
    for (const r of results) expect(r.verdict).toBe('NO_DATA');
    expect(results.filter((r) => r.gate === 'errors').map((r) => r.detail)).toEqual(
      REGIONS.map(() => expect.stringMatching(/^Prometheus at .* did not answer/)),
    );
    expect(results.filter((r) => r.gate === 'latency').map((r) => r.detail)).toEqual(
      REGIONS.map(() => expect.stringMatching(/did not answer|time ran out before its turn/)),
    );
    expect(results.filter((r) => r.gate === 'errors').map((r) => r.noData)).toEqual(REGIONS.map(() => 'pause'));
    expect(results.filter((r) => r.gate === 'latency').map((r) => r.noData)).toEqual(REGIONS.map(() => 'pass'));
    expect(new Set(results.map((r) => `${r.gate}/${r.region}`)).size).toBe(16);
    // no gap between heartbeats as long as the heartbeat timeout
    const gaps = [started, ...beats, started + elapsed]
      .slice(1)
      .map((t, i, all) => t - (i === 0 ? started : all[i - 1]));
    expect(Math.max(...gaps)).toBeLessThan(3_000);
  }, 30_000);

  it('answers a whole bake tick within the activity’s time: per-region NO_DATA and the canary’s noData', async () => {
    const activities = activitiesFor(hanging.url);
    const started = Date.now();
    const tick = await inActivity(env(), activities.evaluateTick, {
      wave: 1,
      service: 'api',
      regions: refs(REGIONS),
      gates: [gate({ kind: 'prometheus', name: 'errors', query: 'up', comparison: '<', threshold: 1 })],
      canaries: [
        {
          gate: canaryGateSchema.parse({ kind: 'canary', name: 'canary' }),
          canaryRegions: ['r1'],
          baselineRegions: ['r2'],
        },
      ],
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(tick.evaluations.map((e) => e.verdict)).toEqual(REGIONS.map(() => 'NO_DATA'));
    expect(tick.canaryCounts).toEqual([{ noData: expect.stringMatching(/did not answer/) }]);
  }, 30_000);

  it('reads the canary counters as no data within the activity’s time', async () => {
    const activities = activitiesFor(hanging.url);
    const started = Date.now();
    const read = await inActivity(env(), activities.readCanaryCounts, {
      gate: canaryGateSchema.parse({ kind: 'canary', name: 'canary' }),
      service: 'api',
      canaryRegions: ['r1'],
      baselineRegions: ['r2', 'r3'],
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(read).toEqual({ noData: expect.stringMatching(/did not answer/) });
  }, 30_000);

  it('reads the baseline as no data within the activity’s time', async () => {
    const activities = activitiesFor(hanging.url);
    const started = Date.now();
    const read = await inActivity(env(), activities.readCanaryBaseline, {
      gate: canaryGateSchema.parse({ kind: 'canary', name: 'canary' }),
      service: 'api',
      canaryRegions: ['r1'],
      baselineRegions: ['r2'],
      at: Date.now(),
      windowSeconds: 3_600,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(read).toEqual({ noData: expect.stringMatching(/did not answer/) });
  }, 30_000);

  it('does not call a Prometheus it cannot reach a misconfiguration: the precheck could not be made', async () => {
    const activities = activitiesFor(hanging.url);
    const checked = inActivity(env(), activities.checkGates, {
      service: 'api',
      regions: refs(['r1']),
      gates: [
        gate({ kind: 'prometheus', name: 'errors', query: 'up', comparison: '<', threshold: 1, timeoutMs: 500 }),
        gate({ kind: 'canary', name: 'canary', timeoutMs: 500 }),
      ],
    });
    await expect(checked).rejects.toMatchObject({
      type: 'METRICS_UNAVAILABLE',
      nonRetryable: false,
      message: expect.stringMatching(/^Prometheus at .* did not answer/),
    });
  }, 30_000);

  it('lets gates whose policy passes on no data through a Prometheus it cannot reach', async () => {
    const activities = activitiesFor(hanging.url);
    const problems = await inActivity(env(), activities.checkGates, {
      service: 'api',
      regions: refs(['r1']),
      gates: [
        gate({
          kind: 'prometheus',
          name: 'errors',
          query: 'up',
          comparison: '<',
          threshold: 1,
          timeoutMs: 500,
          noData: 'pass',
        }),
        gate({ kind: 'canary', name: 'canary', timeoutMs: 500, noData: 'pass' }),
      ],
    });
    expect(problems).toEqual([]);
  }, 30_000);
});

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
