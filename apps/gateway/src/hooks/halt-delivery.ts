import type { Client } from '@temporalio/client';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  haltIfAffectedUpdate,
  haltSignal,
  liveStateQuery,
  type HaltOutcome,
  type RegionHaltRequest,
} from '../../../../workflows/rollout.messages';
import { SluiceRolloutId } from '../../../../workflows/rollout.search-attributes';
import { rolloutWorkflowId } from '../../../../workflows/rollout.types';
import { createLogger } from '../../../../libs/platform/src/logger';
import { SerialTask } from '../../../../libs/platform/src/serial-task';
import { interpretTemporalError } from '../temporal/temporal-errors';
import type { HaltRequestRepository, HaltRequestRow, NewHaltRequest, OutboxStats } from './halt-request.repository';
import type { StoredDecision } from './incident-decision.repository';
import type { IncidentResponder } from './incident-response';

/** How the outbox delivers: a deadline per call, a lease per claim, bounded attempts with backoff. */
export interface DeliveryPolicy {
  /** One delivery's Temporal calls end by then (ms); a workflow that cannot answer fails the attempt. */
  deadlineMs: number;
  /** A claimed row is left alone by other gateways this long (s); longer than the deadline. */
  leaseSeconds: number;
  /** After this many failed attempts a row is dead: paged on, redelivered by hand. */
  maxAttempts: number;
  /** Backoff after the nth failed attempt (s): doubling from 1, at most this. */
  maxBackoffSeconds: number;
}

/** 30 attempts, backing off to a minute: a row dies after about 25 minutes of failures. */
export const DEFAULT_DELIVERY: DeliveryPolicy = {
  deadlineMs: 10_000,
  leaseSeconds: 30,
  maxAttempts: 30,
  maxBackoffSeconds: 60,
};

/** Deliveries in flight at once; a run claims only as many rows as there is room for. */
const MAX_IN_FLIGHT = 64;

/** A call cut this close to its deadline was cut by it (timers fire a little late, never early). */
const DEADLINE_SLACK_MS = 50;

export interface Delivered {
  outcome: HaltOutcome;
  rolloutId: string | null;
}

/** The request a workflow gets: the same shape from the outbox and from the direct path. */
export function toHaltRequest(
  r: Pick<NewHaltRequest, 'source' | 'reason' | 'region' | 'alert' | 'requestedBy'>,
  times: { startsAt: Date; lastSeenAt: Date },
): RegionHaltRequest {
  const where = r.region ? (r.source === 'hook' ? ` (${r.region})` : ` in ${r.region}`) : '';
  return {
    reason: r.source === 'hook' ? `${r.reason}${where}` : `${r.reason} firing${where}`,
    source: r.source,
    by: r.requestedBy,
    ...(r.region ? { region: r.region } : {}),
    startsAt: times.startsAt.toISOString(),
    lastSeenAt: times.lastSeenAt.toISOString(),
    ...(r.alert
      ? {
          alert: {
            alertname: r.reason,
            fingerprint: r.alert.fingerprint,
            startsAt: r.alert.startsAt,
            generatorURL: r.alert.generatorURL,
            labels: r.alert.labels,
            summary: r.alert.annotations.summary ?? r.alert.annotations.description ?? null,
          },
        }
      : {}),
  };
}

function rowRequest(row: HaltRequestRow): RegionHaltRequest {
  return toHaltRequest(
    { source: row.source, reason: row.reason, region: row.region, alert: row.alert, requestedBy: row.requested_by },
    // a hook's request is about the moment it was called; an alert's about when it began
    { startsAt: row.source === 'hook' ? row.received_at : row.starts_at, lastSeenAt: row.last_seen_at },
  );
}

/**
 * Delivers halt requests to rollout workflows: the outbox's rows, claimed a batch at a time,
 * each with a deadline, retried with backoff and parked as dead after `maxAttempts`; or one
 * request straight away when the outbox cannot be written (PostgreSQL down).
 */
export class HaltDelivery {
  private readonly latency: Histogram;
  private readonly outcomes: Counter<'outcome'>;
  private readonly failures: Counter;
  /** Deliveries under way, by row id. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /**
   * The resumes of resolved alerts: one pass at a time, started by the loop and not waited
   * for, so a resume stuck on its deadline never holds a halt back.
   */
  private readonly resumes: SerialTask | null;
  /** `halt-service` decisions being recorded, after their halts. */
  private readonly records = new Set<Promise<void>>();

