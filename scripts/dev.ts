/**
 * `npm start`: Sluice with embedded defaults on one machine. Starts (or reuses, when
 * TEMPORAL_ADDRESS / DATABASE_URL are set) Temporal and PostgreSQL, applies migrations, runs
 * Prometheus and Alertmanager when the machine has them, runs region-sim, the worker and the
 * gateway as child processes, registers a demo service and prints where everything is.
 * Ctrl-C stops it all; data stays under .data/. A start that fails says why in one line and
 * stops whatever it had started.
 */
import { Runtime } from '@temporalio/worker';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEV_TOKENS } from '../apps/gateway/src/auth/token-registry';
import { DEFAULT_GATEWAY_PORT } from '../apps/gateway/src/gateway.config';
import { DEFAULT_REGIONS } from '../apps/region-sim/src/region-fleet';
import { DEFAULT_REGION_SIM_PORT } from '../apps/region-sim/src/region-sim.config';
import { DEFAULT_TASK_QUEUE } from '../libs/platform/src/config';
import { devDataDir, devPostgresPort } from '../libs/platform/src/dev-database';
import { migrateDatabase } from '../libs/platform/src/migrate';
import { stopChild } from '../libs/platform/src/monitoring-servers';
import { startDatabase, type Database } from '../libs/platform/src/postgres';
import { projectRoot } from '../libs/platform/src/project-root';
import { StartupError, startupFailureLine } from '../libs/platform/src/startup-error';
import { startTemporalDevServer, type TemporalDevServer } from '../libs/platform/src/temporal-dev-server';
import { PinoTemporalLogger } from '../libs/platform/src/temporal-logger';
import { SLUICE_SEARCH_ATTRIBUTES } from '../workflows/rollout.search-attributes';
import { printBanner } from './dev/banner';
import { devLogger, showOutput } from './dev/child-output';
import { missingMonitoring, startDevMonitoring, type DevMonitoring } from './dev/monitoring';
import { checkPorts, type PlannedPort } from './dev/preflight';

const log = devLogger();
const root = projectRoot(__dirname);
const DEMO_SERVICE = 'demo';
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

function portFrom(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StartupError('START_FAILED', `${variable}=${raw} is not a TCP port (1-65535)`);
  }
  return port;
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

async function waitForHttp(url: string, what: string, children: ChildProcess[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (children.some((c) => c.exitCode !== null || c.signalCode !== null)) {
      throw new StartupError(
        'START_FAILED',
        `${what} could not start because a Sluice process exited (its log is above)`,
      );
    }
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new StartupError('START_FAILED', `${what} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

/** Made-up customers per demo region, so affectedCustomers and its CSV have something to list. */
const DEMO_CUSTOMERS = [
  ['Acme Corp'],
  ['Globex', 'Initech'],
  ['Umbrella'],
  ['Hooli', 'Stark Industries'],
  ['Wayne Enterprises'],
  ['Soylent'],
];

async function registerDemoService(gatewayUrl: string, regionSimUrl: string): Promise<void> {
  const regions = DEFAULT_REGIONS.map((name, i) => ({
    name,
    endpoint: `${regionSimUrl}/regions/${name}`,
    tier: i === 0 ? 'CANARY' : i === DEFAULT_REGIONS.length - 1 ? 'HEAVY' : 'STANDARD',
    weight: i === 0 ? 1 : i === DEFAULT_REGIONS.length - 1 ? 10 : 5,
    customers: DEMO_CUSTOMERS[i % DEMO_CUSTOMERS.length],
  }));
  const response = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEV_TOKENS.admin.token}` },
    body: JSON.stringify({
      query: 'mutation($input: RegisterServiceInput!) { registerService(input: $input) { name } }',
      variables: { input: { name: DEMO_SERVICE, regions } },
    }),
  });
  const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string }; message: string }> };
  const error = body.errors?.[0];
  if (error && error.extensions?.code !== 'ALREADY_EXISTS') {
    throw new StartupError('START_FAILED', `registering the demo service failed: ${error.message}`);
  }
}

/** What has been started, stopped newest first; whatever starts after a stop began is stopped at once. */
class Started {
  private readonly stops: Array<{ what: string; stop: () => Promise<void> }> = [];
  stopping = false;

  async add(what: string, stop: () => Promise<void>): Promise<void> {
    if (this.stopping) return stop();
    this.stops.push({ what, stop });
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const { what, stop } of this.stops.splice(0).reverse()) {
      await stop().catch((err: unknown) => log.warn(`stopping ${what} failed: ${startupFailureLine(err)}`));
    }
  }
}

const started = new Started();
let exiting: Promise<never> | undefined;

/** The first reason to stop wins: its exit code is the one the process ends with. */
function shutdown(code: number, why?: string): Promise<never> {
  exiting ??= (async () => {
    if (why) log.error(why);
    log.info('stopping Sluice');
    await started.stopAll();
    log.info('stopped');
    process.exit(code);
  })();
  return exiting;
}

function spawnApp(name: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist', 'apps', name, 'src', 'main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  showOutput(child, name);
  child.once('exit', (code, signal) => {
    if (!exiting) void shutdown(1, `${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
  });
  return child;
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
          gatewayPort: ports.gateway,
          workerMetricsPort: ports.workerMetrics,
          workerSdkMetricsPort: ports.workerSdkMetrics,
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
  const apps = ['region-sim', 'worker', 'gateway'].map((name) => ({ name, child: spawnApp(name, appEnv) }));
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

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));
process.on('uncaughtException', (err) => void shutdown(1, `Sluice stopped: ${startupFailureLine(err)}`));
process.on('unhandledRejection', (err) => void shutdown(1, `Sluice stopped: ${startupFailureLine(err)}`));

main().catch((err: unknown) => {
  if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) console.error(err.stack);
  return shutdown(1, `Sluice failed to start: ${startupFailureLine(err)}`);
});
