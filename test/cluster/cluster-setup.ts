import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../libs/platform/src/free-port';
import { migrateDatabase } from '../../libs/platform/src/migrate';
import { startDatabase, type Database } from '../../libs/platform/src/postgres';
import { projectRoot } from '../../libs/platform/src/project-root';
import {
  startTemporalCluster,
  temporalPostgresFrom,
  CLUSTER_PG_MAX_CONNECTIONS,
  temporalServerBinaries,
  type TemporalCluster,
} from '../../libs/platform/src/temporal-cluster';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../workflows/rollout.search-attributes';
import { TEST_DATABASE_URL, TEST_TEMPORAL_ADDRESS } from '../support/test-env';
import { CLUSTER_CONTROL } from './cluster-env';

declare global {
  var __SLUICE_CLUSTER__: { control: Server; stop(): Promise<void> } | undefined;
}

/**
 * PostgreSQL (embedded, always: a spec restarts it) with Sluice's database migrated, and the
 * Temporal cluster on it: frontend, history-1 and history-2 sharing 16 shards, matching and
 * worker. The binaries must be built (npm run test:cluster does it first).
 */
export default async function clusterSetup(): Promise<void> {
  const root = projectRoot(__dirname);
  const started = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-cluster-'));
  const pgOptions = {
    dataDir: join(dataDir, 'postgres'),
    port: await freePort(),
    persistent: true,
    env: {},
    maxConnections: CLUSTER_PG_MAX_CONNECTIONS,
  };
  let database: Database | null = await startDatabase(pgOptions);
  const url = database.url;
  await migrateDatabase(url, root);
  let cluster: TemporalCluster;
  try {
    cluster = await startTemporalCluster({
      projectRoot: root,
      binaries: temporalServerBinaries(root),
      postgres: temporalPostgresFrom(url),
      dataDir: join(dataDir, 'temporal'),
      historyProcesses: 2,
      historyShards: 16,
      searchAttributes: SLUICE_SEARCH_ATTRIBUTES,
    });
  } catch (err) {
    await database.stop();
    throw err;
  }

  const routes: Record<string, () => Promise<unknown>> = {
    '/temporal': async () => cluster.processes.map((p) => p.name),
    '/serving': () => cluster.waitUntilServing(),
    '/postgres/stop': async () => {
      await database?.stop();
      database = null;
    },
    '/postgres/start': async () => {
      database ??= await startDatabase(pgOptions);
    },
  };
  for (const p of cluster.processes) {
    routes[`/temporal/${p.name}/kill`] = () => p.kill();
    routes[`/temporal/${p.name}/stop`] = () => p.stop();
    routes[`/temporal/${p.name}/start`] = () => p.start();
  }
  const control = createServer((req, res) => {
    const route = req.method === 'POST' ? routes[req.url ?? ''] : undefined;
    if (!route) {
      res.statusCode = 404;
      return res.end(`no route ${req.method} ${req.url}`);
    }
    route().then(
      (answer) => res.end(answer === undefined ? '' : JSON.stringify(answer)),
      (err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      },
    );
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  process.env[CLUSTER_CONTROL] = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
  process.env[TEST_TEMPORAL_ADDRESS] = cluster.address;
  process.env[TEST_DATABASE_URL] = url;
  globalThis.__SLUICE_CLUSTER__ = {
    control,
    stop: async () => {
      control.close();
      await cluster.stop();
      await database?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  console.log(
    `\n[cluster] Temporal ${cluster.address} (${cluster.processes.map((p) => p.name).join(', ')}) on PostgreSQL ${new URL(url).port}, logs in ${join(dataDir, 'temporal')}, ready in ${Date.now() - started} ms`,
  );
}
