import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type QueryConfig } from 'pg';
import pino from 'pino';
import { abortable, LiveEvents, PgEventStore, type NewEvent } from '../../../../libs/event-store/src';
import { testServices } from '../../../../test/support/test-env';
import { followRollout } from './rollout-events.subscription';

const requested = { service: 's', version: 'v1', requestedBy: 'alice', regions: ['r1'] };
const event = (type: string, data: Record<string, unknown> = {}): NewEvent => ({
  eventId: randomUUID(),
  type,
  data,
  metadata: { actor: 'spec', correlationId: 'c', schemaVersion: 1 },
});

/** A real pool that counts the queries sent through it. */
class CountingPool extends Pool {
  queries = 0;
  override query(...args: unknown[]): never {
    this.queries++;
    return (super.query as (...a: unknown[]) => never)(...(args as [QueryConfig]));
  }
}

describe('live delivery of rollout events', () => {
  let pool: CountingPool;
  let store: PgEventStore;
  let writer: PgEventStore;
  let writerPool: Pool;
  let live: LiveEvents;
  const log = pino({ level: 'silent' });

  beforeAll(async () => {
    pool = new CountingPool({ connectionString: testServices().databaseUrl, max: 8 });
    store = new PgEventStore(pool);
    writerPool = new Pool({ connectionString: testServices().databaseUrl, max: 2 });
    writer = new PgEventStore(writerPool);
    live = new LiveEvents(store, testServices().databaseUrl, log);
    await live.start();
  });
  afterAll(async () => {
    await live.stop();
    await pool.end();
    await writerPool.end();
  });

  it('fifty idle subscribers cost PostgreSQL at most one query a second', async () => {
    const streams = Array.from({ length: 5 }, () => `live-${randomUUID()}`);
    for (const stream of streams) await writer.append(stream, [event('RolloutRequested', requested)], 0);
    const followers = Array.from({ length: 50 }, (_, i) => followRollout(live, store, streams[i % 5], 0));
    // each takes its stored event, then waits for more
    await Promise.all(followers.map((f) => f.next()));
    const pending = followers.map((f) => f.next());
    const before = pool.queries;
    await sleep(3_000);
    const idle = pool.queries - before;
    expect(idle).toBeLessThanOrEqual(3);
    // and an event appended now still reaches every one of them, for one shared read per
    // stream, not one per follower
    const beforeAppends = pool.queries;
    for (const stream of streams) await writer.append(stream, [event('PrecheckPassed')], 1);
    const next = await Promise.all(pending);
    expect(next.map((n) => n.value?.type)).toEqual(followers.map(() => 'PrecheckPassed'));
    await sleep(200);
    expect(pool.queries - beforeAppends).toBeLessThanOrEqual(streams.length + 1);
    await Promise.all(followers.map((f) => f.return(undefined)));
  });

  const collect = async (iterator: AsyncIterator<{ streamPosition: number }>, count: number) => {
    const positions: number[] = [];
    while (positions.length < count) {
      const next = await iterator.next();
      if (next.done) break;
      positions.push(next.value.streamPosition);
    }
    return positions;
  };

  it('hands history over to live events with none skipped or repeated, while appends race with the reads', async () => {
    const stream = `race-${randomUUID()}`;
    await writer.append(stream, [event('A'), event('B')], 0);
    // appends keep coming while followers join at different positions
    const appending = (async () => {
      for (let version = 2; version < 200; version += 2) {
        await writer.append(stream, [event('C'), event('D')], version);
      }
    })();
    const followers = [0, 1, 7, 50].map((after) => ({ after, iterator: live.follow(stream, after) }));
    const got = await Promise.all(followers.map((f) => collect(f.iterator, 200 - f.after)));
    await appending;
    followers.forEach((f, i) =>
      expect(got[i]).toEqual(Array.from({ length: 200 - f.after }, (_, k) => f.after + k + 1)),
    );
    await Promise.all(followers.map((f) => f.iterator.return(undefined)));
  });

  it('delivers an event whose notification was lost (the listening connection dropped), by the heads check', async () => {
    const quick = new LiveEvents(store, testServices().databaseUrl, log, {
      catchUpMs: 300,
      reconnectMs: 60_000,
      batch: 500,
    });
    await quick.start();
    try {
      const stream = `lost-${randomUUID()}`;
      await writer.append(stream, [event('A')], 0);
      const iterator = quick.follow(stream, 0);
      expect(await collect(iterator, 1)).toEqual([1]);
      const waiting = iterator.next();
      // the listening backend is terminated: its notifications are gone, and it is not back for a minute
      await writerPool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN sluice_events' AND pid <> pg_backend_pid()`,
      );
      await sleep(200);
      expect(quick.listening).toBe(false);
      await writer.append(stream, [event('B')], 1);
      expect((await waiting).value?.streamPosition).toBe(2);
      await iterator.return(undefined);
    } finally {
      await quick.stop();
    }
  });

  it('a follower that goes away while it waits leaves at once', async () => {
    const stream = `gone-${randomUUID()}`;
    await writer.append(stream, [event('A')], 0);
    const before = live.watchedStreams;
    const iterator = abortable((signal) => live.follow(stream, 1, signal));
    const waiting = iterator.next();
    await sleep(100);
    expect(live.watchedStreams).toBe(before + 1);
    await iterator.return!(undefined);
    expect((await waiting).done).toBe(true);
    expect(live.watchedStreams).toBe(before);
  });
});
