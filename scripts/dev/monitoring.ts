import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  findMonitoringBinary,
  monitoringInstallHint,
  startAlertmanager,
  startPrometheus,
  type MonitoringKind,
  type MonitoringServer,
} from '../../libs/platform/src/monitoring-servers';

export interface DevMonitoringPlan {
  prometheusPort: number;
  alertmanagerPort: number;
  /** Every gateway's port: each is scraped, and Alertmanager sends every alert to each. */
  gatewayPorts: number[];
  workerMetricsPorts: number[];
  /** The Temporal SDK's worker metrics (WORKER_SDK_METRICS_PORT), per worker. */
  workerSdkMetricsPorts: number[];
  /** The Temporal server's own processes (npm run cluster). */
  temporalMetricsPorts?: number[];
  regionSimPort: number;
  /** The token Alertmanager presents to the webhook. */
  token: string;
  /** Which to run (one may be external, by PROMETHEUS_URL or ALERTMANAGER_URL). */
  only: { prometheus: boolean; alertmanager: boolean };
}

export interface DevMonitoring {
  prometheus?: MonitoringServer;
  alertmanager?: MonitoringServer;
  stop(): Promise<void>;
}

const loopback = (ports: number[]) => ports.map((port) => `127.0.0.1:${port}`);

/** Which of Prometheus and Alertmanager this machine lacks. */
export function missingMonitoring(): MonitoringKind[] {
  return (['prometheus', 'alertmanager'] as const).filter((kind) => !findMonitoringBinary(kind));
}

/** What the banner says is off without them, and how to get them. */
export function monitoringOffNotice(missing: MonitoringKind[]): string[] {
  return [
    `Off: ${missing.join(' and ')} not found (PATH, PROMETHEUS_BIN, ALERTMANAGER_BIN), so ${
      missing.includes('prometheus')
        ? 'prometheus and canary gates, incident verdicts, and alerts from Prometheus'
        : 'the alerts gate and halts from Alertmanager'
    } are out of reach.`,
    `  Get them: ${monitoringInstallHint(missing)}; then npm start again.`,
  ];
}

/**
 * Prometheus scraping region-sim, the gateway and the worker, with Sluice's rules and the
 * region-sim alert; Alertmanager sending every alert to the gateway's webhook. Data under
 * `dataDir`. Either is left out when its binary is missing.
 */
export async function startDevMonitoring(
  root: string,
  dataDir: string,
  plan: DevMonitoringPlan,
): Promise<DevMonitoring> {
  const started: MonitoringServer[] = [];
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop()));
  };
  try {
    let alertmanager: MonitoringServer | undefined;
    if (plan.only.alertmanager) {
      alertmanager = await startAlertmanager({
        dataDir: join(dataDir, 'alertmanager'),
        port: plan.alertmanagerPort,
        webhookUrl: plan.gatewayPorts.map((port) => `http://127.0.0.1:${port}/hooks/alertmanager`),
        token: plan.token,
      });
      started.push(alertmanager);
    }
    let prometheus: MonitoringServer | undefined;
    if (plan.only.prometheus) {
      const rules = ['sluice-rules.yml', 'region-sim-rules.yml'].map((file) =>
        readFileSync(join(root, 'deploy', 'prometheus', file), 'utf8'),
      );
      prometheus = await startPrometheus({
        dataDir: join(dataDir, 'prometheus'),
        port: plan.prometheusPort,
        jobs: [
          { name: 'region-sim', targets: [`127.0.0.1:${plan.regionSimPort}`] },
          { name: 'sluice-gateway', targets: loopback(plan.gatewayPorts) },
          { name: 'sluice-worker', targets: loopback(plan.workerMetricsPorts) },
          { name: 'temporal-sdk', targets: loopback(plan.workerSdkMetricsPorts) },
          ...(plan.temporalMetricsPorts?.length
            ? [{ name: 'temporal-server', targets: loopback(plan.temporalMetricsPorts) }]
            : []),
        ],
        rules,
        alertmanager: alertmanager ? new URL(alertmanager.url).host : undefined,
      });
      started.push(prometheus);
    }
    return { prometheus, alertmanager, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
