import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, readRollout, startRollout, waitForRollout } from '../support/fixtures';
import { authorizedConnection, webConfig } from '../support/monitoring-auth';
import { describeWithMonitoring, startPrometheus, type PrometheusServer } from '../support/prometheus';
import { tokenOf } from '../support/test-tokens';

const REGIONS = ['ma-canary-1', 'ma-west-1', 'ma-west-2'];

describeWithMonitoring(['prometheus'], 'the worker and the gateway reach a Prometheus behind basic auth', () => {
  let prometheus: PrometheusServer;
  let stack: AppStack;
  const service = `monauth-${Date.now()}`;

  beforeAll(async () => {
    prometheus = await startPrometheus({ targets: [], web: webConfig() });
    stack = await startAppStack({ regions: REGIONS, prometheus: authorizedConnection(prometheus.url) });
    await registerService(stack, service, REGIONS);
  });
  afterAll(async () => {
    await stack?.stop();
    await prometheus?.stop();
  });

  it('gates a rollout on it (worker) and draws its error rates (gateway) with the same connection', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'v1',
      config: { v: 1 },
      strategy: { canaryMaxShare: 0.4, growthFactor: 4, bakeSeconds: 1, approvalAfterCanary: false },
      gates: [
        {
          kind: 'prometheus',
          name: 'reachable',
          query: 'sum(up{region="{{region}}"}) or vector(0)',
          comparison: '<',
          threshold: 1,
        },
      ],
      gateIntervalSeconds: 1,
    });
    await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED']);
    const rollout = await readRollout(stack, id);
    expect(rollout.status).toBe('SUCCEEDED');
    const verdicts = rollout.events.filter((e) => e.type === 'HealthGateEvaluated').map((e) => e.data.verdict);
    expect(verdicts.length).toBeGreaterThan(0);
    expect(new Set(verdicts)).toEqual(new Set(['PASS']));

    const rates = await fetch(`${stack.gateway.url}/api/rollouts/${id}/error-rates?step=15`, {
      headers: { authorization: `Bearer ${tokenOf('viewer')}` },
    });
    expect(rates.status).toBe(200);
    expect(await rates.json()).toMatchObject({ service, changed: { regions: REGIONS } });
  });
});
