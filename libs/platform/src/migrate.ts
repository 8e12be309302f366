import { runner } from 'node-pg-migrate';
import { join } from 'node:path';

/** Applies every pending migration under `migrations/` (node-pg-migrate, SQL files). */
export async function migrateDatabase(
  databaseUrl: string,
  projectRoot: string,
  log: (msg: string) => void = () => undefined,
) {
  return runner({
    databaseUrl,
    dir: join(projectRoot, 'migrations'),
    direction: 'up',
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    log,
    // Processes of one release that migrate at once queue on the advisory lock; its default
    // ('fail') made all but one of them exit with "Another migration is already running".
    noLock: false,
    advisoryLockMode: 'wait',
  });
}
