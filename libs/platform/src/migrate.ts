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
    // Migrations from concurrent processes (two workers starting at once) are serialised by its lock.
    noLock: false,
  });
}
