import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { deniedAddressProblem, type ChannelSpec } from '../../domain/src';
import type { Logger } from '../../platform/src/logger';
import { EndpointPolicy } from '../../targets/src/endpoint-policy';
import type { ChannelStore } from './channel-store';
import type { ChannelBacklog, DeliveryRow, NotificationStore } from './notification-store';
import { requestFor, send, SendError } from './sinks';

export interface NotifierPolicy {
  /** Attempts before a delivery is dead-lettered (default 12: about 20 minutes of retries). */
  maxAttempts: number;
  /** Backoff doubles from 1 s up to this (default 300 s). */
  maxBackoffSeconds: number;
  /** A receiver that does not answer within this fails the attempt (default 10 s). */
  timeoutMs: number;
  /** Deliveries claimed at once, across channels (default 16); each channel's go out one by one. */
  concurrency: number;
}

const BACKLOG_REFRESH_MS = 5_000;

export const DEFAULT_NOTIFIER_POLICY: NotifierPolicy = {
  maxAttempts: 12,
  maxBackoffSeconds: 300,
  timeoutMs: 10_000,
  concurrency: 16,
};

/**
 * Tells channels what happened: a durable subscriber on the event log. Each run queues what
 * the new events make (its checkpoint moves with the queued rows), then delivers due rows
 * at least once, retrying with backoff until a row is delivered or dead-lettered. A channel's
 * rows go out one at a time in event order (a failing row holds back the later ones until it
 * is delivered or dead). A gateway killed mid-send leaves its rows claimed until their lease
 * runs out; then any gateway sends them again, with the same CloudEvents id.
 */
export class Notifier {
  private readonly sent: Counter<'channel' | 'trigger'>;
  private readonly failures: Counter<'channel' | 'kind'>;
  private readonly latency: Histogram<'channel'>;
  private backlogSnapshot: Awaited<ReturnType<NotificationStore['backlog']>> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private rowsInFlight = 0;
  private backlogAt = 0;
  /** A delivery settled since the gauges were last read from PostgreSQL. */
  private settled = false;

  constructor(
    private readonly store: NotificationStore,
    private readonly channels: ChannelStore,
    private readonly publicUrl: string,
    private readonly log: Logger,
    metrics: Registry,
    private readonly policy: NotifierPolicy = DEFAULT_NOTIFIER_POLICY,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** Where notifications may go: the region endpoint lists (SLUICE_TARGET_ALLOW / _DENY). */
    private readonly endpoints: EndpointPolicy = new EndpointPolicy(),
  ) {
    this.sent = new Counter({
      name: 'sluice_notifications_sent_total',
      help: 'Notifications a channel accepted, by channel and trigger.',
      labelNames: ['channel', 'trigger'],
      registers: [metrics],
    });
    this.failures = new Counter({
      name: 'sluice_notification_failures_total',
      help: 'Failed delivery attempts, by channel and kind: retry (tried again later) or dead (dead-lettered).',
      labelNames: ['channel', 'kind'],
      registers: [metrics],
    });
    this.latency = new Histogram({
      name: 'sluice_notification_delay_seconds',
      help: 'From the event being recorded to its channel accepting the notification.',
      labelNames: ['channel'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [metrics],
    });
    // From the last run's snapshot: a scrape never waits for PostgreSQL.
    const snapshot = () => this.backlogSnapshot;
    const perChannel = (name: string, help: string, pick: (c: ChannelBacklog) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['channel'],
        registers: [metrics],
        collect() {
          const s = snapshot();
          if (!s) return;
          this.reset();
          for (const c of s.channels) this.set({ channel: c.channel }, pick(c));
        },
      });
    perChannel(
      'sluice_notification_backlog',
      'Notifications queued for a channel and not yet delivered (retries included, dead ones not).',
      (c) => c.pending,
    );
    perChannel(
      'sluice_notification_oldest_pending_seconds',
      'Age of the oldest notification waiting for a channel (0 when none).',
      (c) => c.oldestPendingSeconds,
    );
    perChannel(
      'sluice_notification_dead',
      'Notifications dead-lettered after their last attempt, by channel: see the deadNotifications query.',
      (c) => c.dead,
    );
    new Gauge({
      name: 'sluice_notification_events_behind',
      help: 'Events recorded that the notifier has not looked at yet (about: positions may skip).',
      registers: [metrics],
      collect() {
        const s = snapshot();
        if (s) this.set(s.eventsBehind);
      },
    });
  }

