import { Client } from 'pg';
import { join, resolve } from 'node:path';
import { startDatabase, type Database } from './postgres';

/** Where `npm start` keeps its state (Temporal, PostgreSQL, Prometheus, Alertmanager): SLUICE_DATA_DIR, else `.data/`. */
export function devDataDir(projectRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.SLUICE_DATA_DIR ? resolve(env.SLUICE_DATA_DIR) : join(projectRoot, '.data');
}

/** Port of the embedded PostgreSQL that `npm start` runs (SLUICE_PG_PORT overrides). */
export function devPostgresPort(env: NodeJS.ProcessEnv = process.env): number {
  return Number(env.SLUICE_PG_PORT ?? 54329);
}

/**
 * The database a command-line tool should use: DATABASE_URL; else the embedded server of a
 * running `npm start`; else that same embedded server, started for the duration of the tool.
 */
export async function openDevDatabase(projectRoot: string, env: NodeJS.ProcessEnv = process.env): Promise<Database> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: false, stop: async () => undefined };
  const url = `postgres://sluice:sluice@127.0.0.1:${devPostgresPort(env)}/sluice`;
  const probe = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await probe.connect();
    await probe.end();
    return { url, embedded: true, stop: async () => undefined };
  } catch {
    return startDatabase({
      dataDir: join(devDataDir(projectRoot, env), 'postgres'),
      port: devPostgresPort(env),
      persistent: true,
      env,
    });
  }
}
