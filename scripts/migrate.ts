/**
 * `npm run migrate`, and the image's `node dist/scripts/migrate.js`: applies the pending
 * database migrations (`up`) to DATABASE_URL and exits. Production runs it once per release,
 * before the new workers and gateways start. It logs JSON lines (pino) like every Sluice
 * process; a failure is one line on stderr and exit code 1; LOG_LEVEL=debug adds the stack.
 */
import { loadDatabaseUrl } from '../libs/platform/src/config';
import { createLogger } from '../libs/platform/src/logger';
import { migrateDatabase } from '../libs/platform/src/migrate';
import { projectRoot } from '../libs/platform/src/project-root';

/** The config loader's or the database's message on one line (AggregateError: each address's). */
function failureLine(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return [...new Set(err.errors.map(failureLine))].join('; ');
  }
  const message = err instanceof Error ? err.message : String(err);
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}

/** node-pg-migrate announces each migration before it runs it; a failure then names it. */
let running: string | undefined;
const track = (line: string) => {
  running = /^### MIGRATION (.+) \(UP\) ###$/.exec(line)?.[1] ?? running;
};

async function main(): Promise<void> {
  const applied = await migrateDatabase(loadDatabaseUrl(), projectRoot(__dirname), track);
  const names = applied.map((migration) => migration.name);
  createLogger('migrate').info(
    { applied: names },
    names.length === 0 ? 'migrations: none pending' : `migrations applied: ${names.join(', ')}`,
  );
}

main().catch((err: unknown) => {
  createLogger('migrate', 2).fatal(
    process.env.LOG_LEVEL === 'debug' ? { err } : {},
    `migrate failed${running ? ` in ${running}` : ''}: ${failureLine(err)}`,
  );
  process.exit(1);
});
