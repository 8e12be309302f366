/**
 * `npm run projections:rebuild`: empties the projections (rollouts, region_versions,
 * region_changes) and replays the whole event log into them, printing progress.
 */
import { upcastEventData } from '../libs/domain/src';
import { PgEventStore } from '../libs/event-store/src';
import { openDevDatabase } from '../libs/platform/src/dev-database';
import { migrateDatabase } from '../libs/platform/src/migrate';
import { projectRoot } from '../libs/platform/src/project-root';
import { Projector } from '../libs/projections/src';
import { Pool } from 'pg';

async function main(): Promise<void> {
  const root = projectRoot(__dirname);
  const database = await openDevDatabase(root);
  const pool = new Pool({ connectionString: database.url, max: 2 });
  try {
    await migrateDatabase(database.url, root);
    const { rows } = await pool.query<{ count: string }>('SELECT count(*) FROM events');
    console.log(`rebuilding projections from ${rows[0].count} events`);
    const started = Date.now();
    let last = 0;
    const result = await new Projector(pool, new PgEventStore(pool, upcastEventData)).rebuild((name, position) => {
      if (Date.now() - last > 1_000) {
        console.log(`  ${name}: at global position ${position}`);
        last = Date.now();
      }
    });
    for (const [name, count] of Object.entries(result.applied)) console.log(`  ${name}: ${count} events applied`);
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await pool.end();
    await database.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`projections:rebuild failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
