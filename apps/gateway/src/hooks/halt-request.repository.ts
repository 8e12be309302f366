import type { Pool } from 'pg';
import { ACTIVE_STATUSES } from '../../../../libs/domain/src';
import { withTransaction } from '../../../../libs/event-store/src';
import type { HaltOutcome } from '../../../../workflows/rollout.messages';
import type { Alert } from './alertmanager-payload';

/** A halt request as the webhook or `/hooks/halt` hands it to the outbox. */
export interface NewHaltRequest {
  source: 'alertmanager' | 'hook';
  /** Repeats of one request share it: an alert's fingerprint, or a hook's id (hashed). */
  dedupeKey: string;
  /** When the condition began: the alert's startsAt, or the hook's window or call. */
  startsAt: Date;
  service: string;
  /** The service region it matched; null when it names none. */
  region: string | null;
  /** The region label as monitoring sent it. */
  alertRegion: string | null;
  /** The alert's name, or the hook's reason. */
  reason: string;
  alert: Alert | null;
  requestedBy: string;
  /** Decided before delivery (UNMATCHED): stored as delivered, for the record. */
  outcome?: HaltOutcome;
}

export interface HaltRequestRow {
  id: string;
  source: 'alertmanager' | 'hook';
  fingerprint: string;
  starts_at: Date;
  service: string;
  region: string | null;
  alertname: string;
  reason: string;
  alert: Alert | null;
  requested_by: string;
  received_at: Date;
  queued_at: Date;
  last_seen_at: Date;
  attempts: number;
}

/** Outcomes that say "not this time": a repeat of the alert is looked at again. */
const REVISITED: HaltOutcome[] = ['NOT_AFFECTED', 'NO_RUNNING_ROLLOUT', 'STALE'];

export interface OutboxStats {
  pending: number;
  oldestPendingSeconds: number;
  dead: number;
}

/**
 * The halt outbox in PostgreSQL. Rows are claimed for a lease, never locked across a call to
 * Temporal, so a workflow that cannot answer holds up only its own row.
 */
export class HaltRequestRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Stores requests, one transaction for the lot. A repeat of a stored one is a duplicate; it
   * marks the request as still firing, and a request that did not halt before (its rollout
   * had not touched the region, or none ran) is queued again to be looked at afresh.
   */
  async enqueue(requests: readonly NewHaltRequest[]): Promise<{ queued: number; duplicates: number }> {
    // counts only requests left to deliver
    const result = { queued: 0, duplicates: 0 };
    await withTransaction(this.pool, async (client) => {
      for (const r of requests) {
        const { rows } = await client.query<{ inserted: boolean }>(
          `INSERT INTO halt_requests
             (source, fingerprint, starts_at, service, region, alert_region, alertname, reason, alert, requested_by,
              delivered_at, outcome)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, CASE WHEN $10::text IS NULL THEN NULL ELSE now() END, $10)
           ON CONFLICT (fingerprint, starts_at, service) DO UPDATE SET
             last_seen_at = now(),
             delivered_at = CASE WHEN halt_requests.outcome = ANY($11) THEN NULL ELSE halt_requests.delivered_at END,
             outcome = CASE WHEN halt_requests.outcome = ANY($11) THEN NULL ELSE halt_requests.outcome END,
             next_attempt_at = CASE WHEN halt_requests.outcome = ANY($11) THEN now() ELSE halt_requests.next_attempt_at END,
             queued_at = CASE WHEN halt_requests.outcome = ANY($11) THEN now() ELSE halt_requests.queued_at END
           RETURNING (xmax = 0) AS inserted`,
          [
            r.source,
            r.dedupeKey,
            r.startsAt,
            r.service,
            r.region,
            r.alertRegion,
            r.reason,
            r.alert === null ? null : JSON.stringify(r.alert),
            r.requestedBy,
            r.outcome ?? null,
            REVISITED,
          ],
        );
        if (r.outcome !== undefined) continue; // settled already (UNMATCHED): stored for the record only
        if (rows[0]?.inserted) result.queued += 1;
        else result.duplicates += 1;
      }
    });
    return result;
  }

  /**
   * Claims up to `limit` rows due for delivery for `leaseSeconds`: one statement, no
   * transaction left open. Rows for a service with a rollout in flight (per the projection)
   * come first, so a storm of alerts about other services cannot queue a real halt behind it.
   * Order only: every row is delivered through Temporal, so a projection that lags loses nothing.
   */
  async claim(limit: number, leaseSeconds: number): Promise<HaltRequestRow[]> {
    const { rows } = await this.pool.query<HaltRequestRow>(
      `UPDATE halt_requests SET claimed_at = now(), claimed_until = now() + make_interval(secs => $3), attempts = attempts + 1
       WHERE id IN (
         SELECT h.id FROM halt_requests h
         WHERE h.delivered_at IS NULL AND h.dead_at IS NULL AND h.next_attempt_at <= now()
           AND (h.claimed_until IS NULL OR h.claimed_until < now())
         ORDER BY EXISTS (SELECT 1 FROM rollouts r WHERE r.service = h.service AND r.status = ANY($1)) DESC, h.id
         LIMIT $2 FOR UPDATE OF h SKIP LOCKED)
       RETURNING *`,
      [ACTIVE_STATUSES, limit, leaseSeconds],
    );
    return rows.sort((a, b) => Number(a.id) - Number(b.id));
  }

  /** Extends the claims of rows still being delivered, so no other claim takes them meanwhile. */
  async renew(ids: readonly string[], leaseSeconds: number): Promise<void> {
    await this.pool.query(
      `UPDATE halt_requests SET claimed_until = now() + make_interval(secs => $2)
       WHERE id = ANY($1::bigint[]) AND delivered_at IS NULL AND claimed_until IS NOT NULL`,
      [ids, leaseSeconds],
    );
  }

  async delivered(id: string, outcome: HaltOutcome, rolloutId: string | null): Promise<void> {
    await this.pool.query(
      `UPDATE halt_requests SET delivered_at = now(), outcome = $2, rollout_id = $3, claimed_until = NULL, last_error = NULL
       WHERE id = $1`,
      [id, outcome, rolloutId],
    );
  }

  /** A failed attempt: due again after `retryInSeconds`, or dead when `dead` (attempts spent). */
  async failed(id: string, error: string, retryInSeconds: number, dead: boolean): Promise<void> {
    await this.pool.query(
      `UPDATE halt_requests SET last_error = $2, claimed_until = NULL,
         next_attempt_at = now() + make_interval(secs => $3), dead_at = CASE WHEN $4 THEN now() END
       WHERE id = $1`,
      [id, error.slice(0, 2_000), retryInSeconds, dead],
    );
  }

  async stats(): Promise<OutboxStats> {
    const { rows } = await this.pool.query<{ pending: string; oldest: number | null; dead: string }>(
      `SELECT count(*) FILTER (WHERE dead_at IS NULL) AS pending,
              extract(epoch FROM now() - min(queued_at) FILTER (WHERE dead_at IS NULL))::float8 AS oldest,
              count(*) FILTER (WHERE dead_at IS NOT NULL) AS dead
       FROM halt_requests WHERE delivered_at IS NULL`,
    );
    const row = rows[0];
    return { pending: Number(row.pending), oldestPendingSeconds: row.oldest ?? 0, dead: Number(row.dead) };
  }
}
