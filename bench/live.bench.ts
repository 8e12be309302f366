/**
 * `npm run bench:live [-- --quick]`: live delivery of rollout events. 200 graphql-ws
 * subscribers on the real gateway, spread over 20 rollouts, first idle, then a burst of
 * events appended to every rollout.
 *
 * Measured: the queries live delivery sends PostgreSQL while nothing happens (the gateway's
 * `sluice_live_event_queries_total`), the time from each append to its delivery at every
 * subscriber, and events missed or delivered twice. Reference, same database, same run: the
 * design it replaced, 200 followers each polling its stream every 250 ms (in this process,
 * so without the WebSocket hop Sluice's figures include).
 */
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { PgEventStore, type NewEvent } from '../libs/event-store/src';
import { tokenOf } from '../test/support/test-tokens';
import { machineInfo, percentile, publish, runBench, type Report } from './bench-report';
import { sleep, startBenchStack } from './bench-stack';
import { pollingFollow } from './reference/polling-follow';

const quick = process.argv.includes('--quick');
const ROLLOUTS = 20;
const SUBSCRIBERS = 200;
const IDLE_SECONDS = quick ? 5 : 30;
/** Events appended to each rollout in the burst. */
const BURST = quick ? 5 : 20;
const DELIVERY_DEADLINE_MS = 15_000;
const log = (msg: string) => console.log(`[bench:live] ${msg}`);

const event = (type: string, data: Record<string, unknown> = {}): NewEvent => ({
  eventId: randomUUID(),
  type,
  data,
  metadata: { actor: 'bench', correlationId: 'bench-live', schemaVersion: 1 },
});

/** Deliveries as they arrive: per subscriber, each position with when it came. */
class Deliveries {
  readonly got: Array<Array<{ position: number; at: number }>> = [];
  add(subscriber: number, position: number): void {
    (this.got[subscriber] ??= []).push({ position, at: performance.now() });
  }
  /** How many subscribers hold every position up to `head`. */
  complete(head: number): number {
    return this.got.filter((g) => new Set(g.map((d) => d.position)).size >= head).length;
  }
}

interface Figures {
  idleDbQueriesPerSec: number;
  fanoutP50Ms: number;
  fanoutP99Ms: number;
  missed: number;
  duplicated: number;
}

/** Appends the burst, the rollouts of each round at once, and returns when each position was committed. */
async function burst(writer: PgEventStore, streams: string[], from: number): Promise<Map<string, number>> {
  const appendedAt = new Map<string, number>();
  for (let k = 0; k < BURST; k++) {
    await Promise.all(
      streams.map(async (stream) => {
        await writer.append(stream, [event('BenchTick', { k })], from + k);
        // appended once committed: only then can anyone read it
        appendedAt.set(`${stream}#${from + k + 1}`, performance.now());
      }),
    );
  }
  return appendedAt;
}

/** Waits until every subscriber holds every position up to `head`, or the deadline. */
async function settle(deliveries: Deliveries, subscribers: number, head: number): Promise<void> {
  const deadline = performance.now() + DELIVERY_DEADLINE_MS;
  while (deliveries.complete(head) < subscribers && performance.now() < deadline) await sleep(50);
}

