/**
 * `npm run cluster`: Sluice's production topology on one machine, as processes. PostgreSQL
 * (DATABASE_URL, else the embedded one) holds three databases: Temporal's, its visibility
 * store's and Sluice's. Temporal runs as separate frontend, history (two processes sharing the
 * shards), matching and worker processes built from source on first use; then two gateways,
 * two workers, region-sim, Prometheus and Alertmanager (routing to both gateways). Ctrl-C stops
 * it all, newest first; data stays under .data/cluster/.
 */
import { Runtime } from '@temporalio/worker';
import { join } from 'node:path';
import { DEV_TOKENS } from '../apps/gateway/src/auth/token-registry';
import { DEFAULT_GATEWAY_PORT } from '../apps/gateway/src/gateway.config';
import { DEFAULT_REGION_SIM_PORT } from '../apps/region-sim/src/region-sim.config';
import { DEFAULT_TASK_QUEUE } from '../libs/platform/src/config';
import { devDataDir, devPostgresPort } from '../libs/platform/src/dev-database';
import { migrateDatabase } from '../libs/platform/src/migrate';
import { stopChild } from '../libs/platform/src/monitoring-servers';
import { startDatabase } from '../libs/platform/src/postgres';
import { projectRoot } from '../libs/platform/src/project-root';
import { StartupError } from '../libs/platform/src/startup-error';
import {
  startTemporalCluster,
  temporalPostgresFrom,
  CLUSTER_PG_MAX_CONNECTIONS,
  temporalServerBinaries,
} from '../libs/platform/src/temporal-cluster';
import { PinoTemporalLogger } from '../libs/platform/src/temporal-logger';
import { SLUICE_SEARCH_ATTRIBUTES } from '../workflows/rollout.search-attributes';
import { devLogger } from './dev/child-output';
import { missingMonitoring, startDevMonitoring } from './dev/monitoring';
import { checkPorts, type PlannedPort } from './dev/preflight';
import { DEMO_SERVICE, portFrom, registerDemoService, Supervisor, waitForHttp } from './dev/supervisor';

const log = devLogger();
const root = projectRoot(__dirname);
const supervisor = new Supervisor(log, root);
const APP_STOP_GRACE_MS = 15_000;
const SLUICE_PROCESSES = 2;

