/**
 * `npm run bench:load [-- --quick]`: halts under load, on loopback only, bounded in time.
 *
 * Keeps 100 rollouts of 8 regions each baking (durable timers) while it sends 200
 * Alertmanager webhooks per second for 30 s, plus 20 history queries per second. The alerts
 * name a random 20% of the rollouts (the same alert repeated, as Alertmanager does); the
 * rest name regions those rollouts have not touched, or services with no rollout. Once every
 * halt request has been delivered (however long that takes), it reports:
 * - lost halts: every matched rollout must halt, and no other may;
 * - halt latency p50/p95/p99, from the first webhook for a rollout to its RolloutHalted event;
 * - the gateway's p95 latency, for the webhooks and for the history queries;
 * - peak RSS (VmHWM) of the worker and the gateway processes.
 * The worker and the gateway run as their own processes from dist/, the rest in this one.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { startRegionSim } from '../apps/region-sim/src/region-sim';
import { freePort } from '../libs/platform/src/free-port';
import { migrateDatabase } from '../libs/platform/src/migrate';
import { startDatabase } from '../libs/platform/src/postgres';
import { projectRoot } from '../libs/platform/src/project-root';
import { startTemporalDevServer } from '../libs/platform/src/temporal-dev-server';
import { SLUICE_SEARCH_ATTRIBUTES } from '../workflows/rollout.search-attributes';
import { postAlerts } from '../test/support/alertmanager-webhook';
import { spawnGateway, spawnWorker, type SluiceProcess } from '../test/support/sluice-process';
import { tokenOf } from '../test/support/test-tokens';
import { machineInfo, percentile, publish, runBench, type Report } from './bench-report';
import { untilCount } from './bench-stack';

const quick = process.argv.includes('--quick');
const ROLLOUTS = quick ? 20 : 100;
const REGIONS_PER_ROLLOUT = 8;
const ALERTS_PER_SECOND = quick ? 50 : 200;
const QUERIES_PER_SECOND = quick ? 5 : 20;
const LOAD_SECONDS = quick ? 10 : 30;
const MATCHED_SHARE = 0.2;

const log = (msg: string) => console.log(`[bench:load] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Peak resident set size of a process, from the kernel's high-water mark. */
function peakRssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024);
}

