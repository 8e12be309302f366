import type { Pool, PoolClient } from 'pg';
import {
  notificationFor,
  wants,
  type ChannelSpec,
  type Notification,
  type RolloutEvent,
  type RolloutRef,
} from '../../domain/src';
import { withTransaction, type EventRow, type PgEventStore } from '../../event-store/src';

export const CHECKPOINT = 'notifications';

/** Key of the advisory lock that serialises claims (an arbitrary constant, "notify" in ASCII). */
const CLAIM_LOCK_KEY = 0x6e6f74696679;

export interface DeliveryRow {
  id: string;
  channel: string;
  event_id: string;
  trigger: string;
  notification: Notification;
  queued_at: Date;
  attempts: number;
  last_error: string | null;
  delivered_at: Date | null;
  dead_at: Date | null;
}

export interface ChannelBacklog {
  channel: string;
  pending: number;
  dead: number;
  oldestPendingSeconds: number;
}

/**
 * The notification outbox in PostgreSQL. Queuing moves the notifier's
 * checkpoint in the same transaction (so each event is looked at once), and the outbox's
 * unique (channel, event_id) keeps a notification from being queued twice.
 */
export class NotificationStore {
  constructor(
    private readonly pool: Pool,
    private readonly eventStore: PgEventStore,
  ) {}