  constructor(
    private readonly requests: HaltRequestRepository,
    private readonly temporal: Client,
    metrics: Registry,
    private readonly policy: DeliveryPolicy = DEFAULT_DELIVERY,
    private readonly responder?: IncidentResponder,
  ) {
    this.resumes = responder
      ? new SerialTask('incident resumes', () => responder.resumeResolved(), createLogger('gateway'))
      : null;
    this.latency = new Histogram({
      name: 'sluice_halt_latency_seconds',
      help: 'From a halt request being queued to the rollout workflow accepting the halt.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [metrics],
    });
    this.outcomes = new Counter({
      name: 'sluice_alert_deliveries_total',
      help: 'Halt requests settled, by outcome: HALTED, NOT_AFFECTED, NO_RUNNING_ROLLOUT, STALE, UNMATCHED, PAUSED.',
      labelNames: ['outcome'],
      registers: [metrics],
    });
    this.failures = new Counter({
      name: 'sluice_halt_delivery_failures_total',
      help: 'Failed delivery attempts of halt requests (each is retried with backoff until it is dead).',
      registers: [metrics],
    });
    // One query per scrape for the three gauges: prom-client collects each on its own.
    let scrape: { at: number; stats: Promise<OutboxStats> } | undefined;
    const stats = () => {
      if (!scrape || Date.now() - scrape.at > 1_000) scrape = { at: Date.now(), stats: this.requests.stats() };
      return scrape.stats;
    };
    const gauge = (name: string, help: string, pick: (s: OutboxStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [metrics],
        async collect() {
          // a scrape while PostgreSQL is down leaves the last values rather than failing
          const s = await stats().catch(() => undefined);
          if (s) this.set(pick(s));
        },
      });
    gauge('sluice_halt_outbox_pending', 'Halt requests waiting for delivery.', (s) => s.pending);
    gauge(
      'sluice_halt_outbox_oldest_pending_seconds',
      'Age of the oldest halt request waiting for delivery (0 when none).',
      (s) => s.oldestPendingSeconds,
    );
    gauge('sluice_halt_outbox_dead', 'Halt requests that ran out of attempts: page on > 0.', (s) => s.dead);
  }

  /** Counts a request settled before any delivery (UNMATCHED). */
  settled(outcome: HaltOutcome): void {
    this.outcomes.inc({ outcome });
  }

  /**
   * One run of the loop: claims due rows and starts their deliveries without waiting for them,
   * so a workflow that cannot answer holds one slot until its deadline, never the loop.
   */
  async deliverPending(): Promise<number> {
    // a delivery can outlast its lease (blame, several pauses): it keeps its row while it works
    if (this.inFlight.size > 0) await this.requests.renew([...this.inFlight.keys()], this.policy.leaseSeconds);
    const room = MAX_IN_FLIGHT - this.inFlight.size;
    const rows = room > 0 ? await this.requests.claim(room, this.policy.leaseSeconds) : [];
    for (const row of rows) {
      const delivery = this.deliverRow(row).finally(() => this.inFlight.delete(row.id));
      this.inFlight.set(row.id, delivery);
    }
    // after the halts have started, and not waited for: a resume never holds one up
    void this.resumes?.trigger();
    return rows.length;
  }

