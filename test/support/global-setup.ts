import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../libs/platform/src/free-port';
import { migrateDatabase } from '../../libs/platform/src/migrate';
import { startDatabase, type Database } from '../../libs/platform/src/postgres';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startTemporalDevServer, type TemporalDevServer } from '../../libs/platform/src/temporal-dev-server';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../workflows/rollout.search-attributes';
import { TEST_DATABASE_URL, TEST_TEMPORAL_ADDRESS } from './test-env';

export interface TestStack {
  temporal: TemporalDevServer;
  database: Database;
  dropDatabase?: () => Promise<void>;
}

declare global {
  var __SLUICE_TEST_STACK__: TestStack | undefined;
}

/** With DATABASE_URL set, each test run gets a fresh database on that server and drops it after. */
async function freshDatabaseOn(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sluice_test_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export default async function globalSetup(): Promise<void> {
  const root = projectRoot(__dirname);
  const started = Date.now();
  const [temporal, database] = await Promise.all([
    startTemporalDevServer({ projectRoot: root, searchAttributes: SLUICE_SEARCH_ATTRIBUTES }),
    startDatabase({ dataDir: mkdtempSync(join(tmpdir(), 'sluice-pg-')), port: await freePort(), persistent: false }),
  ]);
  let url = database.url;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (!database.embedded) {
    const fresh = await freshDatabaseOn(database.url);
    url = fresh.url;
    dropDatabase = fresh.drop;
  }
  await migrateDatabase(url, root);
  process.env[TEST_TEMPORAL_ADDRESS] = temporal.address;
  process.env[TEST_DATABASE_URL] = url;
  globalThis.__SLUICE_TEST_STACK__ = { temporal, database, dropDatabase };
  console.log(
    `\n[test stack] Temporal ${temporal.address} (${temporal.cli.source}), PostgreSQL ${database.embedded ? 'embedded' : 'DATABASE_URL'}, ready in ${Date.now() - started} ms`,
  );
}
