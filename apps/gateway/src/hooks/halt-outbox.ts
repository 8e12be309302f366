import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Pool } from 'pg';
import { Counter, Histogram, type Registry } from 'prom-client';
import { ACTIVE_STATUSES } from '../../../../libs/domain/src';
import { withTransaction } from '../../../../libs/event-store/src';
import { forEachLimited } from '../../../../libs/platform/src/concurrency';
import {
  haltIfAffectedUpdate,
  haltSignal,
  liveStateQuery,
  type HaltOutcome,
  type HaltRequest,
} from '../../../../workflows/rollout.messages';
import { SluiceRolloutId } from '../../../../workflows/rollout.search-attributes';
import { rolloutWorkflowId } from '../../../../workflows/rollout.types';
import { interpretTemporalError } from '../temporal/temporal-errors';
import type { Alert, AlertLabels } from './alertmanager-payload';

export interface EnqueueResult {
  /** Firing alerts queued for delivery. */
  queued: number;
  /** Firing alerts already received (same fingerprint, start and service). */
  duplicates: number;
  /** Resolved alerts, and alerts without a service label. */
  ignored: number;
}

interface HaltRequestRow {
  id: string;
  fingerprint: string;
  starts_at: Date;
  service: string;
  region: string | null;
  alertname: string;
  alert: Alert;
  requested_by: string;
  received_at: Date;
}

type Outcome = HaltOutcome;

/** Halt deliveries (Temporal calls) in flight at once per batch. */
const DELIVERY_CONCURRENCY = 16;

/**
 * The webhook's outbox: alerts are committed before the webhook answers, then delivered as
 * halt signals, so a gateway crash in between loses nothing.
 */