  /** Waits for the deliveries in flight, the records after them and the resume pass (at shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
    await Promise.allSettled([...this.records, this.resumes?.stop()]);
  }

  private async deliverRow(row: HaltRequestRow): Promise<void> {
    let result: Delivered;
    let decision: StoredDecision | undefined;
    const started = Date.now();
    try {
      // A service acting on the blame decides first. Failed blame decides to halt; a decision
      // that cannot be read or stored (PostgreSQL) halts the alert's service as before: never a drop.
      decision = await this.responder?.decisionFor(row).catch(() => undefined);
      result = decision
        ? await this.responder!.act(row, decision, rowRequest(row), (service, request, updateId) =>
            this.send(service, request, updateId),
          )
        : await this.send(row.service, rowRequest(row), `halt-request-${row.id}`);
    } catch (err) {
      this.failures.inc();
      const dead = row.attempts >= this.policy.maxAttempts;
      const backoff = Math.min(2 ** (row.attempts - 1), this.policy.maxBackoffSeconds);
      // if PostgreSQL is away too, the lease runs out and the row is claimed again
      await this.requests
        .failed(row.id, this.failureText(err, Date.now() - started), backoff, dead)
        .catch(() => undefined);
      return;
    }
    await this.requests.delivered(row.id, result.outcome, result.rolloutId).catch(() => undefined);
    this.outcomes.inc({ outcome: result.outcome });
    if (result.outcome === 'HALTED') this.latency.observe((Date.now() - row.queued_at.getTime()) / 1000);
    // after the halt and its outcome, outside the delivery's slot: `halt-service`'s record
    // never holds a halt up, and is not retried
    if (!decision && this.responder) {
      const record = this.responder
        .recordHaltService(row, result)
        .catch(() => undefined)
        .finally(() => this.records.delete(record));
      this.records.add(record);
    }
  }

  /**
   * What the row says of a failed delivery. A call cut at its deadline surfaces as gRPC's
   * DEADLINE_EXCEEDED or, when the client cancels it, as a bare "Call cancelled": either way
   * the row names the deadline, so an operator reading it knows the workflow did not answer.
   */
  private failureText(err: unknown, elapsedMs: number): string {
    const message = err instanceof Error ? err.message : String(err);
    if (elapsedMs < this.policy.deadlineMs - DEADLINE_SLACK_MS || /deadline/i.test(message)) return message;
    return `no answer within the ${this.policy.deadlineMs} ms deadline (${message})`;
  }

  /** Straight to Temporal, for the webhook while the outbox cannot be written. */
  async deliverNow(service: string, request: RegionHaltRequest): Promise<Delivered> {
    const result = await this.send(service, request);
    this.outcomes.inc({ outcome: result.outcome });
    return result;
  }

  /**
   * One round trip under the deadline: the workflow's haltIfAffected update (the update id
   * makes a retried row's delivery the same update), or the older signal path.
   */
  private send(service: string, request: RegionHaltRequest, updateId?: string): Promise<Delivered> {
    const handle = this.temporal.workflow.getHandle(rolloutWorkflowId(service));
    return this.temporal.withDeadline(Date.now() + this.policy.deadlineMs, async () => {
      try {
        const result = await handle.executeUpdate(haltIfAffectedUpdate, { args: [request], updateId });
        return { outcome: result.outcome, rolloutId: result.rolloutId };
      } catch (err) {
        const answer = interpretTemporalError(err, haltIfAffectedUpdate.name);
        if (
          answer?.kind === 'refused' &&
          ['NOT_AFFECTED', 'NO_RUNNING_ROLLOUT', 'NOT_RUNNING', 'STALE'].includes(answer.code)
        ) {
          const rolloutId = (answer.details.rolloutId as string | undefined) ?? null;
          // workers before STALE called NO_RUNNING_ROLLOUT NOT_RUNNING
          const outcome = answer.code === 'NOT_RUNNING' ? 'NO_RUNNING_ROLLOUT' : (answer.code as HaltOutcome);
          return { outcome, rolloutId };
        }
        if (answer?.kind === 'closed') return { outcome: 'NO_RUNNING_ROLLOUT', rolloutId: null };
        if (answer?.kind === 'unknown-update') return this.sendBySignal(handle, request);
        throw err;
      }
    });
  }

  /** For rollouts started by a worker that predates haltIfAffected: look, then signal. */
  private async sendBySignal(
    handle: ReturnType<Client['workflow']['getHandle']>,
    request: RegionHaltRequest,
  ): Promise<Delivered> {
    const description = await handle.describe();
    const rolloutId = description.typedSearchAttributes.get(SluiceRolloutId) ?? null;
    if (description.status.name !== 'RUNNING') return { outcome: 'NO_RUNNING_ROLLOUT', rolloutId };
    if (request.region) {
      const live = await handle.query(liveStateQuery);
      const state = live.regions[request.region];
      if (state === undefined || state === 'PENDING') return { outcome: 'NOT_AFFECTED', rolloutId };
    }
    const { region: _r, startsAt: _s, lastSeenAt: _l, ...halt } = request;
    await handle.signal(haltSignal, halt);
    return { outcome: 'HALTED', rolloutId };
  }
}
