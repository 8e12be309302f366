import { DEV_TOKENS } from '../../apps/gateway/src/auth/token-registry';
import { DEFAULT_REGIONS } from '../../apps/region-sim/src/region-fleet';
import type { MonitoringKind } from '../../libs/platform/src/monitoring-servers';
import type { Database } from '../../libs/platform/src/postgres';
import type { DevPorts } from '../dev';
import { monitoringOffNotice } from './monitoring';

export interface BannerFacts {
  seconds: number;
  ports: DevPorts;
  gatewayUrl: string;
  regionSimUrl: string;
  temporalUiUrl?: string;
  temporalAddress: string;
  database: Database;
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  startedMonitoring: { prometheus: boolean; alertmanager: boolean };
  missingMonitoring: MonitoringKind[];
  demoService: string;
}

const row = (name: string, value: string) => `  ${name.padEnd(13)}${value}`;

/** Where everything is, the dev tokens, and a first rollout to try. */
export function printBanner(f: BannerFacts): void {
  const { gatewayUrl, regionSimUrl, ports } = f;
  const monitoringRows = [
    f.prometheusUrl
      ? row(
          'Prometheus',
          `${f.prometheusUrl}${f.startedMonitoring.prometheus ? '  (scrapes region-sim, gateway, worker)' : '  (PROMETHEUS_URL)'}`,
        )
      : undefined,
    f.alertmanagerUrl
      ? row(
          'Alertmanager',
          `${f.alertmanagerUrl}${f.startedMonitoring.alertmanager ? '  (sends alerts to /hooks/alertmanager)' : '  (ALERTMANAGER_URL)'}`,
        )
      : undefined,
  ].filter((r): r is string => Boolean(r));
  const example = JSON.stringify({
    query: `mutation { startRollout(input: {service: "${f.demoService}", version: "v1", config: {greeting: "hello"}}) { id status workflowId } }`,
  });
  const lines = [
    '',
    `Sluice is up (${f.seconds.toFixed(1)}s).`,
    row('rollout board', `${gatewayUrl}/ui  (sign in with a dev token below)`),
    row('GraphQL', `${gatewayUrl}/graphql`),
    row('explorer', `${gatewayUrl}/explorer`),
    row('Temporal UI', f.temporalUiUrl ?? `(external Temporal at ${f.temporalAddress})`),
    row('region-sim', `${regionSimUrl}/regions`),
    ...monitoringRows,
    row('metrics', `${gatewayUrl}/metrics  http://127.0.0.1:${ports.workerMetrics}/metrics  ${regionSimUrl}/metrics`),
    row('SDK metrics', `http://127.0.0.1:${ports.workerSdkMetrics}/metrics  (the worker's Temporal SDK)`),
    row(
      'PostgreSQL',
      f.database.embedded
        ? `embedded, 127.0.0.1:${ports.postgres}, data in ${f.database.dataDir ?? '.data/postgres'}`
        : 'DATABASE_URL',
    ),
    ...(f.missingMonitoring.length ? ['', ...monitoringOffNotice(f.missingMonitoring)] : []),
    '',
    'Development mode: these tokens work here and nowhere else.',
    `  admin         Authorization: Bearer ${DEV_TOKENS.admin.token}`,
    `  approver      Authorization: Bearer ${DEV_TOKENS.approver.token}`,
    `  alertmanager  Authorization: Bearer ${DEV_TOKENS.alertmanager.token}  (monitor: halts through the hooks, nothing else)`,
    '',
    `A service "${f.demoService}" with ${DEFAULT_REGIONS.length} simulated regions is registered. From another terminal:`,
    `  npx sluice login --server ${gatewayUrl} --token ${DEV_TOKENS.admin.token}`,
    `  npx sluice rollout start ${f.demoService} --version v1 --config examples/demo/config/v1.json --strategy bakeSeconds=5,approvalAfterCanary=false --wait`,
    `or with curl: curl -s ${gatewayUrl}/graphql -H 'content-type: application/json' -H 'authorization: Bearer ${DEV_TOKENS.admin.token}' -d '${example}'`,
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