  /** One run: queue what new events make, start due deliveries, refresh the backlog gauges. */
  async run(): Promise<void> {
    let queued = 0;
    for (;;) {
      const batch = await this.store.queueNext();
      queued += batch.queued;
      if (batch.events === 0) break;
    }
    const claimed = await this.deliverDue();
    // the gauges' numbers: after any change, else every few seconds (to see other gateways' work)
    if (queued > 0 || claimed > 0 || this.settled || Date.now() - this.backlogAt >= BACKLOG_REFRESH_MS) {
      this.settled = false;
      this.backlogAt = Date.now();
      this.backlogSnapshot = await this.store.backlog();
    }
  }

  /** Waits for the sends in flight (at shutdown, and in tests). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async deliverDue(): Promise<number> {
    const room = this.policy.concurrency - this.rowsInFlight;
    if (room <= 0) return 0;
    // the lease outlasts a channel's rows sent one after another, each within the timeout
    const rows = await this.store.claim(room, Math.ceil(this.policy.timeoutMs / 1000) * room + 5);
    if (rows.length === 0) return 0;
    let specs: Map<string, ChannelSpec>;
    try {
      specs = new Map((await this.channels.channels()).map((c) => [c.spec.name, c.spec]));
    } catch (err) {
      await this.store.release(rows.map((r) => r.id)).catch(() => undefined);
      throw err;
    }
    // one channel's notifications go out in the order of their events; channels in parallel
    const byChannel = new Map<string, DeliveryRow[]>();
    for (const row of rows) byChannel.set(row.channel, [...(byChannel.get(row.channel) ?? []), row]);
    for (const [channel, channelRows] of byChannel) {
      const spec = specs.get(channel);
      if (!spec) continue; // deleted meanwhile: its rows went with it
      this.rowsInFlight += channelRows.length;
      const delivery = this.deliverInOrder(channelRows, spec).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
    return rows.length;
  }

  /** Sends a channel's rows one by one; after a failure the rest wait for the next claim, in order. */
  private async deliverInOrder(rows: DeliveryRow[], spec: ChannelSpec): Promise<void> {
    for (const [i, row] of rows.entries()) {
      const ok = await this.deliver(row, spec);
      this.rowsInFlight -= 1;
      if (!ok) {
        const rest = rows.slice(i + 1);
        this.rowsInFlight -= rest.length;
        await this.store.release(rest.map((r) => r.id)).catch(() => undefined);
        return;
      }
    }
  }

  /** One attempt; true when the channel took it. */
  private async deliver(row: DeliveryRow, spec: ChannelSpec): Promise<boolean> {
    try {
      const request = requestFor(row.notification, spec, this.publicUrl, this.env);
      const denied = deniedAddressProblem(request.url) ?? this.endpoints.problem(request.url);
      if (denied) throw new SendError(`${denied} (notification URLs follow the region endpoint lists)`, true);
      await send(request, this.policy.timeoutMs);
    } catch (err) {
      const error = err instanceof SendError ? err : new SendError((err as Error).message);
      const dead = error.permanent || row.attempts >= this.policy.maxAttempts;
      const backoff = Math.min(2 ** (row.attempts - 1), this.policy.maxBackoffSeconds);
      this.failures.inc({ channel: row.channel, kind: dead ? 'dead' : 'retry' });
      const level = dead ? 'error' : 'warn';
      this.log[level](
        { channel: row.channel, eventId: row.event_id, attempt: row.attempts, err: error.message, dead },
        dead ? 'notification dead-lettered' : `notification failed; retrying in ${backoff} s`,
      );
      // if PostgreSQL is away too, the lease runs out and the row is claimed again
      await this.store.failed(row.id, error.message, backoff, dead).catch(() => undefined);
      this.settled = true;
      return false;
    }
    // if this update is lost, the row is sent again after its lease: at least once, same id
    await this.store.delivered(row.id).catch(() => undefined);
    this.settled = true;
    this.sent.inc({ channel: row.channel, trigger: row.trigger });
    this.latency.observe({ channel: row.channel }, (Date.now() - Date.parse(row.notification.time)) / 1000);
    return true;
  }
}
