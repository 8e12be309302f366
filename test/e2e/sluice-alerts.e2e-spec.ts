import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startAppStack, type AppStack } from '../support/app-stack';
import { readUntil } from '../support/eventually';
import { describeWithMonitoring, startPrometheus, type PrometheusServer } from '../support/prometheus';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { testServices } from '../support/test-env';

interface Alert {
  labels: Record<string, string>;
  state: string;
}

/**
 * Sluice's own alert rules in a real Prometheus scraping a real gateway: with Temporal gone,
 * the gateway still answers its scrapes, so the outage shows as SluiceDependencyDown for
 * temporal, never as SluiceGatewayDown.
 */
describeWithMonitoring(['prometheus'], 'Sluice’s alert rules on a real Prometheus scraping the gateway', () => {
  let stack: AppStack;
  let temporal: TcpProxy;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    const [host, port] = testServices().temporalAddress.split(':');
    temporal = await startTcpProxy(host, Number(port));
    stack = await startAppStack({ regions: ['al-canary-1'], temporalAddress: `127.0.0.1:${temporal.port}` });
    prometheus = await startPrometheus({
      targets: [],
      jobs: [{ name: 'sluice-gateway', targets: [new URL(stack.gateway.url).host] }],
      rules: readFileSync(join(projectRoot(__dirname), 'deploy/prometheus/sluice-rules.yml'), 'utf8'),
    });
  }, 120_000);
  afterAll(async () => {
    temporal?.heal();
    await prometheus?.stop();
    await stack?.stop();
    await temporal?.close();
  });

  const query = async <T>(path: string) =>
    ((await (await fetch(`${prometheus.url}${path}`)).json()) as { data: T }).data;

  it('raises SluiceDependencyDown{dependency="temporal"} while the gateway stays up', async () => {
    await readUntil(
      () => query<{ result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent('up{job="sluice-gateway"} == 1')}`),
      (data) => data.result.length === 1,
      { what: 'Prometheus to scrape the gateway', timeoutMs: 30_000 },
    );
    temporal.cut();
    const { alerts } = await readUntil(
      () => query<{ alerts: Alert[] }>('/api/v1/alerts'),
      (data) => data.alerts.some((a) => a.labels.alertname === 'SluiceDependencyDown'),
      { what: 'SluiceDependencyDown to be pending', timeoutMs: 60_000 },
    );
    expect(alerts.map((a) => ({ ...a.labels, state: a.state }))).toEqual([
      { alertname: 'SluiceDependencyDown', dependency: 'temporal', severity: 'page', state: 'pending' },
    ]);
    const up = await query<{ result: Array<{ value: [number, string] }> }>(
      `/api/v1/query?query=${encodeURIComponent('up{job="sluice-gateway"}')}`,
    );
    expect(up.result.map((r) => r.value[1])).toEqual(['1']);
  });
});
