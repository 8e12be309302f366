import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { ErrorCode, type SluiceError } from '../../domain/src';
import { testServices } from '../../../test/support/test-env';
import { eventIdFor } from './event-id';
import { PgEventStore, type NewEvent } from './event-store';

const metadata = { actor: 'spec', correlationId: 'c', schemaVersion: 1 };
const event = (type: string, data: Record<string, unknown> = {}): NewEvent => ({
  eventId: randomUUID(),
  type,
  data,
  metadata,
});

describe('PostgreSQL event store', () => {
  let pool: Pool;
  let store: PgEventStore;

  beforeAll(() => {
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 8 });
    store = new PgEventStore(pool);
  });
  afterAll(() => pool.end());

  it('appends a batch at the next positions and reads it back in order', async () => {
    const stream = `s-${randomUUID()}`;
    expect(await store.append(stream, [event('A'), event('B')], 0)).toEqual({ version: 2, appended: true });
    expect(await store.append(stream, [event('C')], 2)).toEqual({ version: 3, appended: true });
    const read = await store.readStream(stream);
    expect(read.map((e) => [e.streamPosition, e.type])).toEqual([
      [1, 'A'],
      [2, 'B'],
      [3, 'C'],
    ]);
    expect((await store.readStream(stream, { after: 1, limit: 1 })).map((e) => e.type)).toEqual(['B']);
  });

  it('lets exactly one of two concurrent appends at the same version win; the other names stream and versions', async () => {
    const stream = `s-${randomUUID()}`;
    await store.append(stream, [event('Start')], 0);
    const results = await Promise.allSettled([
      store.append(stream, [event('Left')], 1),
      store.append(stream, [event('Right')], 1),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const error = lost[0].reason as SluiceError;
    expect(error.code).toBe(ErrorCode.StreamVersionConflict);
    expect(error.message).toBe(`stream "${stream}": expected version 1 but it is at 2`);
    expect(await store.streamVersion(stream)).toBe(2);
  });

  it('treats a retried append (same event ids) as a no-op', async () => {
    const stream = `s-${randomUUID()}`;
    const unique = [1, 2].map((step) => ({ ...event('Step'), eventId: eventIdFor(stream, 'run', step) }));
    expect(await store.append(stream, unique, 0)).toEqual({ version: 2, appended: true });
    expect(await store.append(stream, unique, 0)).toEqual({ version: 2, appended: false });
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('refuses a batch of which only part is stored', async () => {
    const stream = `s-${randomUUID()}`;
    const first = event('A');
    await store.append(stream, [first], 0);
    await expect(store.append(stream, [first, event('B')], 1)).rejects.toMatchObject({
      code: ErrorCode.StreamVersionConflict,
    });
    expect(await store.streamVersion(stream)).toBe(1);
  });

  it('keeps history append-only: updates and deletes are refused by the database', async () => {
    const stream = `s-${randomUUID()}`;
    await store.append(stream, [event('A')], 0);
    await expect(pool.query("UPDATE events SET type = 'X' WHERE stream_id = $1", [stream])).rejects.toThrow(
      /append-only/,
    );
    await expect(pool.query('DELETE FROM events WHERE stream_id = $1', [stream])).rejects.toThrow(/append-only/);
  });

  it('feeds projections with every stream after a global position', async () => {
    const stream = `s-${randomUUID()}`;
    await store.append(stream, [event('A')], 0);
    const [a] = await store.readStream(stream);
    await store.append(stream, [event('B')], 1);
    const after = await store.readAll(a.globalPosition);
    expect(after.map((e) => e.type)).toContain('B');
    expect(after.every((e) => BigInt(e.globalPosition) > BigInt(a.globalPosition))).toBe(true);
  });
});