function figuresOf(
  deliveries: Deliveries,
  streamOf: (subscriber: number) => string,
  appendedAt: Map<string, number>,
  from: number,
  idleQueriesPerSec: number,
): Figures {
  const latencies: number[] = [];
  let missed = 0;
  let duplicated = 0;
  for (let s = 0; s < SUBSCRIBERS; s++) {
    const got = (deliveries.got[s] ?? []).filter((d) => d.position > from);
    const seen = new Set<number>();
    for (const d of got) {
      if (seen.has(d.position)) duplicated++;
      seen.add(d.position);
      const appended = appendedAt.get(`${streamOf(s)}#${d.position}`);
      if (appended !== undefined) latencies.push(d.at - appended);
    }
    for (let p = from + 1; p <= from + BURST; p++) if (!seen.has(p)) missed++;
  }
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    idleDbQueriesPerSec: round(idleQueriesPerSec),
    fanoutP50Ms: round(percentile(latencies, 50)),
    fanoutP99Ms: round(percentile(latencies, 99)),
    missed,
    duplicated,
  };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const stack = await startBenchStack({ regions: ['live-r1'] });
  const writer = new PgEventStore(stack.pool);
  const clients: Client[] = [];
  const stamp = Date.now();
  const streams = Array.from({ length: ROLLOUTS }, (_, i) => `live-bench-${stamp}-${i}`);
  const streamOf = (subscriber: number) => streams[subscriber % ROLLOUTS];
  try {
    for (const stream of streams) {
      await writer.append(
        stream,
        [event('RolloutRequested', { service: 'live', version: 'v1', requestedBy: 'bench', regions: ['live-r1'] })],
        0,
      );
    }

    // Sluice: graphql-ws subscriptions through the gateway
    const queries = async () => {
      const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
      return Number(/^sluice_live_event_queries_total (\S+)$/m.exec(text)?.[1] ?? NaN);
    };
    const sluice = new Deliveries();
    for (let s = 0; s < SUBSCRIBERS; s++) {
      const client = createClient({
        url: `${stack.gateway.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${tokenOf('viewer')}` },
        retryAttempts: 0,
      });
      clients.push(client);
      client.subscribe<{ rolloutEvents: { position: number } }>(
        { query: 'subscription ($id: ID!) { rolloutEvents(id: $id) { position } }', variables: { id: streamOf(s) } },
        {
          next: (value) => value.data && sluice.add(s, value.data.rolloutEvents.position),
          error: (err) => log(`subscriber ${s}: ${JSON.stringify(err)}`),
          complete: () => undefined,
        },
      );
    }
    await settle(sluice, SUBSCRIBERS, 1);
    log(`${sluice.complete(1)} subscribers hold their rollout's history; idle for ${IDLE_SECONDS} s`);
    const before = await queries();
    await sleep(IDLE_SECONDS * 1000);
    const idle = ((await queries()) - before) / IDLE_SECONDS;
    const beforeBurst = await queries();
    const sluiceAppended = await burst(writer, streams, 1);
    await settle(sluice, SUBSCRIBERS, 1 + BURST);
    const burstQueries = (await queries()) - beforeBurst;
    const measured = figuresOf(sluice, streamOf, sluiceAppended, 1, idle);
    log(`sluice: ${JSON.stringify(measured)}, ${burstQueries} queries for the burst of ${ROLLOUTS * BURST} events`);
    await Promise.all(clients.map((c) => c.dispose()));

    // Reference: the polling design, on the same database, counting its reads
    const pool = new Pool({ connectionString: stack.database.url, max: 10 });
    let polls = 0;
    const counted = new PgEventStore(pool);
    const readStream = counted.readStream.bind(counted);
    const store = {
      readStream: (...args: Parameters<PgEventStore['readStream']>) => {
        polls++;
        return readStream(...args);
      },
    };
    const controller = new AbortController();
    const polling = new Deliveries();
    const from = 1 + BURST;
    const followers = Array.from({ length: SUBSCRIBERS }, async (_, s) => {
      for await (const e of pollingFollow(store, streamOf(s), from - 1, controller.signal))
        polling.add(s, e.streamPosition);
    });
    await settle(polling, SUBSCRIBERS, 1);
    await sleep(1_000);
    const pollsBefore = polls;
    await sleep(IDLE_SECONDS * 1000);
    const pollingIdle = (polls - pollsBefore) / IDLE_SECONDS;
    const referenceAppended = await burst(writer, streams, from);
    const settleDeadline = performance.now() + DELIVERY_DEADLINE_MS;
    while (performance.now() < settleDeadline) {
      const done = polling.got.filter((g) => g && g.filter((d) => d.position > from).length >= BURST).length;
      if (done >= SUBSCRIBERS) break;
      await sleep(50);
    }
    controller.abort();
    await Promise.all(followers);
    await pool.end();
    const reference = figuresOf(polling, streamOf, referenceAppended, from, pollingIdle);
    log(`polling reference: ${JSON.stringify(reference)}`);

    const report: Report & Figures & { subscribers: number; reference: Figures } = {
      name: quick ? 'live-quick' : 'live',
      startedAt,
      machine: machineInfo({ temporal: stack.temporal.source }),
      parameters: { subscribers: SUBSCRIBERS, rollouts: ROLLOUTS, idleSeconds: IDLE_SECONDS, burstPerRollout: BURST },
      subscribers: SUBSCRIBERS,
      ...measured,
      reference,
      results: { sluice: { ...measured, burstQueries }, pollingReference: reference },
      targets: [
        {
          what: 'idle queries to PostgreSQL per second',
          target: '≤ 1',
          measured: `${measured.idleDbQueriesPerSec} (polling: ${reference.idleDbQueriesPerSec})`,
          met: measured.idleDbQueriesPerSec <= 1,
        },
        {
          what: 'append → delivery at every subscriber, p99',
          target: '≤ 100 ms',
          measured: `${measured.fanoutP99Ms} ms (p50 ${measured.fanoutP50Ms}; polling p99 ${reference.fanoutP99Ms})`,
          met: measured.fanoutP99Ms <= 100,
        },
        {
          what: 'events missed, delivered twice',
          target: '0, 0',
          measured: `${measured.missed}, ${measured.duplicated}`,
          met: measured.missed === 0 && measured.duplicated === 0,
        },
      ],
      notes: [
        `Each of the ${ROLLOUTS} rollouts has ${SUBSCRIBERS / ROLLOUTS} subscribers, each on its own graphql-ws connection to the gateway.`,
        `The burst appends ${BURST} events to every rollout, one round after another, the rollouts of a round at once; latency runs from each append's commit (its call returning) to its arrival at each subscriber.`,
        'Idle queries are the gateway’s own count of what live delivery sent PostgreSQL (history reads, shared reads, the 5 s head check).',
        'The polling reference runs in the bench process (no WebSocket hop): each follower reads its stream every 250 ms.',
      ],
    };
    publish(stack.root, report, log);
    const unmet = report.targets.filter((t) => !t.met);
    if (unmet.length > 0 && !quick) log(`targets not met: ${unmet.map((t) => t.what).join('; ')}`);
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await stack.stop();
  }
}

runBench(main);
