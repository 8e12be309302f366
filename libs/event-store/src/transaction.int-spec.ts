import { Pool } from 'pg';
import { testServices } from '../../../test/support/test-env';
import { withTransaction } from './transaction';

/**
 * A PostgreSQL restart ends every connection, including one checked out between two queries
 * of a transaction. That must fail the transaction, not crash the process, and the pool must
 * go on with a fresh connection.
 */
describe('withTransaction when the server ends its connection', () => {
  let pool: Pool;
  let admin: Pool;

  beforeAll(() => {
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 1 });
    pool.on('error', () => undefined);
    admin = new Pool({ connectionString: testServices().databaseUrl, max: 1 });
  });
  afterAll(async () => {
    await pool.end();
    await admin.end();
  });

  it('fails the transaction, drops the connection and serves the next one', async () => {
    let endedPid: number | undefined;
    const transaction = withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      endedPid = rows[0].pid;
      // the server ends this connection while no query of ours is running on it; the client
      // learns of it a moment later, when the socket closes
      const ended = new Promise<void>((resolve, reject) => {
        client.once('end', () => resolve());
        setTimeout(() => reject(new Error('the terminated connection did not end within 10 s')), 10_000).unref();
      });
      await admin.query('SELECT pg_terminate_backend($1)', [endedPid]);
      await ended;
      await client.query('SELECT 1');
    });

    await expect(transaction).rejects.toThrow();
    const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(rows[0].pid).not.toBe(endedPid);
    expect(pool.totalCount).toBe(1);
  });
});
