/**
 * `npm run migrate` (after `npm run build`): applies the database migrations to DATABASE_URL
 * and exits. Production runs it once per release, before the new workers and gateways start.
 */
import { loadDatabaseUrl } from '../libs/platform/src/config';
import { migrateDatabase } from '../libs/platform/src/migrate';
import { projectRoot } from '../libs/platform/src/project-root';

migrateDatabase(loadDatabaseUrl(), projectRoot(__dirname)).then(
  () => console.log('migrations applied'),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
