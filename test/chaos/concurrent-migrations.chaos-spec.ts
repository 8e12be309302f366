import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { projectRoot } from '../../libs/platform/src/project-root';
import { testServices } from '../support/test-env';

const MIGRATE = join(projectRoot(__dirname), 'dist', 'scripts', 'migrate.js');

function migrate(databaseUrl: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MIGRATE], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

/** The migrate job, gateways and workers of one release may start together against one database. */
describe('chaos: migrations started by three processes at once', () => {
  const name = `sluice_migrate_${Date.now()}`;
  const server = testServices().databaseUrl;
  const target = new URL(server);
  target.pathname = `/${name}`;
  const query = async (url: string, sql: string) => {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return await c.query(sql);
    } finally {
      await c.end();
    }
  };

  beforeAll(() => query(server, `CREATE DATABASE ${name}`));
  afterAll(() => query(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));

  it('wait for each other instead of failing, and apply each migration once', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => migrate(target.toString())));
    expect(runs.map((r) => (r.code === 0 ? 'ok' : r.output.trim()))).toEqual(['ok', 'ok', 'ok']);
    const { rows } = await query(
      target.toString(),
      'SELECT count(*)::int AS n, count(DISTINCT name)::int AS "distinct" FROM pgmigrations',
    );
    expect(rows[0].n).toBeGreaterThan(0);
    expect(rows[0].n).toBe(rows[0].distinct);
    // one run applied them all; the others found none pending
    expect(runs.filter((r) => r.output.includes('none pending'))).toHaveLength(2);
  });
});
