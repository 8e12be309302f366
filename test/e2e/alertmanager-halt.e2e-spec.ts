import { freePort } from '../../libs/platform/src/free-port';
import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, startRollout, waitForRollout } from '../support/fixtures';
import {
  describeWithMonitoring,
  startAlertmanager,
  startPrometheus,
  type PrometheusServer,
} from '../support/prometheus';
import { tokenOf } from '../support/test-tokens';
import { eventually, readUntil } from '../support/eventually';

const REGIONS = ['ah-canary-1', 'ah-west-1', 'ah-west-2'];

/**
 * The whole monitoring loop, for real: region-sim's metrics → Prometheus (scraping every
 * second, rule: error ratio above 5% for 10 s) → Alertmanager (group_wait 1 s) → Sluice's
 * webhook → halt → rollback.
 */
describeWithMonitoring(['prometheus', 'alertmanager'], 'a halt that comes from Alertmanager, end to end', () => {
  let stack: AppStack;
  let prometheus: PrometheusServer;
  let alertmanager: PrometheusServer;
  const service = `alerted-${Date.now()}`;

  beforeAll(async () => {
    const [regionSimPort, prometheusPort, alertmanagerPort] = [await freePort(), await freePort(), await freePort()];
    stack = await startAppStack({
      regions: REGIONS,
      regionSimPort,
      prometheusUrl: `http://127.0.0.1:${prometheusPort}`,
      alertmanagerUrl: `http://127.0.0.1:${alertmanagerPort}`,
    });
    alertmanager = await startAlertmanager({
      port: alertmanagerPort,
      webhookUrl: `${stack.gateway.url}/hooks/alertmanager`,
      token: tokenOf('alertmanager'),
    });
    prometheus = await startPrometheus({
      port: prometheusPort,
      targets: [`127.0.0.1:${regionSimPort}`],
      alertmanager: `127.0.0.1:${alertmanagerPort}`,
      rules: [
        'groups:',
        '  - name: region-sim',
        '    rules:',
        '      - alert: HighErrorRate',
        '        expr: >-',
        '          sum by (region) (rate(sluice_sim_requests_total{code="500"}[10s]))',
        '          / sum by (region) (rate(sluice_sim_requests_total[10s])) > 0.05',
        '        for: 10s',
        `        labels: { service: ${service}, severity: page }`,
        '        annotations: { summary: "error ratio above 5%" }',
      ].join('\n'),
    });
    await registerService(stack, service, REGIONS);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await prometheus?.stop();
    await alertmanager?.stop();
  });

  it('halts the rollout, rolls the canary back, pushes no later wave, and records the alert', async () => {
    const rolloutId = await startRollout(stack, {
      service,
      version: 'v-errors',
      config: { faults: { errorRate: 0.4 } },
      // three waves, and a bake long enough that only monitoring can stop it in time
      strategy: { canaryMaxShare: 0.4, growthFactor: 2, bakeSeconds: 300, approvalAfterCanary: false },
    });

    const stopped = await waitForRollout(stack, rolloutId, ['ROLLED_BACK', 'SUCCEEDED']);

    expect(stopped.status).toBe('ROLLED_BACK');
    expect(stopped.stopReason).toBe('halted by alertmanager: HighErrorRate firing in ah-canary-1');
    const halted = stopped.events.find((e) => e.type === 'RolloutHalted')!;
    expect(halted.data).toMatchObject({
      source: 'alertmanager',
      by: 'alertmanager',
      alert: { alertname: 'HighErrorRate', summary: 'error ratio above 5%' },
    });
    const alert = halted.data.alert as { fingerprint: string; startsAt: string; generatorURL: string };
    expect(alert.fingerprint).toMatch(/^[0-9a-f]+$/);
    expect(Date.parse(alert.startsAt)).not.toBeNaN();
    expect(alert.generatorURL).toContain('/graph?g0.expr=');
    expect(stopped.events.filter((e) => e.type === 'WaveStarted')).toHaveLength(1);
    for (const region of REGIONS.slice(1)) expect(stack.regionSim.fleet.get(region)!.version).toBeNull();
    expect(stack.regionSim.fleet.get('ah-canary-1')!.version).toBeNull();
    expect(stack.regionSim.traffic.healthOf('ah-canary-1').errorRate).toBeLessThan(0.05);

    // The delivery is counted once the workflow has answered the halt, while the rollback runs.
    await readUntil(
      async () => (await fetch(`${stack.gateway.url}/metrics`)).text(),
      (metrics) => /sluice_alert_deliveries_total\{outcome="HALTED"\} [1-9]/.test(metrics),
      { what: 'the HALTED delivery to be counted', show: () => 'no HALTED delivery counted' },
    );
  });

  it('with a Prometheus gate, catches the same fault before the alert can fire', async () => {
    const gatedService = `${service}-promgate`;
    await registerService(stack, gatedService, REGIONS);
    const rolloutId = await startRollout(stack, {
      service: gatedService,
      version: 'v-errors-gated',
      config: { faults: { errorRate: 0.4 } },
      strategy: { canaryMaxShare: 0.4, growthFactor: 2, bakeSeconds: 300, approvalAfterCanary: false },
      gates: [
        {
          kind: 'prometheus',
          name: 'error-ratio',
          comparison: '<',
          threshold: 0.05,
          query:
            'sum(rate(sluice_sim_requests_total{region="{{region}}",code="500"}[5s])) / sum(rate(sluice_sim_requests_total{region="{{region}}"}[5s]))',
        },
      ],
      gateIntervalSeconds: 1,
    });
    const stopped = await waitForRollout(stack, rolloutId, ['ROLLED_BACK', 'SUCCEEDED']);
    // the gate, not the alert (whose rule needs 10 s of errors), stopped it
    expect(stopped.stopReason).toMatch(/^gate error-ratio failed in ah-canary-1: /);
    expect(stopped.events.map((e) => e.type)).not.toContain('RolloutHalted');
  });

  it('fails an alerts gate while Alertmanager has a firing alert for the service and region', async () => {
    const otherService = `${service}-gated`;
    await registerService(stack, otherService, REGIONS);
    // an alert raised directly in Alertmanager, as any other rule would
    const raised = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: { alertname: 'LatencyBudgetBurn', service: otherService, region: 'ah-canary-1' },
          annotations: { summary: 'p99 latency above budget' },
          startsAt: new Date().toISOString(),
          endsAt: new Date(Date.now() + 600_000).toISOString(),
        },
      ]),
    });
    expect(raised.status).toBe(200);
    // Alertmanager also sends it to Sluice's webhook (1 s group wait): let that find no rollout
    // first, or its halt races the gate. It is not sent again (repeat_interval 1h), and the same
    // alert again would be a duplicate of the recorded one.
    await eventually(
      async () => {
        const { rows } = await stack.pool.query<{ outcome: string | null }>(
          'SELECT outcome FROM halt_requests WHERE service = $1',
          [otherService],
        );
        return rows[0]?.outcome ?? undefined;
      },
      { what: 'the webhook to find no rollout of the gated service', timeoutMs: 30_000 },
    ).then((outcome) => expect(outcome).toBe('NO_RUNNING_ROLLOUT'));
    const rolloutId = await startRollout(stack, {
      service: otherService,
      version: 'v-gated',
      config: { fine: true },
      strategy: { canaryMaxShare: 0.4, growthFactor: 2, bakeSeconds: 10, approvalAfterCanary: false },
      gates: [{ kind: 'alerts', name: 'no-alerts' }],
      gateIntervalSeconds: 2,
    });
    const stopped = await waitForRollout(stack, rolloutId, ['ROLLED_BACK', 'SUCCEEDED', 'PAUSED']);
    expect(stopped.status).toBe('ROLLED_BACK');
    expect(stopped.stopReason).toMatch(/^gate no-alerts failed in ah-canary-1: firing: LatencyBudgetBurn/);
  });
});
