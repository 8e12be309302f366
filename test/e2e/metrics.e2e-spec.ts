import { buildInfo } from '../../libs/platform/src/process-metrics';
import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, startRollout, waitForApproval, waitForRollout } from '../support/fixtures';
import { graphql, readUntil } from '../support/graphql-client';
import { metricTypes, parseMetrics, sampleValue } from '../support/metrics-text';
import { familyOf, metricNamesIn } from '../support/promql-names';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { testServices } from '../support/test-env';
import { OBSERVED_SDK_METRICS } from '../support/temporal-sdk-metrics';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../libs/platform/src/project-root';

const REGIONS = ['mx-canary-1', 'mx-west-1', 'mx-west-2', 'mx-west-3'];

/**
 * The worker's and the gateway's /metrics scraped for real, with PostgreSQL and Temporal each
 * behind a proxy the spec cuts: a dependency outage shows as a gauge, never as a failed scrape.
 */
describe('metrics that follow Prometheus conventions', () => {
  let stack: AppStack;
  let postgres: TcpProxy;
  let temporal: TcpProxy;
  const service = `metered-${Date.now()}`;

  beforeAll(async () => {
    const services = testServices();
    const db = new URL(services.databaseUrl);
    postgres = await startTcpProxy(db.hostname, Number(db.port));
    const [temporalHost, temporalPort] = services.temporalAddress.split(':');
    temporal = await startTcpProxy(temporalHost, Number(temporalPort));
    db.host = `127.0.0.1:${postgres.port}`;
    stack = await startAppStack({
      regions: REGIONS,
      databaseUrl: db.toString(),
      temporalAddress: `127.0.0.1:${temporal.port}`,
      metricsRefreshSeconds: 1,
    });
    await registerService(stack, service, REGIONS);
  }, 120_000);
  afterAll(async () => {
    postgres?.heal();
    temporal?.heal();
    await stack?.stop();
    await postgres?.close();
    await temporal?.close();
  });

  const scrape = async (url: string) => {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, text: await res.text() };
  };
  const gateway = () => scrape(stack.gateway.url);
  const worker = () => scrape(stack.worker!.metricsUrl);

  it('exports the standard process_ and nodejs_ metrics unprefixed, and sluice_build_info, from both processes', async () => {
    for (const { status, text } of [await gateway(), await worker()]) {
      expect(status).toBe(200);
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
      expect(text).toMatch(/^process_start_time_seconds /m);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
      expect(text).not.toMatch(/^sluice_(worker|gateway)_/m);
      const info = parseMetrics(text).filter((s) => s.name === 'sluice_build_info');
      expect(info).toEqual([
        {
          name: 'sluice_build_info',
          labels: expect.objectContaining({ version: buildInfo().version, node_version: process.version }),
          value: 1,
        },
      ]);
    }
  });

  it('exports every metric the Grafana dashboard and the alert rules query (or Prometheus or the Temporal SDK does)', async () => {
    const root = projectRoot(__dirname);
    const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/sluice-dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const rules = parse(readFileSync(join(root, 'deploy/prometheus/sluice-rules.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const queries = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
      ...rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
    ];
    expect(queries.length).toBeGreaterThan(20);
    const exported = new Set([
      ...metricTypes((await gateway()).text).keys(),
      ...metricTypes((await worker()).text).keys(),
      ...OBSERVED_SDK_METRICS,
      'up', // Prometheus's own, per target
    ]);
    const queried = new Set(queries.flatMap(({ expr }) => metricNamesIn(expr)));
    expect([...queried]).toEqual(
      expect.arrayContaining([
        'sluice_push_duration_seconds_bucket',
        'process_cpu_seconds_total',
        'temporal_request_total',
      ]),
    );
    const missing = queries.flatMap(({ where, expr }) =>
      metricNamesIn(expr)
        .filter((name) => !exported.has(familyOf(name, exported)))
        .map((name) => `${name} (${where})`),
    );
    expect(missing).toEqual([]);
  });

  it('counts a rollout started once and finished once; the gateway alone reports its wave, approval and region versions', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'v-metered',
      config: { greeting: 'hi' },
      strategy: { canaryMaxShare: 0.25, growthFactor: 4, bakeSeconds: 0, approvalAfterCanary: true },
      gates: [],
    });
    await waitForApproval(stack, id);
    const waiting = await readUntil(
      gateway,
      ({ text }) => sampleValue(text, 'sluice_rollouts_awaiting_approval', { service }) === 1,
      {
        what: 'the gateway to report the rollout awaiting approval',
        show: ({ text }) => text.split('\n').filter((l) => l.includes(service)),
      },
    );
    expect(sampleValue(waiting.text, 'sluice_waves_in_progress', { service })).toBe(1);
    expect(
      sampleValue(waiting.text, 'sluice_region_config_info', { service, region: REGIONS[0], version: 'v-metered' }),
    ).toBe(1);
    expect(sampleValue(waiting.text, 'sluice_rollouts_rollback_failed')).toBe(0);
    expect(parseMetrics(waiting.text).find((s) => s.name === 'sluice_rollouts_rollback_failed')?.labels).toEqual({});

    const during = await worker();
    expect(during.text).not.toMatch(/^sluice_waves_in_progress/m);
    expect(during.text).not.toMatch(/^sluice_rollouts_started_total/m);
    expect(sampleValue(waiting.text, 'sluice_rollouts_started_total', { service })).toBe(1);
    expect(
      sampleValue(during.text, 'sluice_push_duration_seconds_count', { service, kind: 'http', outcome: 'succeeded' }),
    ).toBe(1);

    const abort = await graphql(
      stack.gateway.url,
      `mutation { abortRollout(id: "${id}", reason: "metrics seen") { status } }`,
      {},
      'carol',
    );
    expect(abort.errors).toBeUndefined();
    await waitForRollout(stack, id, ['ABORTED', 'ROLLED_BACK']);
    const after = await readUntil(
      worker,
      ({ text }) => sampleValue(text, 'sluice_rollouts_finished_total', { service }) !== undefined,
      {
        what: 'the worker to count the finished rollout',
      },
    );
    const finished = parseMetrics(after.text).filter(
      (s) => s.name === 'sluice_rollouts_finished_total' && s.labels.service === service,
    );
    expect(finished).toEqual([
      { name: 'sluice_rollouts_finished_total', labels: { service, outcome: 'rolled_back' }, value: 1 },
    ]);
    expect(sampleValue((await gateway()).text, 'sluice_rollouts_started_total', { service })).toBe(1);
    expect(after.text).not.toMatch(/^sluice_rollouts_total/m);
    const settled = await readUntil(
      gateway,
      ({ text }) => sampleValue(text, 'sluice_waves_in_progress', { service }) === undefined,
      {
        what: 'the gateway to stop reporting the rollout’s wave',
      },
    );
    expect(sampleValue(settled.text, 'sluice_rollouts_awaiting_approval', { service })).toBeUndefined();
  });

  it('answers /metrics with sluice_dependency_up{dependency="temporal"} 0 while Temporal is unreachable', async () => {
    temporal.cut();
    try {
      const down = await readUntil(
        gateway,
        ({ text }) => sampleValue(text, 'sluice_dependency_up', { dependency: 'temporal' }) === 0,
        {
          what: 'the gateway to report Temporal down',
          timeoutMs: 60_000,
          show: ({ status, text }) => ({ status, text: text.slice(0, 300) }),
        },
      );
      expect(down.status).toBe(200);
      expect(sampleValue(down.text, 'sluice_dependency_up', { dependency: 'postgresql' })).toBe(1);
    } finally {
      temporal.heal();
    }
    await readUntil(
      gateway,
      ({ text }) => sampleValue(text, 'sluice_dependency_up', { dependency: 'temporal' }) === 1,
      {
        what: 'the gateway to report Temporal back',
        timeoutMs: 60_000,
      },
    );
  });

  it('keeps the worker live and both /metrics answering while PostgreSQL is down', async () => {
    postgres.cut();
    try {
      const healthz = await fetch(`${stack.worker!.metricsUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
      expect(healthz.status).toBe(200);
      const workerMetrics = await worker();
      expect(workerMetrics.status).toBe(200);
      const down = await readUntil(
        gateway,
        ({ text }) => sampleValue(text, 'sluice_dependency_up', { dependency: 'postgresql' }) === 0,
        {
          what: 'the gateway to report PostgreSQL down',
          timeoutMs: 60_000,
          show: ({ status, text }) => ({ status, text: text.slice(0, 300) }),
        },
      );
      expect(down.status).toBe(200);
    } finally {
      postgres.heal();
    }
  });
});
