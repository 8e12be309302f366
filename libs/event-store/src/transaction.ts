import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in a transaction on one pooled connection; rolls back on any error.
 *
 * A checked-out connection that the server ends between two queries (a restart, an
 * administrator shutdown) does not fail a query: it emits `error` on the client, and with no
 * listener that would crash the process. The listener here keeps that error, fails the
 * transaction with it, and releases the connection as broken so the pool drops it.
 */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onLost = (err: Error) => {
    lost ??= err;
  };
  client.on('error', onLost);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    if (!lost) await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.removeListener('error', onLost);
    client.release(lost);
  }
}
