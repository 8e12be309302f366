/**
 * `npm start`: Sluice with embedded defaults on one machine. Starts (or reuses, when
 * TEMPORAL_ADDRESS / DATABASE_URL are set) Temporal and PostgreSQL, applies migrations, runs
 * Prometheus and Alertmanager when the machine has them, runs region-sim, the worker and the
 * gateway as child processes, registers a demo service and prints where everything is.
 * Ctrl-C stops it all; data stays under .data/. A start that fails says why in one line and
 * stops whatever it had started.
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
import { startDatabase, type Database } from '../libs/platform/src/postgres';
import { projectRoot } from '../libs/platform/src/project-root';
import { startTemporalDevServer, type TemporalDevServer } from '../libs/platform/src/temporal-dev-server';
import { PinoTemporalLogger } from '../libs/platform/src/temporal-logger';
import { SLUICE_SEARCH_ATTRIBUTES } from '../workflows/rollout.search-attributes';
import { printBanner } from './dev/banner';
import { devLogger } from './dev/child-output';
import { missingMonitoring, startDevMonitoring, type DevMonitoring } from './dev/monitoring';
import { checkPorts, type PlannedPort } from './dev/preflight';
import { DEMO_SERVICE, portFrom, registerDemoService, Supervisor, waitForHttp } from './dev/supervisor';

const log = devLogger();
const root = projectRoot(__dirname);
const started = new Supervisor(log, root);
const APP_STOP_GRACE_MS = 10_000;

export interface DevPorts {
  temporal: number;
  temporalUi: number;
  postgres: number;
  gateway: number;
  regionSim: number;
  workerMetrics: number;
  workerSdkMetrics: number;
  prometheus: number;
  alertmanager: number;
}

function devPorts(env: NodeJS.ProcessEnv): DevPorts {
  return {
    temporal: portFrom(env, 'SLUICE_TEMPORAL_PORT', 7233),
    temporalUi: portFrom(env, 'SLUICE_TEMPORAL_UI_PORT', 8233),
    postgres: devPostgresPort(env),
    gateway: portFrom(env, 'GATEWAY_PORT', DEFAULT_GATEWAY_PORT),
    regionSim: portFrom(env, 'REGION_SIM_PORT', DEFAULT_REGION_SIM_PORT),
    workerMetrics: portFrom(env, 'WORKER_METRICS_PORT', 9464),
    workerSdkMetrics: portFrom(env, 'WORKER_SDK_METRICS_PORT', 9465),
    prometheus: portFrom(env, 'SLUICE_PROMETHEUS_PORT', 9090),
    alertmanager: portFrom(env, 'SLUICE_ALERTMANAGER_PORT', 9093),
  };
}

/** The ports this start will listen on, each with the variable that moves it. */
function plannedPorts(
  ports: DevPorts,
  env: NodeJS.ProcessEnv,
  monitoring: { prometheus: boolean; alertmanager: boolean },
) {
  const planned: PlannedPort[] = [
    { port: ports.gateway, what: 'the GraphQL gateway', variable: 'GATEWAY_PORT' },
    { port: ports.regionSim, what: 'region-sim', variable: 'REGION_SIM_PORT' },
    { port: ports.workerMetrics, what: "the worker's metrics", variable: 'WORKER_METRICS_PORT' },
    { port: ports.workerSdkMetrics, what: "the worker's Temporal SDK metrics", variable: 'WORKER_SDK_METRICS_PORT' },
  ];
  if (!env.TEMPORAL_ADDRESS) {
    planned.push(
      { port: ports.temporal, what: 'Temporal gRPC', variable: 'SLUICE_TEMPORAL_PORT' },
      { port: ports.temporalUi, what: 'the Temporal Web UI', variable: 'SLUICE_TEMPORAL_UI_PORT' },
    );
  }
  if (!env.DATABASE_URL) planned.push({ port: ports.postgres, what: 'PostgreSQL', variable: 'SLUICE_PG_PORT' });
  if (monitoring.prometheus)
    planned.push({ port: ports.prometheus, what: 'Prometheus', variable: 'SLUICE_PROMETHEUS_PORT' });
  if (monitoring.alertmanager) {
    planned.push({ port: ports.alertmanager, what: 'Alertmanager', variable: 'SLUICE_ALERTMANAGER_PORT' });
  }
  return planned;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const env = process.env;
  // The SDK runtime behind the Temporal dev server logs in npm start's shape too.
  Runtime.install({ logger: new PinoTemporalLogger(log) });
  const ports = devPorts(env);
  const dataDir = devDataDir(root, env);
  const missing = missingMonitoring();
  const runPrometheus = !missing.includes('prometheus') && !env.PROMETHEUS_URL;
  const runAlertmanager = !missing.includes('alertmanager') && !env.ALERTMANAGER_URL;
  await checkPorts(
    plannedPorts(ports, env, { prometheus: runPrometheus, alertmanager: runAlertmanager }),
    env.TEMPORAL_ADDRESS ? undefined : ports.temporal,
  );

  let temporal: TemporalDevServer | undefined;
  let temporalAddress = env.TEMPORAL_ADDRESS;
  if (!temporalAddress) {
    log.info(`starting the Temporal dev server (${join(dataDir, 'temporal.db')})`);
    temporal = await startTemporalDevServer({
      projectRoot: root,
      dbFilename: join(dataDir, 'temporal.db'),
      port: ports.temporal,
      uiPort: ports.temporalUi,
      searchAttributes: SLUICE_SEARCH_ATTRIBUTES,
    });
    await started.add('Temporal', () => temporal!.stop());
    temporalAddress = temporal.address;
  }

  log.info(env.DATABASE_URL ? 'using DATABASE_URL' : `starting embedded PostgreSQL on port ${ports.postgres}`);
  const database: Database = await startDatabase({
    dataDir: join(dataDir, 'postgres'),
    port: ports.postgres,
    persistent: true,
  });
  await started.add('PostgreSQL', () => database.stop());
  if (database.dataDir && database.dataDir !== join(dataDir, 'postgres')) {
    log.info(`PostgreSQL data is in ${database.dataDir}: the postgres OS user cannot reach ${dataDir}`);
  }
  await migrateDatabase(database.url, root);
  log.info('migrations applied');

  const monitoring: DevMonitoring =
    runPrometheus || runAlertmanager
      ? await startDevMonitoring(root, dataDir, {
          prometheusPort: ports.prometheus,
          alertmanagerPort: ports.alertmanager,
          gatewayPorts: [ports.gateway],
          workerMetricsPorts: [ports.workerMetrics],
          workerSdkMetricsPorts: [ports.workerSdkMetrics],
          regionSimPort: ports.regionSim,
          token: DEV_TOKENS.alertmanager.token,
          only: { prometheus: runPrometheus, alertmanager: runAlertmanager },
        })
      : { stop: async () => undefined };
  await started.add('Prometheus and Alertmanager', () => monitoring.stop());

  const appEnv: NodeJS.ProcessEnv = {
    ...env,
    TEMPORAL_ADDRESS: temporalAddress,
    DATABASE_URL: database.url,
    SLUICE_TASK_QUEUE: env.SLUICE_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    GATEWAY_PORT: String(ports.gateway),
    REGION_SIM_PORT: String(ports.regionSim),
    WORKER_METRICS_PORT: String(ports.workerMetrics),
    WORKER_SDK_METRICS_PORT: String(ports.workerSdkMetrics),
    // region-sim's metrics carry service="demo", which the alert rule passes on to the halt.
    REGION_SIM_SERVICE: env.REGION_SIM_SERVICE ?? DEMO_SERVICE,
    PROMETHEUS_URL: env.PROMETHEUS_URL ?? monitoring.prometheus?.url,
    ALERTMANAGER_URL: env.ALERTMANAGER_URL ?? monitoring.alertmanager?.url,
    // npm start is for one person's machine: the well-known dev tokens and the explorer are on.
    SLUICE_MODE: env.SLUICE_MODE ?? 'development',
  };
  for (const key of ['PROMETHEUS_URL', 'ALERTMANAGER_URL'] as const) if (!appEnv[key]) delete appEnv[key];
  const apps = ['region-sim', 'worker', 'gateway'].map((name) => ({ name, child: started.spawnApp(name, appEnv) }));
  await started.add('region-sim, the worker and the gateway', async () => {
    await Promise.all(apps.map(({ child }) => stopChild(child, APP_STOP_GRACE_MS)));
  });

  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const regionSimUrl = `http://127.0.0.1:${ports.regionSim}`;
  const children = apps.map((a) => a.child);
  await waitForHttp(`${regionSimUrl}/healthz`, 'region-sim', children);
  await waitForHttp(`${gatewayUrl}/healthz`, 'the gateway', children);
  await registerDemoService(gatewayUrl, regionSimUrl);

  printBanner({
    seconds: (Date.now() - t0) / 1000,
    ports,
    gatewayUrl,
    regionSimUrl,
    temporalUiUrl: temporal?.uiUrl,
    temporalAddress,
    database,
    prometheusUrl: appEnv.PROMETHEUS_URL,
    alertmanagerUrl: appEnv.ALERTMANAGER_URL,
    startedMonitoring: { prometheus: Boolean(monitoring.prometheus), alertmanager: Boolean(monitoring.alertmanager) },
    missingMonitoring: missing,
    demoService: DEMO_SERVICE,
  });
}

started.run(main);
