import { startAppStack, type AppStack } from '../support/app-stack';
import { readRollout, registerService, startRollout } from '../support/fixtures';
import { eventually, graphql } from '../support/graphql-client';
import { tokenOf } from '../support/test-tokens';
import { readUntil } from '../support/eventually';

const REGIONS = ['am-canary-1', 'am-west-1', 'am-west-2'];

function alert(overrides: Record<string, unknown> & { labels: Record<string, string> }) {
  return {
    status: 'firing',
    annotations: { summary: 'error ratio above 5%' },
    startsAt: '2026-11-26T10:00:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=errors',
    fingerprint: 'f00dfeed',
    ...overrides,
  };
}

const payload = (alerts: unknown[]) => ({
  version: '4',
  groupKey: '{}:{alertname="HighErrorRate"}',
  status: 'firing',
  receiver: 'sluice',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://127.0.0.1:9093',
  alerts,
});

describe('halts from Alertmanager webhooks', () => {
  let stack: AppStack;
  const service = `hooked-${Date.now()}`;

  const post = (body: unknown, as: string | null = 'alertmanager') =>
    fetch(`${stack.gateway.url}/hooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(as ? { authorization: `Bearer ${tokenOf(as)}` } : {}) },
      body: JSON.stringify(body),
    });
  const rollout = (id: string) => readRollout(stack, id);
  const startAndWaitForApproval = async (version: string) => {
    const id = await startRollout(stack, {
      service,
      version,
      config: { v: version },
      strategy: { canaryMaxShare: 0.4, growthFactor: 4, bakeSeconds: 0 },
    });
    await eventually(
      async () => {
        const live = await graphql<{ rolloutLive: { phase: string } }>(
          stack.gateway.url,
          `{ rolloutLive(id: "${id}") { phase } }`,
        );
        return live.data?.rolloutLive.phase === 'AWAITING_APPROVAL' ? true : undefined;
      },
      { what: 'the approval gate' },
    );
    return id;
  };

  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS });
    await registerService(stack, service, REGIONS);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses callers without a token, without the right role, or with a payload that is not Alertmanager’s', async () => {
    expect((await post(payload([]), null)).status).toBe(401);
    expect((await post(payload([]), 'viewer')).status).toBe(403);
    const bad = await post({ version: '3', status: 'firing', alerts: [] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT', fields: [{ field: 'version' }] } });
  });

  it('leaves a rollout alone for an alert in a region it has not touched, and halts it for one in its canary', async () => {
    const id = await startAndWaitForApproval('v1');

    const elsewhere = await post(
      payload([
        alert({ fingerprint: 'elsewhere', labels: { alertname: 'HighErrorRate', service, region: 'am-west-2' } }),
      ]),
    );
    expect(await elsewhere.json()).toEqual({ queued: 1, duplicates: 0, ignored: 0, unmatched: [] });
    await eventually(
      async () => {
        const { rows } = await stack.pool.query("SELECT outcome FROM halt_requests WHERE fingerprint = 'elsewhere'");
        return rows[0]?.outcome ?? undefined;
      },
      { what: 'the delivery' },
    ).then((outcome) => expect(outcome).toBe('NOT_AFFECTED'));
    expect((await rollout(id)).status).toBe('ROLLING');

    // a region label that names none of the service's regions, and a service Sluice does not know
    const unknown = await post(
      payload([
        alert({ fingerprint: 'zone', labels: { alertname: 'HighErrorRate', service, region: 'am-canary-1a' } }),
        alert({ fingerprint: 'nosvc', labels: { alertname: 'HighErrorRate', service: 'no-such-service' } }),
      ]),
    );
    expect(await unknown.json()).toEqual({
      queued: 0,
      duplicates: 0,
      ignored: 0,
      unmatched: [
        { fingerprint: 'zone', service, region: 'am-canary-1a', why: 'UNKNOWN_REGION' },
        { fingerprint: 'nosvc', service: 'no-such-service', region: null, why: 'UNKNOWN_SERVICE' },
      ],
    });
    const unmatchedMetrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    expect(unmatchedMetrics).toMatch(/sluice_alerts_unmatched_total\{why="UNKNOWN_REGION"\} 1/);
    expect(unmatchedMetrics).toMatch(/sluice_alerts_unmatched_total\{why="UNKNOWN_SERVICE"\} 1/);
    expect((await rollout(id)).status).toBe('ROLLING');

    const resolved = await post(
      payload([alert({ status: 'resolved', labels: { alertname: 'HighErrorRate', service, region: 'am-canary-1' } })]),
    );
    expect(await resolved.json()).toEqual({ queued: 0, duplicates: 0, ignored: 1, unmatched: [] });

    const firing = alert({ labels: { alertname: 'HighErrorRate', service, region: 'am-canary-1', severity: 'page' } });
    expect(await (await post(payload([firing]))).json()).toEqual({
      queued: 1,
      duplicates: 0,
      ignored: 0,
      unmatched: [],
    });
    const stopped = await eventually(
      async () => {
        const r = await rollout(id);
        return r.status === 'ROLLED_BACK' ? r : undefined;
      },
      { what: 'the rollback' },
    );
    expect(stopped.stopReason).toBe('halted by alertmanager: HighErrorRate firing in am-canary-1');
    const halted = stopped.events.find((e) => e.type === 'RolloutHalted');
    expect(halted?.data).toMatchObject({
      source: 'alertmanager',
      by: 'alertmanager',
      alert: {
        alertname: 'HighErrorRate',
        fingerprint: 'f00dfeed',
        startsAt: '2026-11-26T10:00:00Z',
        generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=errors',
        summary: 'error ratio above 5%',
      },
    });

    // Alertmanager repeats notifications: the same alert again is a recognised duplicate.
    expect(await (await post(payload([firing]))).json()).toEqual({
      queued: 0,
      duplicates: 1,
      ignored: 0,
      unmatched: [],
    });
    expect((await rollout(id)).events.filter((e) => e.type === 'RolloutHalted')).toHaveLength(1);

    // Both are counted once the workflow has answered the halt, which may trail its events.
    const metrics = await readUntil(
      async () => (await fetch(`${stack.gateway.url}/metrics`)).text(),
      (text) => /sluice_alert_deliveries_total\{outcome="HALTED"\} 1/.test(text),
      { what: 'the HALTED delivery to be counted', show: () => 'not counted yet' },
    );
    expect(metrics).toMatch(/sluice_halt_latency_seconds_count 1/);
    expect(metrics).toMatch(/sluice_alert_deliveries_total\{outcome="HALTED"\} 1/);
  });

  it('halts through the generic /hooks/halt too, and refuses malformed or oversized bodies', async () => {
    const id = await startAndWaitForApproval('v2');
    const halt = (body: unknown) =>
      fetch(`${stack.gateway.url}/hooks/halt`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf('alertmanager')}` },
        body: JSON.stringify(body),
      });
    expect((await halt({ service })).status).toBe(400);
    const huge = await halt({ service, reason: 'x'.repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);

    const first = await halt({ service, reason: 'synthetic checks failing', id: 'pingdom-123' });
    expect(await first.json()).toEqual({ queued: 1, duplicates: 0, ignored: 0, unmatched: [] });
    expect(await (await halt({ service, reason: 'synthetic checks failing', id: 'pingdom-123' })).json()).toEqual({
      queued: 0,
      duplicates: 1,
      ignored: 0,
      unmatched: [],
    });
    const stopped = await eventually(
      async () => {
        const r = await rollout(id);
        return r.status === 'ROLLED_BACK' ? r : undefined;
      },
      { what: 'the rollback' },
    );
    expect(stopped.stopReason).toBe('halted by hook: synthetic checks failing');
    // a hook request is stored as one, with its reason, not as an alert
    const { rows } = await stack.pool.query(
      "SELECT source, reason, alert, outcome FROM halt_requests WHERE reason = 'synthetic checks failing'",
    );
    expect(rows).toEqual([{ source: 'hook', reason: 'synthetic checks failing', alert: null, outcome: 'HALTED' }]);
  });

  it('halts for a Grafana-managed alert on the same endpoint (webhook contact point, payload version 1)', async () => {
    const id = await startAndWaitForApproval('v3');
    const labels = { alertname: 'High error ratio', service, region: 'am-canary-1', grafana_folder: 'Payments' };
    const grafana = {
      receiver: 'sluice',
      status: 'firing',
      orgId: 1,
      alerts: [
        {
          status: 'firing',
          labels,
          annotations: { summary: 'error ratio above 5%' },
          startsAt: '2026-12-03T09:51:03.157076+02:00',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'https://grafana.example/alerting/grafana/1afz29v7z/view?orgId=1',
          fingerprint: 'c6eadffa33fcdf37',
          silenceURL: 'https://grafana.example/alerting/silence/new?alertmanager=grafana&orgId=1',
          dashboardURL: '',
          panelURL: '',
          values: { B: 0.0723, C: 1 },
          valueString: "[ var='B' labels={region=am-canary-1} value=0.0723 ]",
        },
      ],
      groupLabels: { alertname: 'High error ratio' },
      commonLabels: labels,
      commonAnnotations: { summary: 'error ratio above 5%' },
      externalURL: 'https://grafana.example/',
      version: '1',
      groupKey: '{}/{__grafana_autogenerated__="true"}:{alertname="High error ratio"}',
      truncatedAlerts: 0,
      title: '[FIRING:1] High error ratio (am-canary-1)',
      state: 'alerting',
      message: '**Firing**\n\nValue: B=0.0723, C=1\n',
    };
    expect(await (await post(grafana)).json()).toEqual({ queued: 1, duplicates: 0, ignored: 0, unmatched: [] });
    const stopped = await eventually(
      async () => {
        const r = await rollout(id);
        return r.status === 'ROLLED_BACK' ? r : undefined;
      },
      { what: 'the rollback' },
    );
    expect(stopped.stopReason).toBe('halted by alertmanager: High error ratio firing in am-canary-1');
    expect(stopped.events.find((e) => e.type === 'RolloutHalted')?.data).toMatchObject({
      alert: { alertname: 'High error ratio', fingerprint: 'c6eadffa33fcdf37', summary: 'error ratio above 5%' },
    });
  });
});
