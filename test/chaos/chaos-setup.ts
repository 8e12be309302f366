import { rmSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../libs/platform/src/free-port';
import { migrateDatabase } from '../../libs/platform/src/migrate';
import { startDatabase, type Database } from '../../libs/platform/src/postgres';
import { projectRoot } from '../../libs/platform/src/project-root';
import globalSetup from '../support/global-setup';
import { CHAOS_PG_CONTROL, CHAOS_PG_URL } from './chaos-env';

declare global {
  var __SLUICE_CHAOS_PG__: { control: Server; stop(): Promise<void> } | undefined;
}

/**
 * The test stack, plus a PostgreSQL of the chaos suite's own that a spec may stop and start
 * (`POST /stop`, `POST /start` on a loopback control port). Always embedded, even with
 * DATABASE_URL set: a spec must not stop a server it does not own.
 */
export default async function chaosSetup(): Promise<void> {
  await globalSetup();
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-chaos-pg-'));
  const options = { dataDir, port: await freePort(), persistent: true, env: {} };
  let database: Database | null = await startDatabase(options);
  await migrateDatabase(database.url, projectRoot(__dirname));
  const url = database.url;

  const control = createServer((req, res) => {
    const act = async () => {
      if (req.method === 'POST' && req.url === '/stop') {
        await database?.stop();
        database = null;
      } else if (req.method === 'POST' && req.url === '/start') {
        database ??= await startDatabase(options);
      } else {
        res.statusCode = 404;
      }
    };
    act().then(
      () => res.end(),
      (err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      },
    );
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  process.env[CHAOS_PG_URL] = url;
  process.env[CHAOS_PG_CONTROL] = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
  globalThis.__SLUICE_CHAOS_PG__ = {
    control,
    stop: async () => {
      control.close();
      await database?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
