import type { Pool } from 'pg';
import { heldRollouts, type IncidentAction, type IncidentDecision } from '../../../../libs/domain/src';
import type { HaltRequestRow } from './halt-request.repository';

/** What one action came to: a halt's outcome, PAUSED, RESUMED, or why it was left alone. */
export interface ActionResult extends IncidentAction {
  outcome: string;
  /** The rollout it reached (a halt of a service names it only once the workflow answers). */
  reachedRolloutId: string | null;
  detail: string | null;
}

export interface StoredDecision {
  id: string;
  haltRequestId: string;
  fingerprint: string;
  startsAt: Date;
  service: string;
  region: string | null;
  alertname: string;
  decision: IncidentDecision;
  results: ActionResult[] | null;
  decidedAt: Date;
  actedAt: Date | null;
  resolvedAt: Date | null;
  resumed: ActionResult[] | null;
  resumedAt: Date | null;
}

interface Row {
  id: string;
  halt_request_id: string;
  fingerprint: string;
  starts_at: Date;
  service: string;
  region: string | null;
  alertname: string;
  decision: IncidentDecision;
  results: ActionResult[] | null;
  decided_at: Date;
  acted_at: Date | null;
  resolved_at: Date | null;
  resumed: ActionResult[] | null;
  resumed_at: Date | null;
}

const toDecision = (r: Row): StoredDecision => ({
  id: r.id,
  haltRequestId: r.halt_request_id,
  fingerprint: r.fingerprint,
  startsAt: r.starts_at,
  service: r.service,
  region: r.region,
  alertname: r.alertname,
  decision: r.decision,
  results: r.results,
  decidedAt: r.decided_at,
  actedAt: r.acted_at,
  resolvedAt: r.resolved_at,
  resumed: r.resumed,
  resumedAt: r.resumed_at,
});

/** The onIncident policy's decisions in PostgreSQL: stored before acting, read by the `incident` query. */
export class IncidentDecisionRepository {
  constructor(private readonly pool: Pool) {}

  /** The decision for this queueing of the request, if one was stored already (a redelivery). */
  async forRequest(request: HaltRequestRow): Promise<StoredDecision | undefined> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM incident_decisions WHERE halt_request_id = $1 AND queued_at = $2',
      [request.id, request.queued_at],
    );
    return rows[0] && toDecision(rows[0]);
  }

  /** Stores a decision; when another gateway stored one first, that one stands. */
  async store(request: HaltRequestRow, decision: IncidentDecision): Promise<StoredDecision> {
    await this.pool.query(
      `INSERT INTO incident_decisions
         (halt_request_id, queued_at, fingerprint, starts_at, service, region, alertname, policy, rule, verdict, summary,
          decision, resolved_at)
       SELECT $1::bigint, $2::timestamptz, $3::text, $4::timestamptz, $5::text, $6::text, $7::text, $8::text, $9::text,
              $10::text, $11::text, $12::jsonb, h.resolved_at
       FROM halt_requests h WHERE h.id = $1::bigint
       ON CONFLICT (halt_request_id, queued_at) DO NOTHING`,
      [
        request.id,
        request.queued_at,
        request.fingerprint,
        request.starts_at,
        request.service,
        request.region,
        request.alertname,
        decision.policy,
        decision.rule,
        decision.verdict,
        decision.summary,
        JSON.stringify(decision),
      ],
    );
    return (await this.forRequest(request))!;
  }

  async acted(id: string, results: ActionResult[]): Promise<void> {
    await this.pool.query('UPDATE incident_decisions SET results = $2, acted_at = now() WHERE id = $1', [
      id,
      JSON.stringify(results),
    ]);
  }

  /** The alert resolved (Alertmanager sent its fingerprint with status "resolved"): its pauses may be lifted. */
  async resolve(alerts: readonly { fingerprint: string; service: string; startsAt: Date }[]): Promise<number> {
    let resolved = 0;
    for (const a of alerts) {
      await this.pool.query(
        `UPDATE halt_requests SET resolved_at = now()
         WHERE fingerprint = $1 AND service = $2 AND starts_at = $3 AND resolved_at IS NULL`,
        [a.fingerprint, a.service, a.startsAt],
      );
      const { rowCount } = await this.pool.query(
        `UPDATE incident_decisions SET resolved_at = now()
         WHERE fingerprint = $1 AND service = $2 AND starts_at = $3 AND resolved_at IS NULL`,
        [a.fingerprint, a.service, a.startsAt],
      );
      resolved += rowCount ?? 0;
    }
    return resolved;
  }

  /** Pause decisions acted on and resolved, whose pauses are not lifted yet. */
  async toResume(limit = 20): Promise<StoredDecision[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM incident_decisions
       WHERE rule = 'PAUSE_EXTERNAL' AND acted_at IS NOT NULL AND resolved_at IS NOT NULL AND resumed_at IS NULL
       ORDER BY id LIMIT $1`,
      [limit],
    );
    return rows.map(toDecision);
  }

  /**
   * Rollouts held by the pause decisions of alerts that still fire: paused by them, found paused
   * already, or about to be paused (stored, not yet acted on). A resolve of another alert leaves
   * them paused.
   */
  async stillHeld(exceptDecision: string): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ decision: IncidentDecision }>(
      `SELECT decision FROM incident_decisions
       WHERE rule = 'PAUSE_EXTERNAL' AND resolved_at IS NULL AND id <> $1`,
      [exceptDecision],
    );
    return new Set(rows.flatMap((r) => heldRollouts(r.decision).map((h) => h.rolloutId)));
  }

  async resumed(id: string, results: ActionResult[]): Promise<void> {
    await this.pool.query('UPDATE incident_decisions SET resumed = $2, resumed_at = now() WHERE id = $1', [
      id,
      JSON.stringify(results),
    ]);
  }

  /** The decisions taken for one alert, oldest first. */
  async forAlert(service: string, startsAt: Date): Promise<StoredDecision[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM incident_decisions WHERE service = $1 AND starts_at = $2 ORDER BY id',
      [service, startsAt],
    );
    return rows.map(toDecision);
  }
}
