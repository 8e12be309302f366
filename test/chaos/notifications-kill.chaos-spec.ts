import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { stringify } from 'yaml';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { notificationFor, parseChannelSpec, wants, type RolloutEvent } from '../../libs/domain/src';
import { signature } from '../../libs/notifications/src';
import { registerService, startRollout, waitForRollout, type StackUrls } from '../support/fixtures';
import { eventually, readUntil } from '../support/eventually';
import { HttpReceiver } from '../support/http-receiver';
import { spawnGateway, spawnWorker, type GatewayProcess, type SluiceProcess } from '../support/sluice-process';
import { testServices } from '../support/test-env';

/**
 * Notifications across kills: a worker SIGKILLed mid-rollout, and the gateway SIGKILLed
 * while its receivers are down with notifications queued and retried. The next gateway
 * (channels from the same file) delivers every notification the event log makes, each once.
 */
const REGIONS = ['nk-canary', 'nk-west', 'nk-east', 'nk-north'];
const SERVICE = `notified-kill-${Date.now().toString(36)}`;

describe('chaos: notifications through a worker kill and a gateway kill during a receiver outage', () => {
  const hooks = new HttpReceiver();
  const grafana = new HttpReceiver();
  const processes: SluiceProcess[] = [];
  const taskQueue = `sluice-chaos-notify-${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-chaos-notify-'));
  let sim: RegionSim;
  let pool: Pool;
  let channels: ReturnType<typeof parseChannelSpec>[];

  const env = () => ({ ...testServices(), taskQueue });
  const gatewayEnv = {
    SLUICE_NOTIFICATIONS_FILE: join(dir, 'notifications.yaml'),
    SLUICE_SECRET_CHAOS_HOOK_KEY: 'chaos-key',
    SLUICE_SECRET_CHAOS_GRAFANA_TOKEN: 'glsa_chaos',
    SLUICE_NOTIFY_TIMEOUT_MS: '1000',
    SLUICE_NOTIFY_MAX_BACKOFF_SECONDS: '1',
    SLUICE_NOTIFY_MAX_ATTEMPTS: '100',
  };
  const urls = (gateway: GatewayProcess): StackUrls => ({ gateway, regionSim: sim });

  beforeAll(async () => {
    await Promise.all([hooks.start(), grafana.start()]);
    const file = {
      channels: [
        {
          name: 'chaos-hooks',
          kind: 'webhook',
          url: `${hooks.url}/events`,
          signingSecretFrom: { env: 'SLUICE_SECRET_CHAOS_HOOK_KEY' },
          services: [SERVICE],
          triggers: ['SUCCEEDED', 'HALTED', 'ROLLED_BACK', 'REGION_PUSHED'],
        },
        {
          name: 'chaos-grafana',
          kind: 'grafana',
          url: grafana.url,
          tokenFrom: { env: 'SLUICE_SECRET_CHAOS_GRAFANA_TOKEN' },
          services: [SERVICE],
        },
      ],
    };
    writeFileSync(gatewayEnv.SLUICE_NOTIFICATIONS_FILE, stringify(file));
    channels = file.channels.map((c) => parseChannelSpec(c));
    sim = await startRegionSim({ regions: REGIONS, port: 0, traffic: false });
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 2 });
    processes.push(...(await Promise.all(['a', 'b'].map((name) => spawnWorker(name, env())))));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await Promise.all([hooks.stop(), grafana.stop()]);
    await sim?.close();
    await pool?.end();
  });

  it('delivers every notification the log makes exactly once', async () => {
    const first = await spawnGateway('first', env(), { env: gatewayEnv });
    processes.push(first);
    await registerService(urls(first), SERVICE, REGIONS);
    // the receivers are down from the start: everything queues and is retried
    hooks.refuseConnections = true;
    grafana.refuseConnections = true;
    const id = await startRollout(urls(first), {
      service: SERVICE,
      version: 'v2',
      config: { color: 'green' },
      strategy: { canaryMaxShare: 0.25, growthFactor: 2, bakeSeconds: 2, approvalAfterCanary: false },
    });
    const pushes = async () =>
      (
        await pool.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = $1 AND type = 'RegionConfigPushed'`, [
          id,
        ])
      ).rows[0].n as number;
    await readUntil(pushes, (n) => n >= 1, { what: 'the canary push', timeoutMs: 60_000 });
    // a worker dies mid-rollout; the other carries on
    await processes[0].kill('SIGKILL');
    // the gateway dies while deliveries wait for the receivers, some already tried
    await readUntil(
      async () =>
        (
          await pool.query(
            `SELECT count(*)::int AS n FROM notification_deliveries WHERE attempts > 0 AND channel LIKE 'chaos-%'`,
          )
        ).rows[0].n as number,
      (n) => n >= 2,
      { what: 'failed attempts', timeoutMs: 30_000 },
    );
    expect(hooks.accepted.length + grafana.accepted.length).toBe(0);
    await first.kill('SIGKILL');

    const second = await spawnGateway('second', env(), { env: gatewayEnv });
    processes.push(second);
    await waitForRollout(urls(second), id, ['SUCCEEDED'], 120_000);
    hooks.refuseConnections = false;
    grafana.refuseConnections = false;

    // what the log says should have been sent
    const { rows } = await pool.query<{
      event_id: string;
      type: string;
      data: Record<string, unknown>;
      recorded_at: Date;
    }>('SELECT event_id, type, data, recorded_at FROM events WHERE stream_id = $1 ORDER BY stream_position', [id]);
    const ref = { rolloutId: id, service: SERVICE, version: 'v2' };
    const expected = (channel: string) =>
      rows
        .map((r) =>
          notificationFor(
            { type: r.type, data: r.data, eventId: r.event_id, recordedAt: r.recorded_at } as RolloutEvent & {
              eventId: string;
              recordedAt: Date;
            },
            ref,
          ),
        )
        .filter(
          (n) =>
            n !== null &&
            wants(
              channels.find((c) => c.name === channel)!,
              n,
            ),
        )
        .map((n) => n!.eventId);
    const wantHooks = expected('chaos-hooks');
    const wantGrafana = expected('chaos-grafana');
    expect(wantHooks).toHaveLength(REGIONS.length + 1); // every push, and the success
    expect(wantGrafana).toHaveLength(REGIONS.length);

    await eventually(
      async () =>
        hooks.accepted.length >= wantHooks.length && grafana.accepted.length >= wantGrafana.length ? true : undefined,
      { what: 'every notification after the outage', timeoutMs: 60_000 },
    );
    // one more round of the notifier finds nothing left (and sends nothing twice)
    await new Promise((r) => setTimeout(r, 3_000));
    const sentHooks = hooks.accepted.map((r) => {
      expect(r.headers['x-sluice-signature-256']).toBe(signature('chaos-key', r.body));
      return JSON.parse(r.body).id as string;
    });
    expect([...sentHooks].sort()).toEqual([...wantHooks].sort());
    const sentGrafana = grafana.accepted.map((r) =>
      JSON.parse(r.body).tags.find((t: string) => t.startsWith('region:')),
    );
    expect([...sentGrafana].sort()).toEqual(REGIONS.map((r) => `region:${r}`).sort());
    const { rows: left } = await pool.query(
      `SELECT channel, attempts FROM notification_deliveries
       WHERE channel LIKE 'chaos-%' AND (delivered_at IS NULL OR dead_at IS NOT NULL)`,
    );
    expect(left).toEqual([]);
  });
});
