import type { Pool, PoolClient } from 'pg';
import { ErrorCode, SluiceError } from '../../domain/src';
import { withTransaction } from './transaction';

export interface EventMetadata {
  actor: string;
  correlationId: string;
  workflowId?: string;
  runId?: string;
  schemaVersion: number;
  [key: string]: unknown;
}

export interface NewEvent {
  eventId: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
}

export interface RecordedEvent {
  /** bigint as a decimal string: JSON numbers cannot hold every bigserial. */
  globalPosition: string;
  streamId: string;
  streamPosition: number;
  eventId: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  recordedAt: Date;
}

/** Key of the advisory lock that serialises appends (an arbitrary constant, "sluice" in ASCII). */
export const APPEND_LOCK_KEY = 0x736c75696365;

/** `any` skips the check; a number is the stream's version (its last position, 0 when empty). */
export type ExpectedVersion = number | 'any';

export interface AppendResult {
  /** The stream's version after the append. */
  version: number;
  /** False when every event was already there (a retried append). */
  appended: boolean;
}

export interface EventRow {
  global_position: string;
  stream_id: string;
  stream_position: number;
  event_id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  recorded_at: Date;
}

/** Brings stored `data` written at `schemaVersion` up to the shape readers expect. */
export type Upcaster = (type: string, schemaVersion: number, data: Record<string, unknown>) => Record<string, unknown>;

const noUpcasting: Upcaster = (_type, _version, data) => data;

export class StreamVersionConflictError extends SluiceError {
  constructor(streamId: string, expected: number, actual: number) {
    super(
      ErrorCode.StreamVersionConflict,
      `stream "${streamId}": expected version ${expected} but it is at ${actual}`,
      { streamId, expected, actual },
    );
  }
}

/** Append-only event store on PostgreSQL: one stream per rollout, optimistic concurrency per stream. */
export class PgEventStore {
  constructor(
    private readonly pool: Pool,
    private readonly upcast: Upcaster = noUpcasting,
  ) {}

  /** Every read goes through here: old event shapes are upcast before anyone sees them. */
  toRecorded(row: EventRow): RecordedEvent {
    return {
      globalPosition: row.global_position,
      streamId: row.stream_id,
      streamPosition: row.stream_position,
      eventId: row.event_id,
      type: row.type,
      data: this.upcast(row.type, row.metadata.schemaVersion ?? 1, row.data),
      metadata: row.metadata,
      recordedAt: row.recorded_at,
    };
  }

  /**
   * Appends `events` atomically at the end of `streamId`. A batch whose ids are all stored
   * already is a no-op (a retry); otherwise the stream must be at `expectedVersion`.
   */
  async append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    return withTransaction(this.pool, async (client) => {
      // One writer at a time, for two reasons: the version check and the insert must see the
      // same tail of the stream, and global_position must be taken in commit order, or a
      // projection reading "after N" could pass over an event that commits late.
      await client.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK_KEY]);
      const ids = events.map((e) => e.eventId);
      const existing = await client.query<{ event_id: string; stream_id: string }>(
        'SELECT event_id, stream_id FROM events WHERE event_id = ANY($1::uuid[])',
        [ids],
      );
      const current = await this.versionWith(client, streamId);
      if (existing.rowCount === events.length && existing.rows.every((r) => r.stream_id === streamId)) {
        return { version: current, appended: false };
      }
      if (existing.rowCount !== 0) {
        throw new SluiceError(
          ErrorCode.StreamVersionConflict,
          `stream "${streamId}": ${existing.rowCount} of ${events.length} event ids are stored already; a batch is all or nothing`,
          { streamId, eventIds: existing.rows.map((r) => r.event_id) },
        );
      }
      if (expectedVersion !== 'any' && expectedVersion !== current) {
        throw new StreamVersionConflictError(streamId, expectedVersion, current);
      }
      await client.query(
        `INSERT INTO events (stream_id, stream_position, event_id, type, data, metadata)
         SELECT $1, $2 + ord, id, type, data, metadata
         FROM unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[]) WITH ORDINALITY AS e(id, type, data, metadata, ord)`,
        [
          streamId,
          current,
          ids,
          events.map((e) => e.type),
          events.map((e) => JSON.stringify(e.data)),
          events.map((e) => JSON.stringify(e.metadata)),
        ],
      );
      return { version: current + events.length, appended: true };
    });
  }

  async readStream(streamId: string, options: { after?: number; limit?: number } = {}): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT * FROM events WHERE stream_id = $1 AND stream_position > $2 ORDER BY stream_position LIMIT $3`,
      [streamId, options.after ?? 0, options.limit ?? 10_000],
    );
    return rows.map((row) => this.toRecorded(row));
  }

  /** Events of every stream after `globalPosition`, in commit order of their positions: the feed for projections. */
  async readAll(afterGlobalPosition: string, limit = 1_000): Promise<RecordedEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      'SELECT * FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2',
      [afterGlobalPosition, limit],
    );
    return rows.map((row) => this.toRecorded(row));
  }

  async streamVersion(streamId: string): Promise<number> {
    const { rows } = await this.pool.query<{ version: number }>(
      'SELECT coalesce(max(stream_position), 0)::int AS version FROM events WHERE stream_id = $1',
      [streamId],
    );
    return rows[0].version;
  }

  /** Several streams in one query: each one's events after its own position, at most `limit` each. */
  async readStreams(
    wants: ReadonlyArray<{ streamId: string; after: number }>,
    limit: number,
  ): Promise<Map<string, RecordedEvent[]>> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT e.* FROM unnest($1::text[], $2::int[]) AS w(stream_id, after)
       CROSS JOIN LATERAL (
         SELECT * FROM events WHERE stream_id = w.stream_id AND stream_position > w.after
         ORDER BY stream_position LIMIT $3
       ) e
       ORDER BY e.stream_id, e.stream_position`,
      [wants.map((w) => w.streamId), wants.map((w) => w.after), limit],
    );
    const read = new Map<string, RecordedEvent[]>(wants.map((w) => [w.streamId, []]));
    for (const row of rows) read.get(row.stream_id)!.push(this.toRecorded(row));
    return read;
  }

  /** The head position of each of `streamIds` that has events, in one query. */
  async streamHeads(streamIds: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ stream_id: string; head: number }>(
      'SELECT stream_id, max(stream_position)::int AS head FROM events WHERE stream_id = ANY($1) GROUP BY stream_id',
      [streamIds],
    );
    return new Map(rows.map((r) => [r.stream_id, r.head]));
  }

  private async versionWith(client: PoolClient, streamId: string): Promise<number> {
    const { rows } = await client.query<{ version: number }>(
      'SELECT coalesce(max(stream_position), 0)::int AS version FROM events WHERE stream_id = $1',
      [streamId],
    );
    return rows[0].version;
  }
}
