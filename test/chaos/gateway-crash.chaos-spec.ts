import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { freePort } from '../../libs/platform/src/free-port';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startTemporalDevServer, type TemporalDevServer } from '../../libs/platform/src/temporal-dev-server';
import { SLUICE_SEARCH_ATTRIBUTES as searchAttributes } from '../../workflows/rollout.search-attributes';
import { registerService, startRollout, waitForRollout, type StackUrls } from '../support/fixtures';
import { eventually, readUntil } from '../support/graphql-client';
import { testServices } from '../support/test-env';
import { postAlerts } from '../support/alertmanager-webhook';
import { streamOf } from './chaos-checks';
import { spawnGateway, spawnWorker, type GatewayProcess, type SluiceProcess } from '../support/sluice-process';

/**
 * Fault 6: the gateway dies after it accepted an Alertmanager webhook but before the halt
 * reached the rollout (Temporal is away at that moment, so delivery cannot happen yet). The
 * outbox row survives; the next gateway process delivers it and the rollout halts.
 */
const REGIONS = ['gw-canary', 'gw-west', 'gw-east'];
const SERVICE = `haltable-${Date.now().toString(36)}`;

describe('chaos: the gateway killed with a halt accepted but not yet delivered', () => {
  const root = projectRoot(__dirname);
  const dbFilename = join(mkdtempSync(join(tmpdir(), 'sluice-chaos-gw-')), 'temporal.db');
  const taskQueue = `sluice-chaos-${Date.now()}`;
  const processes: SluiceProcess[] = [];
  let port: number;
  let temporal: TemporalDevServer;
  let sim: RegionSim;
  let pool: Pool;

  const env = () => ({ temporalAddress: temporal.address, databaseUrl: testServices().databaseUrl, taskQueue });
  const urls = (gateway: GatewayProcess): StackUrls => ({ gateway, regionSim: sim });

  beforeAll(async () => {
    port = await freePort();
    temporal = await startTemporalDevServer({ projectRoot: root, dbFilename, port, searchAttributes });
    sim = await startRegionSim({ regions: REGIONS, port: 0, traffic: false });
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 2 });
    processes.push(await spawnWorker('worker', env()));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await sim?.close();
    await pool?.end();
    await temporal?.stop();
  });

  it('delivers the halt from the outbox after a new gateway starts, and the rollout rolls back', async () => {
    const first = await spawnGateway('first', env());
    processes.push(first);
    await registerService(urls(first), SERVICE, REGIONS);
    const id = await startRollout(urls(first), {
      service: SERVICE,
      version: 'v3',
      config: { risky: true },
      strategy: { canaryMaxShare: 0.4, growthFactor: 3, bakeSeconds: 600, approvalAfterCanary: false },
      gates: [],
    });
    await eventually(
      async () => ((await streamOf(pool, id)).some((e) => e.type === 'RegionConfigVerified') ? true : undefined),
      { what: 'the canary to be pushed', timeoutMs: 60_000, intervalMs: 200 },
    );

    await temporal.stop();
    const fingerprint = `chaos-${Date.now()}`;
    const webhook = await postAlerts(first.url, [
      { labels: { alertname: 'HighErrorRate', service: SERVICE, region: 'gw-canary' }, fingerprint },
    ]);
    expect(webhook.status).toBe(200);
    expect(await webhook.json()).toMatchObject({ queued: 1 });
    await first.kill('SIGKILL');
    const pending = await pool.query('SELECT delivered_at FROM halt_requests WHERE fingerprint = $1', [fingerprint]);
    expect(pending.rows).toEqual([{ delivered_at: null }]);

    temporal = await startTemporalDevServer({ projectRoot: root, dbFilename, port, searchAttributes });
    const second = await spawnGateway('second', env());
    processes.push(second);

    const done = await waitForRollout(urls(second), id, ['ROLLED_BACK', 'SUCCEEDED'], 120_000);
    expect(done.status).toBe('ROLLED_BACK');
    const halted = done.events.find((e) => e.type === 'RolloutHalted');
    expect(halted?.data).toMatchObject({ source: 'alertmanager', alert: { fingerprint } });
    // the gateway marks the row delivered after the workflow answered the halt, while the
    // rollback runs: it may land after the rollout's final event
    const delivered = await readUntil(
      async () =>
        (await pool.query('SELECT outcome, rollout_id FROM halt_requests WHERE fingerprint = $1', [fingerprint])).rows,
      (rows) => rows.every((r) => r.outcome !== null),
      { what: `the halt request ${fingerprint} to be marked delivered` },
    );
    expect(delivered).toEqual([{ outcome: 'HALTED', rollout_id: id }]);
    expect(sim.fleet.get('gw-canary')?.version).toBeNull();
    expect(done.events.filter((e) => e.type === 'RolloutHalted')).toHaveLength(1);
  });
});