export class HaltOutbox {
  private readonly latency: Histogram;
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    private readonly pool: Pool,
    private readonly temporal: Client,
    readonly labels: AlertLabels,
    metrics: Registry,
  ) {
    this.latency = new Histogram({
      name: 'sluice_halt_latency_seconds',
      help: 'From receiving a firing alert to the halt signal being accepted by the rollout workflow.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [metrics],
    });
    this.outcomes = new Counter({
      name: 'sluice_alert_deliveries_total',
      help: 'Firing alerts delivered, by outcome: HALTED, NO_RUNNING_ROLLOUT, NOT_AFFECTED.',
      labelNames: ['outcome'],
      registers: [metrics],
    });
  }

  async enqueue(alerts: readonly Alert[], requestedBy: string): Promise<EnqueueResult> {
    const result: EnqueueResult = { queued: 0, duplicates: 0, ignored: 0 };
    await withTransaction(this.pool, async (client) => {
      for (const alert of alerts) {
        const service = alert.labels[this.labels.service];
        if (alert.status !== 'firing' || !service) {
          result.ignored += 1;
          continue;
        }
        const inserted = await client.query(
          `INSERT INTO halt_requests (fingerprint, starts_at, service, region, alertname, alert, requested_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (fingerprint, starts_at, service) DO NOTHING RETURNING id`,
          [
            alert.fingerprint,
            alert.startsAt,
            service,
            alert.labels[this.labels.region] ?? null,
            alert.labels.alertname ?? 'unnamed alert',
            JSON.stringify(alert),
            requestedBy,
          ],
        );
        if (inserted.rowCount === 1) result.queued += 1;
        else result.duplicates += 1;
      }
    });
    return result;
  }

  /**
   * Delivers pending halts; rows are locked so several gateways never deliver one twice.
   * The Temporal calls of a batch run DELIVERY_CONCURRENCY at a time (a burst of alerts for
   * services with nothing running must not queue a real halt behind it); the outcomes are
   * then written in order on the one transaction.
   */
  async deliverPending(): Promise<number> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<HaltRequestRow>(
        // Alerts for a service with a rollout in flight (per the projection) go first, so a
        // storm of alerts about other services cannot queue a real halt behind it. Order only:
        // every row is still delivered through Temporal, so a projection that lags loses nothing.
        `SELECT h.* FROM halt_requests h
         WHERE h.delivered_at IS NULL
         ORDER BY EXISTS (SELECT 1 FROM rollouts r WHERE r.service = h.service AND r.status = ANY($1)) DESC, h.id
         LIMIT 50 FOR UPDATE OF h SKIP LOCKED`,
        [ACTIVE_STATUSES],
      );
      const results = new Array<
        { outcome: Outcome; rolloutId: string | null; deliveredAt: number } | { error: unknown }
      >(rows.length);
      await forEachLimited(rows, DELIVERY_CONCURRENCY, async (row, i) => {
        results[i] = await this.deliver(row).then(
          (delivered) => ({ ...delivered, deliveredAt: Date.now() }),
          (error: unknown) => ({ error }),
        );
      });
      for (const [i, row] of rows.entries()) {
        const result = results[i];
        if ('error' in result) {
          const { error } = result;
          await client.query('UPDATE halt_requests SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [
            row.id,
            error instanceof Error ? error.message : String(error),
          ]);
          continue;
        }
        await client.query(
          `UPDATE halt_requests SET delivered_at = now(), outcome = $2, rollout_id = $3, attempts = attempts + 1 WHERE id = $1`,
          [row.id, result.outcome, result.rolloutId],
        );
        this.outcomes.inc({ outcome: result.outcome });
        if (result.outcome === 'HALTED') {
          this.latency.observe((result.deliveredAt - row.received_at.getTime()) / 1000);
        }
      }
      return rows.length;
    });
  }

  /** One round trip: the workflow's haltIfAffected update; the older path for workflows without it. */
  private async deliver(row: HaltRequestRow): Promise<{ outcome: Outcome; rolloutId: string | null }> {
    const handle = this.temporal.workflow.getHandle(rolloutWorkflowId(row.service));
    try {
      const result = await handle.executeUpdate(haltIfAffectedUpdate, {
        args: [{ ...this.haltRequest(row), ...(row.region ? { region: row.region } : {}) }],
      });
      return { outcome: 'HALTED', rolloutId: result.rolloutId };
    } catch (err) {
      const answer = interpretTemporalError(err, haltIfAffectedUpdate.name);
      // the validator's refusals: not this rollout's business, or nothing left to halt
      if (
        answer?.kind === 'refused' &&
        ['NOT_AFFECTED', 'NO_RUNNING_ROLLOUT', 'NOT_RUNNING', 'STALE'].includes(answer.code)
      ) {
        const rolloutId = (answer.details.rolloutId as string | undefined) ?? null;
        return { outcome: answer.code === 'NOT_RUNNING' ? 'NO_RUNNING_ROLLOUT' : (answer.code as Outcome), rolloutId };
      }
      if (answer?.kind === 'closed') return { outcome: 'NO_RUNNING_ROLLOUT', rolloutId: null };
      if (answer?.kind === 'unknown-update') return this.deliverBySignal(row, handle);
      throw err;
    }
  }

  /** For rollouts started by a worker that predates haltIfAffected: look, then signal. */
  private async deliverBySignal(
    row: HaltRequestRow,
    handle: WorkflowHandle,
  ): Promise<{ outcome: Outcome; rolloutId: string | null }> {
    const description = await handle.describe();
    const rolloutId = description.typedSearchAttributes.get(SluiceRolloutId) ?? null;
    if (description.status.name !== 'RUNNING') return { outcome: 'NO_RUNNING_ROLLOUT', rolloutId };
    if (row.region) {
      const live = await handle.query(liveStateQuery);
      const state = live.regions[row.region];
      if (state === undefined || state === 'PENDING') return { outcome: 'NOT_AFFECTED', rolloutId };
    }
    await handle.signal(haltSignal, this.haltRequest(row));
    return { outcome: 'HALTED', rolloutId };
  }

  private haltRequest(row: HaltRequestRow): HaltRequest {
    const { alert } = row;
    return {
      // A generic halt (/hooks/halt) carries its reason as the alert name and summary.
      reason:
        alert.annotations.summary === row.alertname
          ? `${row.alertname}${row.region ? ` (${row.region})` : ''}`
          : `${row.alertname} firing${row.region ? ` in ${row.region}` : ''}`,
      source: 'alertmanager',
      by: row.requested_by,
      alert: {
        alertname: row.alertname,
        fingerprint: alert.fingerprint,
        startsAt: alert.startsAt,
        generatorURL: alert.generatorURL,
        labels: alert.labels,
        summary: alert.annotations.summary ?? alert.annotations.description ?? null,
      },
    };
  }
}
