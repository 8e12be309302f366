import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { parseChannelSpec, upcastEventData, type ChannelSpecInput } from '../../domain/src';
import { PgEventStore, type NewEvent } from '../../event-store/src';
import { HttpReceiver } from '../../../test/support/http-receiver';
import { readUntil } from '../../../test/support/eventually';
import { testServices } from '../../../test/support/test-env';
import { ChannelStore } from './channel-store';
import { NotificationStore } from './notification-store';
import { Notifier, type NotifierPolicy } from './notifier';
import { signature } from './sinks';

const event = (type: string, data: Record<string, unknown> = {}): NewEvent => ({
  eventId: randomUUID(),
  type,
  data,
  metadata: { actor: 'spec', correlationId: 'c', schemaVersion: 2 },
});

const FAST: NotifierPolicy = { maxAttempts: 4, maxBackoffSeconds: 1, timeoutMs: 1_000, concurrency: 8 };

describe('notifier (real PostgreSQL, real HTTP receivers)', () => {
  let pool: Pool;
  let events: PgEventStore;
  let store: NotificationStore;
  let channels: ChannelStore;
  let receiver: HttpReceiver;
  const log = pino({ level: 'silent' });
  const env = { SLUICE_SECRET_HOOK_KEY: 'k3y' };
  const notifiers: Notifier[] = [];

  const notifier = (policy = FAST) => {
    const n = new Notifier(store, channels, 'http://sluice.test', log, new Registry(), policy, env);
    notifiers.push(n);
    return n;
  };
  /** A rollout of a service of its own, so channels filtered on it hear nothing else. */
  const rollout = async (service: string, more: NewEvent[]) => {
    const id = `rollout-${randomUUID()}`;
    await events.append(
      id,
      [
        event('RolloutRequested', {
          rolloutId: id,
          service,
          version: 'v2',
          requestedBy: 'a',
          requestedAt: '',
          regions: ['eu'],
        }),
        ...more,
      ],
      0,
    );
    return id;
  };
  const channel = (input: Partial<ChannelSpecInput> & { name: string }, service: string) =>
    channels.upsert(
      parseChannelSpec({
        kind: 'webhook',
        url: `${receiver.url}/${input.name}`,
        signingSecretFrom: { env: 'SLUICE_SECRET_HOOK_KEY' },
        services: [service],
        ...input,
      }),
      'api',
    );
  const runUntil = async (ns: Notifier | Notifier[], done: () => boolean, what = 'deliveries') =>
    readUntil(
      async () => {
        const all = Array.isArray(ns) ? ns : [ns];
        await Promise.all(all.map((n) => n.run()));
        await Promise.all(all.map((n) => n.drain()));
        return done();
      },
      (ok) => ok,
      { what, timeoutMs: 20_000, intervalMs: 100 },
    );

  beforeAll(async () => {
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 6 });
    events = new PgEventStore(pool, upcastEventData);
    store = new NotificationStore(pool, events);
    channels = new ChannelStore(pool);
    // whatever earlier specs recorded is behind this spec's channels
    while ((await store.queueNext()).events > 0);
  });
  beforeEach(async () => {
    receiver = await new HttpReceiver().start();
  });
  afterEach(async () => {
    await Promise.all(notifiers.splice(0).map((n) => n.drain()));
    await receiver.stop();
  });
  afterAll(async () => {
    await pool.query('DELETE FROM notification_channels');
    await pool.end();
  });

  it('sends each channel the triggers it wants, once, signed, and nothing from before it existed', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    await rollout(service, [event('RolloutHalted', { reason: 'before', source: 'api', by: 'x' })]);
    await channel({ name: `all-${service}` }, service);
    await channel({ name: `crit-${service}`, minSeverity: 'critical' }, service);
    const id = await rollout(service, [
      event('ApprovalRequested', { wave: 1 }),
      event('WaveCompleted', { wave: 1 }),
      event('RolloutHalted', { reason: 'error rate', source: 'alertmanager', by: 'am' }),
      event('RollbackFailed', { failedRegions: ['eu'], reason: 'unreachable' }),
    ]);
    const n = notifier();
    await runUntil(n, () => receiver.accepted.length >= 4);
    // a second run, and a second notifier, find nothing more to send
    await n.run();
    await notifier().run();
    await n.drain();
    const got = receiver.accepted.map((r) => ({ path: r.path, event: JSON.parse(r.body) }));
    expect(got.map((g) => `${g.path} ${g.event.type}`).sort()).toEqual(
      [
        `/all-${service} dev.sluice.rollout.approval_requested`,
        `/all-${service} dev.sluice.rollout.halted`,
        `/all-${service} dev.sluice.rollout.rollback_failed`,
        `/crit-${service} dev.sluice.rollout.rollback_failed`,
      ].sort(),
    );
    for (const r of receiver.accepted) {
      expect(r.headers['x-sluice-signature-256']).toBe(signature('k3y', r.body));
      expect(JSON.parse(r.body)).toMatchObject({ specversion: '1.0', subject: id, data: { service, rolloutId: id } });
    }
    // one channel's notifications arrive in the order of their events
    expect(got.filter((g) => g.path === `/all-${service}`).map((g) => g.event.data.trigger)).toEqual([
      'APPROVAL_REQUESTED',
      'HALTED',
      'ROLLBACK_FAILED',
    ]);
  });

  it('retries through a receiver outage with backoff, then delivers each notification once', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    await channel({ name: `out-${service}` }, service);
    receiver.refuseConnections = true;
    await rollout(service, [event('RolloutHalted', { reason: 'r', source: 'api', by: 'x' })]);
    const registry = new Registry();
    const n = new Notifier(store, channels, 'http://sluice.test', log, registry, FAST, env);
    notifiers.push(n);
    await n.run();
    await n.drain();
    await n.run(); // not due yet: backoff
    await n.drain();
    const failures = await registry.getSingleMetricAsString('sluice_notification_failures_total');
    expect(failures).toContain(`sluice_notification_failures_total{channel="out-${service}",kind="retry"} 1`);
    expect(await registry.getSingleMetricAsString('sluice_notification_backlog')).toContain(
      `sluice_notification_backlog{channel="out-${service}"} 1`,
    );
    // the receiver comes back: a 503 first, then it takes it
    receiver.refuseConnections = false;
    let answered = 0;
    receiver.answer = () => (answered++ === 0 ? 503 : 200);
    await runUntil(n, () => receiver.accepted.length === 1);
    await n.run();
    await n.drain();
    expect(receiver.requests.map((r) => r.status)).toEqual([503, 200]);
    expect(await registry.getSingleMetricAsString('sluice_notification_backlog')).toContain(
      `sluice_notification_backlog{channel="out-${service}"} 0`,
    );
    const { rows } = await pool.query('SELECT attempts FROM notification_deliveries WHERE channel = $1', [
      `out-${service}`,
    ]);
    expect(rows).toEqual([{ attempts: 3 }]);
  });

  it('dead-letters after the last attempt, or at once when the receiver refuses the request, and retries on demand', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    await channel({ name: `bad-${service}` }, service);
    await channel({ name: `flaky-${service}` }, service);
    receiver.answer = (r) => (r.path.startsWith('/bad') ? 400 : 500);
    await rollout(service, [event('RolloutSucceeded', { version: 'v2', regions: ['eu'] })]);
    const n = notifier({ ...FAST, maxAttempts: 2 });
    await runUntil(n, () => receiver.requests.filter((r) => r.path.startsWith('/flaky')).length === 2);
    expect(receiver.requests.filter((r) => r.path.startsWith('/bad'))).toHaveLength(1);
    const dead = (await store.dead()).filter((d) => d.notification.service === service);
    expect(
      dead.map((d) => [d.channel, d.attempts, d.last_error?.replace(/127\.0\.0\.1:\d+/, 'receiver')]).sort(),
    ).toEqual([
      [`bad-${service}`, 1, 'receiver answered 400: unavailable'],
      [`flaky-${service}`, 2, 'receiver answered 500: unavailable'],
    ]);
    receiver.answer = () => 200;
    expect(await store.retryDead(dead.map((d) => d.id))).toBe(2);
    await runUntil(n, () => receiver.accepted.length === 2);
  });

  it('two notifiers at once (two gateways) send each notification once', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    await channel({ name: `pair-${service}` }, service);
    const ids = [];
    for (let i = 0; i < 10; i++)
      ids.push(await rollout(service, [event('RolloutSucceeded', { version: 'v2', regions: ['eu'] })]));
    const [a, b] = [notifier(), notifier()];
    await runUntil([a, b], () => receiver.accepted.length >= 10);
    await Promise.all([a.run(), b.run()]);
    await Promise.all([a.drain(), b.drain()]);
    const subjects = receiver.accepted.map((r) => JSON.parse(r.body).subject);
    expect(subjects.sort()).toEqual(ids.sort());
  });

  it('keeps a channel in event order through a failure and two notifiers with slow sends', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    await channel({ name: `order-${service}`, triggers: ['SUCCEEDED'] }, service);
    const ids = [];
    for (let i = 0; i < 6; i++)
      ids.push(await rollout(service, [event('RolloutSucceeded', { version: 'v2', regions: ['eu'] })]));
    receiver.delayMs = 150;
    let answered = 0;
    receiver.answer = () => (answered++ === 0 ? 503 : 200); // the first fails once
    const [a, b] = [notifier(), notifier()];
    // runs overlap the slow sends: each notifier claims again while the other's are out
    await readUntil(
      async () => {
        await Promise.all([a.run(), b.run()]);
        await new Promise((r) => setTimeout(r, 100));
        return receiver.accepted.length;
      },
      (n) => n >= 6,
      { what: 'six notifications', timeoutMs: 20_000, intervalMs: 0 },
    );
    await Promise.all([a.drain(), b.drain()]);
    expect(receiver.requests.map((r) => [JSON.parse(r.body).subject, r.status])).toEqual([
      [ids[0], 503],
      ...ids.map((id) => [id, 200]),
    ]);
  });

  it('a notifier that died holding a claim: its delivery goes out again after the lease, with the same id', async () => {
    const service = `svc-${randomUUID().slice(0, 8)}`;
    await channel({ name: `lease-${service}` }, service);
    await rollout(service, [event('RolloutHalted', { reason: 'r', source: 'api', by: 'x' })]);
    while ((await store.queueNext()).events > 0);
    const [claimed] = await store.claim(1, 1); // the dead notifier's claim: 1 s lease, never settled
    expect(claimed.channel).toBe(`lease-${service}`);
    const n = notifier();
    await n.run();
    await n.drain();
    expect(receiver.requests).toHaveLength(0); // still leased
    await runUntil(n, () => receiver.accepted.length === 1);
    expect(JSON.parse(receiver.accepted[0].body).id).toBe(claimed.event_id);
  });
});