function clusterPorts(env: NodeJS.ProcessEnv) {
  const gateway = portFrom(env, 'GATEWAY_PORT', DEFAULT_GATEWAY_PORT);
  const workerMetrics = portFrom(env, 'WORKER_METRICS_PORT', 9464);
  return {
    temporal: portFrom(env, 'SLUICE_TEMPORAL_PORT', 7233),
    temporalHttp: portFrom(env, 'SLUICE_TEMPORAL_HTTP_PORT', 7243),
    postgres: devPostgresPort(env),
    // gateway i on GATEWAY_PORT + i; worker i's metrics and SDK metrics on WORKER_METRICS_PORT + 2i and + 2i + 1
    gateways: Array.from({ length: SLUICE_PROCESSES }, (_, i) => gateway + i),
    workerMetrics: Array.from({ length: SLUICE_PROCESSES }, (_, i) => workerMetrics + 2 * i),
    workerSdkMetrics: Array.from({ length: SLUICE_PROCESSES }, (_, i) => workerMetrics + 2 * i + 1),
    regionSim: portFrom(env, 'REGION_SIM_PORT', DEFAULT_REGION_SIM_PORT),
    prometheus: portFrom(env, 'SLUICE_PROMETHEUS_PORT', 9090),
    alertmanager: portFrom(env, 'SLUICE_ALERTMANAGER_PORT', 9093),
  };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const env = process.env;
  Runtime.install({ logger: new PinoTemporalLogger(log) });
  if (env.TEMPORAL_ADDRESS) {
    throw new StartupError(
      'START_FAILED',
      'npm run cluster runs its own Temporal cluster: unset TEMPORAL_ADDRESS (npm start uses an external one)',
    );
  }
  const ports = clusterPorts(env);
  const missing = missingMonitoring();
  if (missing.length > 0) {
    log.warn(`${missing.join(' and ')} not found: the cluster runs without (halts from Alertmanager need both)`);
  }
  const planned: PlannedPort[] = [
    { port: ports.temporal, what: 'the Temporal frontend', variable: 'SLUICE_TEMPORAL_PORT' },
    { port: ports.temporalHttp, what: "the Temporal frontend's HTTP API", variable: 'SLUICE_TEMPORAL_HTTP_PORT' },
    ...ports.gateways.map((port, i) => ({ port, what: `gateway ${i + 1}`, variable: 'GATEWAY_PORT' })),
    ...[...ports.workerMetrics, ...ports.workerSdkMetrics].map((port) => ({
      port,
      what: "a worker's metrics",
      variable: 'WORKER_METRICS_PORT',
    })),
    { port: ports.regionSim, what: 'region-sim', variable: 'REGION_SIM_PORT' },
    ...(env.DATABASE_URL ? [] : [{ port: ports.postgres, what: 'PostgreSQL', variable: 'SLUICE_PG_PORT' }]),
    ...(missing.includes('prometheus')
      ? []
      : [{ port: ports.prometheus, what: 'Prometheus', variable: 'SLUICE_PROMETHEUS_PORT' }]),
    ...(missing.includes('alertmanager')
      ? []
      : [{ port: ports.alertmanager, what: 'Alertmanager', variable: 'SLUICE_ALERTMANAGER_PORT' }]),
  ];
  await checkPorts(planned);

  log.info('the Temporal server binaries (built from source into .tools/ on first use, about 4 minutes)');
  const binaries = temporalServerBinaries(root);

  const dataDir = join(devDataDir(root, env), 'cluster');
  log.info(env.DATABASE_URL ? 'using DATABASE_URL' : `starting embedded PostgreSQL on port ${ports.postgres}`);
  const database = await startDatabase({
    dataDir: join(dataDir, 'postgres'),
    port: ports.postgres,
    persistent: true,
    maxConnections: CLUSTER_PG_MAX_CONNECTIONS,
  });
  await supervisor.add('PostgreSQL', () => database.stop());
  await migrateDatabase(database.url, root);
  log.info("Sluice's migrations applied");

  const temporal = await startTemporalCluster({
    projectRoot: root,
    binaries,
    postgres: temporalPostgresFrom(database.url),
    dataDir: join(dataDir, 'temporal'),
    frontendPort: ports.temporal,
    frontendHttpPort: ports.temporalHttp,
    searchAttributes: SLUICE_SEARCH_ATTRIBUTES,
    log: (line) => log.info(line),
  });
  await supervisor.add('Temporal', () => temporal.stop());
  supervisor.watch(temporal.processes.map((p) => ({ name: `temporal ${p.name}`, child: p.child()! })));
  log.info(`Temporal serves at ${temporal.address}`);

  const monitoring = await startDevMonitoring(root, dataDir, {
    prometheusPort: ports.prometheus,
    alertmanagerPort: ports.alertmanager,
    gatewayPorts: ports.gateways,
    workerMetricsPorts: ports.workerMetrics,
    workerSdkMetricsPorts: ports.workerSdkMetrics,
    temporalMetricsPorts: temporal.processes.map((p) => p.ports.metrics),
    regionSimPort: ports.regionSim,
    token: DEV_TOKENS.alertmanager.token,
    only: { prometheus: !missing.includes('prometheus'), alertmanager: !missing.includes('alertmanager') },
  });
  await supervisor.add('Prometheus and Alertmanager', () => monitoring.stop());

  const appEnv: NodeJS.ProcessEnv = {
    ...env,
    TEMPORAL_ADDRESS: temporal.address,
    DATABASE_URL: database.url,
    SLUICE_TASK_QUEUE: env.SLUICE_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    REGION_SIM_PORT: String(ports.regionSim),
    REGION_SIM_SERVICE: env.REGION_SIM_SERVICE ?? DEMO_SERVICE,
    PROMETHEUS_URL: monitoring.prometheus?.url,
    ALERTMANAGER_URL: monitoring.alertmanager?.url,
    SLUICE_MODE: env.SLUICE_MODE ?? 'development',
  };
  for (const key of ['PROMETHEUS_URL', 'ALERTMANAGER_URL'] as const) if (!appEnv[key]) delete appEnv[key];
  const apps = [
    supervisor.spawnApp('region-sim', appEnv),
    ...ports.workerMetrics.map((port, i) =>
      supervisor.spawnApp(
        'worker',
        { ...appEnv, WORKER_METRICS_PORT: String(port), WORKER_SDK_METRICS_PORT: String(ports.workerSdkMetrics[i]) },
        `worker-${i + 1}`,
      ),
    ),
    ...ports.gateways.map((port, i) =>
      supervisor.spawnApp('gateway', { ...appEnv, GATEWAY_PORT: String(port) }, `gateway-${i + 1}`),
    ),
  ];
  await supervisor.add('region-sim, the workers and the gateways', async () => {
    await Promise.all(apps.map((child) => stopChild(child, APP_STOP_GRACE_MS)));
  });

  const gatewayUrls = ports.gateways.map((port) => `http://127.0.0.1:${port}`);
  const regionSimUrl = `http://127.0.0.1:${ports.regionSim}`;
  await waitForHttp(`${regionSimUrl}/healthz`, 'region-sim', apps);
  for (const [i, url] of gatewayUrls.entries()) await waitForHttp(`${url}/healthz`, `gateway ${i + 1}`, apps);
  await registerDemoService(gatewayUrls[0], regionSimUrl);

  const row = (name: string, value: string) => `  ${name.padEnd(15)}${value}`;
  const lines = [
    '',
    `Sluice's production topology is up (${((Date.now() - t0) / 1000).toFixed(1)}s): every part a separate process.`,
    ...gatewayUrls.map((url, i) => row(`gateway ${i + 1}`, `${url}/graphql  ${url}/ui  ${url}/metrics`)),
    ...ports.workerMetrics.map((port, i) =>
      row(
        `worker ${i + 1}`,
        `http://127.0.0.1:${port}/metrics  http://127.0.0.1:${ports.workerSdkMetrics[i]}/metrics (SDK)`,
      ),
    ),
    row('Temporal', `${temporal.address} (frontend gRPC), http://127.0.0.1:${ports.temporalHttp} (HTTP API)`),
    ...temporal.processes.map((p) =>
      row(`  ${p.name}`, `gRPC 127.0.0.1:${p.ports.grpc}, metrics http://127.0.0.1:${p.ports.metrics}/metrics`),
    ),
    row('Temporal logs', join(dataDir, 'temporal', '<process>.log')),
    row('region-sim', `${regionSimUrl}/regions`),
    ...(monitoring.prometheus ? [row('Prometheus', monitoring.prometheus.url)] : []),
    ...(monitoring.alertmanager
      ? [row('Alertmanager', `${monitoring.alertmanager.url}  (sends every alert to both gateways)`)]
      : []),
    row(
      'PostgreSQL',
      `${database.embedded ? `embedded, 127.0.0.1:${ports.postgres}` : 'DATABASE_URL'}: databases sluice, temporal, temporal_visibility`,
    ),
    '',
    `Tokens (SLUICE_MODE=${appEnv.SLUICE_MODE}): admin ${DEV_TOKENS.admin.token}, approver ${DEV_TOKENS.approver.token}`,
    `A service "${DEMO_SERVICE}" is registered. Try:`,
    `  npx sluice login --server ${gatewayUrls[0]} --token ${DEV_TOKENS.admin.token}`,
    `  npx sluice rollout start ${DEMO_SERVICE} --version v1 --config examples/demo/config/v1.json --strategy bakeSeconds=5,approvalAfterCanary=false --wait`,
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

supervisor.run(main);
