import { mkdirSync, rmSync } from 'node:fs';
import { Client, type ClientConfig } from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface Database {
  url: string;
  /** True when Sluice started the server itself (embedded). */
  embedded: boolean;
  /** The data folder of an embedded server (it may differ from the one asked for, see embedded-postgres.ts). */
  dataDir?: string;
  stop(): Promise<void>;
}

export interface DatabaseOptions {
  /** Data directory for the embedded server. */
  dataDir: string;
  port: number;
  /** Keep the data directory on stop (dev) or delete it (tests). */
  persistent: boolean;
  databaseName?: string;
  env?: NodeJS.ProcessEnv;
  /** The embedded server's `max_connections` (PostgreSQL's default, 100, when unset). */
  maxConnections?: number;
}

const EMBEDDED_USER = 'sluice';
const EMBEDDED_PASSWORD = 'sluice';

/**
 * `DATABASE_URL` when set; otherwise a real PostgreSQL from the binaries of the
 * `embedded-postgres` package, initialised on first use under `dataDir`.
 */
export async function startDatabase(options: DatabaseOptions): Promise<Database> {
  const env = options.env ?? process.env;
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: false, stop: async () => undefined };

  const databaseName = options.databaseName ?? 'sluice';
  mkdirSync(options.dataDir, { recursive: true });
  const server = await startEmbeddedPostgres({
    dataDir: options.dataDir,
    port: options.port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    rootRuntimeDir: env.SLUICE_PG_RUNTIME_DIR,
    maxConnections: options.maxConnections,
  });
  const stop = async () => {
    await server.stop();
    if (!options.persistent) rmSync(server.dataDir, { recursive: true, force: true });
  };
  const serverUrl = (db: string) => `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${options.port}/${db}`;
  try {
    await createDatabaseIfMissing(serverUrl('postgres'), databaseName);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: serverUrl(databaseName), embedded: true, dataDir: server.dataDir, stop };
}

/** Creates database `name` on the server `admin` reaches (a URL, or pg's connection settings) unless it exists. */
export async function createDatabaseIfMissing(adminConnection: string | ClientConfig, name: string): Promise<void> {
  const admin = new Client(
    typeof adminConnection === 'string' ? { connectionString: adminConnection } : adminConnection,
  );
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
}
