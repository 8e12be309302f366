import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createDatabaseIfMissing } from './postgres';
import { StartupError } from './startup-error';

/**
 * What a Temporal cluster on PostgreSQL needs before its processes start: the server and
 * temporal-sql-tool (built from source by scripts/build-temporal-server.sh), and Temporal's
 * two databases with their schemas at the version the binaries embed.
 */
export interface TemporalBinaries {
  server: string;
  sqlTool: string;
}

/** Where PostgreSQL is, for Temporal: host, port and a role that may create databases. */
export interface TemporalPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Temporal's persistence and visibility databases (defaults temporal, temporal_visibility). */
  database?: string;
  visibilityDatabase?: string;
}

const BUILD_SCRIPT = join('scripts', 'build-temporal-server.sh');

/**
 * The server and its SQL tool, built into .tools/ on first use (about 4 minutes, progress on
 * stderr) and found there afterwards. Without Go, a StartupError that says so.
 */
export function temporalServerBinaries(projectRoot: string, env: NodeJS.ProcessEnv = process.env): TemporalBinaries {
  const result = spawnSync('bash', [join(projectRoot, BUILD_SCRIPT), projectRoot], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const dir = result.stdout?.trim().split('\n').pop();
  if (result.status !== 0 || !dir) {
    throw new StartupError(
      'START_FAILED',
      `building the Temporal server failed (${BUILD_SCRIPT} exited ${result.status ?? result.signal}; its output is above)`,
    );
  }
  return { server: join(dir, 'temporal-server'), sqlTool: join(dir, 'temporal-sql-tool') };
}

function runSqlTool(binaries: TemporalBinaries, pg: TemporalPostgres, db: string, args: string[]): void {
  const result = spawnSync(
    binaries.sqlTool,
    ['--plugin', 'postgres12', '--ep', pg.host, '--port', String(pg.port), '--db', db, ...args],
    { env: { ...process.env, SQL_USER: pg.user, SQL_PASSWORD: pg.password }, encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new StartupError(
      'START_FAILED',
      `temporal-sql-tool ${args[0]} on ${db} failed: ${(result.stderr || result.stdout || String(result.error)).trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
}

/**
 * Creates Temporal's two databases when missing and brings their schemas to the version the
 * binary embeds: `setup-schema -v 0.0` (a no-op on a database already set up), then
 * `update-schema`, which applies only the versions not yet applied. Safe to run on every start.
 */
export async function setupTemporalSchema(binaries: TemporalBinaries, pg: TemporalPostgres): Promise<void> {
  const stores = [
    { db: pg.database ?? 'temporal', schema: 'postgresql/v12/temporal' },
    { db: pg.visibilityDatabase ?? 'temporal_visibility', schema: 'postgresql/v12/visibility' },
  ];
  for (const { db, schema } of stores) {
    await createDatabaseIfMissing(
      { host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: 'postgres' },
      db,
    );
    runSqlTool(binaries, pg, db, ['setup-schema', '-v', '0.0']);
    runSqlTool(binaries, pg, db, ['update-schema', '--schema-name', schema]);
  }
}

/**
 * The `max_connections` an embedded PostgreSQL under the cluster gets. Each Temporal process
 * holds up to TEMPORAL_PG_MAX_CONNS (20) plus 5 for visibility, so five processes take 125,
 * and Sluice's gateways and workers 10 each. PostgreSQL's default of 100 runs out under load
 * ("too many clients already").
 */
export const CLUSTER_PG_MAX_CONNECTIONS = 300;

/** Temporal's PostgreSQL settings from the URL of Sluice's database on the same server. */
export function temporalPostgresFrom(databaseUrl: string): TemporalPostgres {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}