  /**
   * Looks at the next events after the checkpoint and queues a delivery for every channel
   * that wants one; the checkpoint row is locked meanwhile, so gateways take turns.
   * Returns the events looked at (0: the notifier is at the head).
   */
  async queueNext(batchSize = 1_000): Promise<{ events: number; queued: number }> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ position: string }>(
        'SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE',
        [CHECKPOINT],
      );
      if (!rows[0]) throw new Error('no checkpoint row for notifications (migrations not applied?)');
      const { rows: eventRows } = await client.query<EventRow>(
        'SELECT * FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2',
        [rows[0].position, batchSize],
      );
      if (eventRows.length === 0) return { events: 0, queued: 0 };
      const queued = await this.queue(client, eventRows);
      await client.query('UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE name = $1', [
        CHECKPOINT,
        eventRows[eventRows.length - 1].global_position,
      ]);
      return { events: eventRows.length, queued };
    });
  }

  private async queue(client: PoolClient, eventRows: EventRow[]): Promise<number> {
    const { rows: channelRows } = await client.query<{ spec: ChannelSpec; from_position: string }>(
      'SELECT spec, from_position FROM notification_channels',
    );
    const channels = channelRows.filter((c) => c.spec.enabled);
    if (channels.length === 0) return 0;
    const refs = await this.rolloutRefs(client, [...new Set(eventRows.map((e) => e.stream_id))]);
    const values: unknown[][] = [];
    for (const row of eventRows) {
      const ref = refs.get(row.stream_id);
      if (!ref) continue; // not a rollout's stream
      const event = this.eventStore.toRecorded(row);
      const n = notificationFor(
        { ...(event as unknown as RolloutEvent), eventId: event.eventId, recordedAt: event.recordedAt },
        ref,
      );
      if (!n) continue;
      for (const c of channels)
        if (BigInt(row.global_position) > BigInt(c.from_position) && wants(c.spec, n))
          values.push([c.spec.name, n.eventId, row.global_position, n.trigger, JSON.stringify(n)]);
    }
    if (values.length === 0) return 0;
    const { rowCount } = await client.query(
      `INSERT INTO notification_deliveries (channel, event_id, global_position, trigger, notification)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::bigint[], $4::text[], $5::jsonb[])
       ON CONFLICT ON CONSTRAINT notification_deliveries_once DO NOTHING`,
      [0, 1, 2, 3, 4].map((i) => values.map((v) => v[i])),
    );
    return rowCount ?? 0;
  }

  /** Each stream's rollout: its RolloutRequested, always the stream's first event. */
  private async rolloutRefs(client: PoolClient, streams: string[]): Promise<Map<string, RolloutRef>> {
    const { rows } = await client.query<{
      stream_id: string;
      data: { rolloutId: string; service: string; version: string };
    }>(
      `SELECT stream_id, data FROM events WHERE stream_id = ANY($1) AND stream_position = 1 AND type = 'RolloutRequested'`,
      [streams],
    );
    return new Map(
      rows.map((r) => [r.stream_id, { rolloutId: r.data.rolloutId, service: r.data.service, version: r.data.version }]),
    );
  }

  /**
   * Claims up to `limit` due deliveries for `leaseSeconds`, in order per channel: only from
   * channels with nothing leased now, and only rows no earlier row of their channel waits
   * ahead of (in its backoff). Claims are serialised by an advisory lock, so two gateways
   * never send one channel's notifications at once or out of order.
   */
  async claim(limit: number, leaseSeconds: number): Promise<DeliveryRow[]> {
    return withTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [CLAIM_LOCK_KEY]);
      const { rows } = await client.query<DeliveryRow>(
        `UPDATE notification_deliveries SET claimed_until = now() + make_interval(secs => $2), attempts = attempts + 1
         WHERE id IN (
           SELECT d.id FROM notification_deliveries d
           WHERE d.delivered_at IS NULL AND d.dead_at IS NULL AND d.next_attempt_at <= now()
             AND NOT EXISTS (
               SELECT 1 FROM notification_deliveries e
               WHERE e.channel = d.channel AND e.delivered_at IS NULL AND e.dead_at IS NULL
                 AND (e.claimed_until >= now() OR (e.id < d.id AND e.next_attempt_at > now())))
           ORDER BY d.id LIMIT $1)
         RETURNING *`,
        [limit, leaseSeconds],
      );
      return rows.sort((a, b) => Number(a.id) - Number(b.id));
    });
  }

  /** Gives back claimed rows that were not tried (an earlier one of their channel failed). */
  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      'UPDATE notification_deliveries SET claimed_until = NULL, attempts = attempts - 1 WHERE id = ANY($1::bigint[])',
      [ids],
    );
  }

  async delivered(id: string): Promise<void> {
    await this.pool.query(
      'UPDATE notification_deliveries SET delivered_at = now(), claimed_until = NULL, last_error = NULL WHERE id = $1',
      [id],
    );
  }

  /** A failed attempt: due again after `retryInSeconds`, or dead (dead-lettered) when `dead`. */
  async failed(id: string, error: string, retryInSeconds: number, dead: boolean): Promise<void> {
    await this.pool.query(
      `UPDATE notification_deliveries SET last_error = $2, claimed_until = NULL,
         next_attempt_at = now() + make_interval(secs => $3), dead_at = CASE WHEN $4 THEN now() END
       WHERE id = $1`,
      [id, error.slice(0, 2_000), retryInSeconds, dead],
    );
  }

  /** Dead-lettered deliveries, newest first. */
  async dead(limit = 200): Promise<DeliveryRow[]> {
    const { rows } = await this.pool.query<DeliveryRow>(
      'SELECT * FROM notification_deliveries WHERE dead_at IS NOT NULL ORDER BY id DESC LIMIT $1',
      [limit],
    );
    return rows;
  }

  /** Puts dead deliveries back in the queue with fresh attempts (all of them, or those named). */
  async retryDead(ids: readonly string[] | null): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE notification_deliveries SET dead_at = NULL, attempts = 0, next_attempt_at = now(), last_error = NULL
       WHERE dead_at IS NOT NULL AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))`,
      [ids],
    );
    return rowCount ?? 0;
  }

  /** Per channel: deliveries waiting, dead, and the age of the oldest waiting. */
  async backlog(): Promise<{ channels: ChannelBacklog[]; eventsBehind: number }> {
    const { rows } = await this.pool.query<{ channel: string; pending: string; dead: string; oldest: number | null }>(
      `SELECT c.name AS channel,
              count(d.id) FILTER (WHERE d.delivered_at IS NULL AND d.dead_at IS NULL) AS pending,
              count(d.id) FILTER (WHERE d.dead_at IS NOT NULL) AS dead,
              extract(epoch FROM now() - min(d.queued_at) FILTER (WHERE d.delivered_at IS NULL AND d.dead_at IS NULL))::float8 AS oldest
       FROM notification_channels c LEFT JOIN notification_deliveries d ON d.channel = c.name AND d.delivered_at IS NULL
       GROUP BY c.name`,
    );
    const { rows: behind } = await this.pool.query<{ n: string }>(
      `SELECT (SELECT coalesce(max(global_position), 0) FROM events) - position AS n
       FROM projection_checkpoints WHERE name = $1`,
      [CHECKPOINT],
    );
    return {
      channels: rows.map((r) => ({
        channel: r.channel,
        pending: Number(r.pending),
        dead: Number(r.dead),
        oldestPendingSeconds: r.oldest ?? 0,
      })),
      eventsBehind: Number(behind[0]?.n ?? 0),
    };
  }
}
