/**
 * `npm start`: Sluice with embedded defaults on one machine. Starts (or reuses, when
 * TEMPORAL_ADDRESS / DATABASE_URL are set) Temporal and PostgreSQL, applies migrations, runs
 * region-sim, the worker and the gateway as child processes, registers a demo service and
 * prints where everything is. Ctrl-C stops it all; data stays under .data/.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEV_TOKENS } from '../apps/gateway/src/auth/token-registry';
import { DEFAULT_GATEWAY_PORT } from '../apps/gateway/src/gateway.config';
import { DEFAULT_REGIONS } from '../apps/region-sim/src/region-fleet';
import { DEFAULT_REGION_SIM_PORT } from '../apps/region-sim/src/region-sim.config';
import { DEFAULT_TASK_QUEUE } from '../libs/platform/src/config';
import { devPostgresPort } from '../libs/platform/src/dev-database';
import { createLogger } from '../libs/platform/src/logger';
import { migrateDatabase } from '../libs/platform/src/migrate';
import { startDatabase, type Database } from '../libs/platform/src/postgres';
import { projectRoot } from '../libs/platform/src/project-root';
import { startTemporalDevServer, type TemporalDevServer } from '../libs/platform/src/temporal-dev-server';

const log = createLogger('dev');
const root = projectRoot(__dirname);
const TEMPORAL_PORT = 7233;
const TEMPORAL_UI_PORT = 8233;
const POSTGRES_PORT = devPostgresPort();
const DEMO_SERVICE = 'demo';

interface App {
  name: string;
  child: ChildProcess;
}

async function waitForHttp(url: string, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not answer at ${url} within ${timeoutMs / 1000}s`);
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
  if (error && error.extensions?.code !== 'ALREADY_EXISTS')
    throw new Error(`registering the demo service: ${error.message}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  let temporal: TemporalDevServer | undefined;
  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  if (!temporalAddress) {
    log.info('starting the Temporal dev server (.data/temporal.db)');
    temporal = await startTemporalDevServer({
      projectRoot: root,
      dbFilename: join(root, '.data', 'temporal.db'),
      port: TEMPORAL_PORT,
      uiPort: TEMPORAL_UI_PORT,
    });
    temporalAddress = temporal.address;
    log.info({ cli: temporal.cli }, `Temporal dev server on ${temporalAddress}`);
  }
  log.info(process.env.DATABASE_URL ? 'using DATABASE_URL' : `starting embedded PostgreSQL on port ${POSTGRES_PORT}`);
  const database: Database = await startDatabase({
    dataDir: join(root, '.data', 'postgres'),
    port: POSTGRES_PORT,
    persistent: true,
  });
  await migrateDatabase(database.url, root, (msg) => log.debug(msg));
  log.info('migrations applied');

  const gatewayPort = Number(process.env.GATEWAY_PORT ?? DEFAULT_GATEWAY_PORT);
  const regionSimPort = Number(process.env.REGION_SIM_PORT ?? DEFAULT_REGION_SIM_PORT);
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    DATABASE_URL: database.url,
    SLUICE_TASK_QUEUE: process.env.SLUICE_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    GATEWAY_PORT: String(gatewayPort),
    // npm start is for one person's machine: the well-known dev tokens and the explorer are on.
    SLUICE_MODE: process.env.SLUICE_MODE ?? 'development',
    REGION_SIM_PORT: String(regionSimPort),
  };
  const apps: App[] = ['region-sim', 'worker', 'gateway'].map((name) => ({
    name,
    child: spawn(process.execPath, ['--enable-source-maps', join(root, 'dist', 'apps', name, 'src', 'main.js')], {
      env,
      stdio: 'inherit',
    }),
  }));

  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping Sluice');
    await Promise.all(
      apps.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
    await database.stop().catch((err: unknown) => log.warn({ err }, 'stopping PostgreSQL failed'));
    await temporal?.stop().catch((err: unknown) => log.warn({ err }, 'stopping Temporal failed'));
    log.info('stopped');
    process.exit(code);
  };
  for (const { name, child } of apps) {
    child.once('exit', (code, signal) => {
      if (stopping) return;
      log.error({ code, signal }, `${name} exited unexpectedly; stopping everything`);
      void stopAll(1);
    });
  }
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const regionSimUrl = `http://127.0.0.1:${regionSimPort}`;
  try {
    await waitForHttp(`${regionSimUrl}/healthz`, 'region-sim');
    await waitForHttp(`${gatewayUrl}/healthz`, 'the gateway');
    await registerDemoService(gatewayUrl, regionSimUrl);
  } catch (err) {
    log.error({ err }, 'Sluice failed to start');
    return stopAll(1);
  }

  const example = JSON.stringify({
    query:
      'mutation { startRollout(input: {service: "demo", version: "v1", config: {greeting: "hello"}}) { id status workflowId } }',
  });
  console.log(
    [
      '',
      `Sluice is up (${((Date.now() - started) / 1000).toFixed(1)}s).`,
      `  GraphQL      ${gatewayUrl}/graphql`,
      `  Temporal UI  ${temporal?.uiUrl ?? `(external Temporal at ${temporalAddress})`}`,
      `  region-sim   ${regionSimUrl}/regions`,
      `  PostgreSQL   ${database.embedded ? `embedded, port ${POSTGRES_PORT}, data in .data/postgres` : 'DATABASE_URL'}`,
      '',
      'Development mode: these tokens work here and nowhere else.',
      `  admin     Authorization: Bearer ${DEV_TOKENS.admin.token}`,
      `  approver  Authorization: Bearer ${DEV_TOKENS.approver.token}`,
      '',
      `A service "${DEMO_SERVICE}" with ${DEFAULT_REGIONS.length} simulated regions is registered. Start a rollout:`,
      `  curl -s ${gatewayUrl}/graphql -H 'content-type: application/json' -H 'authorization: Bearer ${DEV_TOKENS.admin.token}' -d '${example}'`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  log.error({ err }, 'Sluice failed to start');
  process.exit(1);
});
