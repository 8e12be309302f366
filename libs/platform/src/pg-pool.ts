import { Pool } from 'pg';
import type { Logger } from './logger';

/**
 * A pg pool that survives the database going away: an idle connection that errors (a
 * restart, an administrator shutdown) is logged and dropped instead of crashing the process;
 * the next query opens a new one.
 */
export function createPgPool(connectionString: string, log: Logger, max = 10): Pool {
  const pool = new Pool({ connectionString, max, connectionTimeoutMillis: 5_000 });
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle PostgreSQL connection failed; it will be replaced'));
  return pool;
}