async function main(): Promise<void> {
  const root = projectRoot(__dirname);
  const startedAt = new Date().toISOString();
  const processes: SluiceProcess[] = [];
  log(`${ROLLOUTS} rollouts × ${REGIONS_PER_ROLLOUT} regions, ${ALERTS_PER_SECOND} alerts/s for ${LOAD_SECONDS} s`);

  const [temporal, database] = await Promise.all([
    startTemporalDevServer({ projectRoot: root, searchAttributes: SLUICE_SEARCH_ATTRIBUTES }),
    startDatabase({
      dataDir: mkdtempSync(join(tmpdir(), 'sluice-load-pg-')),
      port: await freePort(),
      persistent: false,
    }),
  ]);
  await migrateDatabase(database.url, root);
  const services = Array.from({ length: ROLLOUTS }, (_, i) => ({
    name: `load-${i}`,
    regions: Array.from({ length: REGIONS_PER_ROLLOUT }, (_, r) => `l${i}-r${r}`),
  }));
  const sim = await startRegionSim({ regions: services.flatMap((s) => s.regions), port: 0, traffic: false });
  const pool = new Pool({ connectionString: database.url, max: 4 });
  const env = { temporalAddress: temporal.address, databaseUrl: database.url, taskQueue: 'sluice-load' };
  try {
    const [worker, gateway] = await Promise.all([spawnWorker('worker', env), spawnGateway('gateway', env)]);
    processes.push(worker, gateway);
    const gql = async (query: string, variables: Record<string, unknown>, as: string) => {
      const res = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf(as)}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: Record<string, { id?: string }>; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data!;
    };

    log('registering services and starting rollouts');
    const rolloutOf = new Map<string, string>();
    for (let i = 0; i < services.length; i += 10) {
      await Promise.all(
        services.slice(i, i + 10).map(async (s) => {
          await gql(
            'mutation ($input: RegisterServiceInput!) { registerService(input: $input) { name } }',
            {
              input: {
                name: s.name,
                regions: s.regions.map((r, k) => ({
                  name: r,
                  tier: k === 0 ? 'CANARY' : 'STANDARD',
                  endpoint: `${sim.url}/regions/${r}`,
                })),
              },
            },
            'admin',
          );
          const started = await gql(
            'mutation ($input: StartRolloutInput!) { startRollout(input: $input) { id } }',
            {
              input: {
                service: s.name,
                version: 'v2',
                config: { load: true },
                strategy: { canaryMaxShare: 0.2, growthFactor: 2, bakeSeconds: 3_600, approvalAfterCanary: false },
              },
            },
            'alice',
          );
          rolloutOf.set(s.name, started.startRollout.id!);
        }),
      );
    }
    const bakingSeconds = await untilCount(
      'rollouts baking their canary',
      async () => {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(DISTINCT stream_id)::int AS n FROM events WHERE type = 'WaveCompleted' OR type = 'RegionConfigVerified'`,
        );
        return rows[0].n;
      },
      ROLLOUTS,
    );
    log(`all ${ROLLOUTS} rollouts are baking their canary`);

    const shuffled = [...services].sort(() => Math.random() - 0.5);
    const matched = shuffled.slice(0, Math.round(ROLLOUTS * MATCHED_SHARE));
    const matchedNames = new Set(matched.map((s) => s.name));
    const firstAlertAt = new Map<string, number>();
    const webhookLatencies: number[] = [];
    const queryLatencies: number[] = [];
    const failures: string[] = [];
    const inFlight = new Set<Promise<void>>();
    const track = (work: Promise<void>) => {
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    };

    const alertFor = (sent: number) => {
      if (Math.random() < MATCHED_SHARE) {
        const s = matched[Math.floor(Math.random() * matched.length)];
        if (!firstAlertAt.has(s.name)) firstAlertAt.set(s.name, sent);
        // the same alert repeated, as Alertmanager repeats a firing alert
        return { service: s.name, region: s.regions[0], fingerprint: `fp-${s.name}`, startsAt: startedAt };
      }
      const s = services[Math.floor(Math.random() * services.length)];
      return Math.random() < 0.5
        ? {
            service: s.name,
            region: s.regions[REGIONS_PER_ROLLOUT - 1],
            fingerprint: randomUUID(),
            startsAt: new Date().toISOString(),
          }
        : {
            service: `ghost-${randomUUID().slice(0, 8)}`,
            region: 'nowhere',
            fingerprint: randomUUID(),
            startsAt: new Date().toISOString(),
          };
    };
    const sendAlert = async () => {
      const sent = Date.now();
      const a = alertFor(sent);
      const t = performance.now();
      const res = await postAlerts(gateway.url, [
        {
          labels: { alertname: 'LoadTest', service: a.service, region: a.region },
          startsAt: a.startsAt,
          fingerprint: a.fingerprint,
        },
      ]);
      await res.arrayBuffer();
      webhookLatencies.push(performance.now() - t);
      if (res.status !== 200) failures.push(`webhook answered ${res.status}`);
    };
    const sendQuery = async () => {
      const t = performance.now();
      await gql('{ rollouts(first: 20) { edges { node { id status } } } }', {}, 'viewer');
      queryLatencies.push(performance.now() - t);
    };

    log('sending alerts');
    const loadStart = performance.now();
    let alerts = 0;
    let queries = 0;
    while (performance.now() - loadStart < LOAD_SECONDS * 1000) {
      const elapsed = (performance.now() - loadStart) / 1000;
      while (alerts < elapsed * ALERTS_PER_SECOND) {
        alerts++;
        track(sendAlert().catch((err: unknown) => void failures.push(String(err))));
      }
      while (queries < elapsed * QUERIES_PER_SECOND) {
        queries++;
        track(sendQuery().catch((err: unknown) => void failures.push(String(err))));
      }
      await sleep(2);
    }
    await Promise.all([...inFlight]);
    log(`sent ${alerts} webhooks and ${queries} queries; waiting for every halt request to be delivered`);

    // A halt request is marked delivered after the workflow answered it, and a workflow answers
    // a halt after recording RolloutHalted: once the outbox is drained, a matched rollout that
    // has not halted never will. The wait lasts as long as delivery takes on this machine.
    const outboxSize = async (where: string) =>
      (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM halt_requests ${where}`)).rows[0].n;
    const deliverySeconds = await untilCount(
      'halt requests delivered',
      () => outboxSize('WHERE delivered_at IS NOT NULL'),
      await outboxSize(''),
    );
    const haltedAt = new Map<string, number>();
    const { rows: halts } = await pool.query<{ stream_id: string; recorded_at: Date }>(
      `SELECT stream_id, min(recorded_at) AS recorded_at FROM events WHERE type = 'RolloutHalted' GROUP BY stream_id`,
    );
    for (const r of halts) haltedAt.set(r.stream_id, r.recorded_at.getTime());
    const lost = matched.filter((s) => !haltedAt.has(rolloutOf.get(s.name)!)).map((s) => s.name);
    const wrong = services
      .filter((s) => !matchedNames.has(s.name) && haltedAt.has(rolloutOf.get(s.name)!))
      .map((s) => s.name);
    const haltLatencies = matched
      .filter((s) => haltedAt.has(rolloutOf.get(s.name)!))
      .map((s) => haltedAt.get(rolloutOf.get(s.name)!)! - firstAlertAt.get(s.name)!);
    const rss = { workerMiB: peakRssMiB(worker.child.pid!), gatewayMiB: peakRssMiB(gateway.child.pid!) };
    const { rows: outbox } = await pool.query<{ outcome: string | null; n: number }>(
      'SELECT outcome, count(*)::int AS n FROM halt_requests GROUP BY outcome ORDER BY outcome',
    );

    const round = (x: number) => Math.round(x * 10) / 10;
    const results = {
      webhooksSent: alerts,
      queriesSent: queries,
      matchedRollouts: matched.length,
      haltedMatched: matched.length - lost.length,
      lostHalts: lost,
      wrongHalts: wrong,
      haltLatencyMs: {
        p50: round(percentile(haltLatencies, 50)),
        p95: round(percentile(haltLatencies, 95)),
        p99: round(percentile(haltLatencies, 99)),
        max: round(Math.max(...haltLatencies)),
      },
      gatewayLatencyMs: {
        webhookP50: round(percentile(webhookLatencies, 50)),
        webhookP95: round(percentile(webhookLatencies, 95)),
        queryP50: round(percentile(queryLatencies, 50)),
        queryP95: round(percentile(queryLatencies, 95)),
      },
      peakRss: rss,
      outbox: Object.fromEntries(outbox.map((r) => [r.outcome ?? 'PENDING', r.n])),
      allBakingSeconds: round(bakingSeconds),
      outboxDrainedSeconds: round(deliverySeconds),
      failures: failures.slice(0, 10),
      failureCount: failures.length,
    };
    const report: Report = {
      name: quick ? 'load-quick' : 'load',
      startedAt,
      machine: machineInfo({ temporal: temporal.cli.source }),
      parameters: {
        rollouts: ROLLOUTS,
        regionsPerRollout: REGIONS_PER_ROLLOUT,
        alertsPerSecond: ALERTS_PER_SECOND,
        queriesPerSecond: QUERIES_PER_SECOND,
        loadSeconds: LOAD_SECONDS,
        matchedShare: MATCHED_SHARE,
      },
      results,
      targets: [
        { what: 'halts lost', target: '0', measured: String(lost.length), met: lost.length === 0 },
        { what: 'wrong halts', target: '0', measured: String(wrong.length), met: wrong.length === 0 },
        {
          what: 'webhooks answered 200',
          target: 'all',
          measured: `${alerts - failures.length} of ${alerts}`,
          met: failures.length === 0,
        },
      ],
      notes: [
        'Halt latency runs from sending the first webhook that names a rollout to the RolloutHalted event being committed to PostgreSQL (after the workflow recorded it), on one machine clock.',
        'Matched alerts repeat one fingerprint and startsAt per rollout (duplicates after the first); the others are distinct alerts for untouched regions (NOT_AFFECTED) or services without a rollout (NO_RUNNING_ROLLOUT).',
        'Peak RSS is VmHWM from /proc for the worker and the gateway processes.',
        'The load starts once every rollout bakes its canary (allBakingSeconds after the last start); halts are counted once every halt request is delivered (outboxDrainedSeconds after the load ended), so a halt counts as lost only when nothing is left to deliver it. Either wait fails only when its count stops moving for 120 s.',
      ],
    };
    publish(root, report, log);
    if (lost.length > 0 || wrong.length > 0) process.exitCode = 1;
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await sim.close();
    await pool.end();
    await temporal.stop();
    await database.stop();
  }
}

runBench(main);
