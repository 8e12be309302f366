import { Client, Connection } from '@temporalio/client';
import { Pool } from 'pg';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { rolloutWorkflowId } from '../../workflows/rollout.types';
import { expectAppliedOnce, expectCleanStream } from '../chaos/chaos-checks';
import { postAlerts } from '../support/alertmanager-webhook';
import { registerService, startRollout, waitForRollout, type StackUrls } from '../support/fixtures';
import { eventually } from '../support/graphql-client';
import {
  spawnGateway,
  spawnWorker,
  type GatewayProcess,
  type SluiceProcess,
  type WorkerProcess,
} from '../support/sluice-process';
import { testServices } from '../support/test-env';
import { closedWorkflow } from '../support/workflow-status';
import { clusterControl } from './cluster-env';

/**
 * Faults in the production topology, each checked for nothing lost: every region's final
 * version and apply count in region-sim, each rollout's event stream (positions 1..n, no fact
 * twice, each region pushed once) and Temporal's own status of the workflow.
 */
const suffix = Date.now().toString(36);
const REGIONS_PER_SERVICE = 3;

interface Started {
  service: string;
  regions: string[];
  id: string;
}

/** Every region any scenario uses, so one region-sim serves them all: scenario s, service i, region r. */
const SCENARIOS = { hist: 4, front: 2, match: 4, roll: 20, pg: 4, app: 4 } as const;
type Scenario = keyof typeof SCENARIOS;
const regionsOf = (scenario: Scenario, i: number) =>
  Array.from({ length: REGIONS_PER_SERVICE }, (_, r) => `${scenario}${i}-r${r}`);
const ALL_REGIONS = (Object.keys(SCENARIOS) as Scenario[]).flatMap((s) =>
  Array.from({ length: SCENARIOS[s] }, (_, i) => regionsOf(s, i)).flat(),
);

describe('cluster: faults in every Temporal service, PostgreSQL and Sluice, with nothing lost', () => {
  const cluster = clusterControl();
  const env = () => ({ ...testServices(), taskQueue: `sluice-faults-${suffix}` });
  const processes: SluiceProcess[] = [];
  let gateways: GatewayProcess[];
  let workers: WorkerProcess[];
  let sim: RegionSim;
  let pool: Pool;
  /** Temporal's own database on the same server: its shards table shows who took a shard over. */
  let temporalDb: Pool;
  let connection: Connection;
  let client: Client;
  const via = (i: number): StackUrls => ({ gateway: gateways[i % gateways.length], regionSim: sim });

  beforeAll(async () => {
    sim = await startRegionSim({ regions: ALL_REGIONS, port: 0, traffic: false });
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 2 });
    pool.on('error', () => undefined);
    const temporalUrl = new URL(testServices().databaseUrl);
    temporalUrl.pathname = '/temporal';
    temporalDb = new Pool({ connectionString: temporalUrl.toString(), max: 1 });
    temporalDb.on('error', () => undefined);
    connection = await Connection.connect({ address: testServices().temporalAddress });
    client = new Client({ connection });
    gateways = await Promise.all(['gw-1', 'gw-2'].map((n) => spawnGateway(n, env())));
    workers = await Promise.all(['w-1', 'w-2'].map((n) => spawnWorker(n, env())));
    processes.push(...gateways, ...workers);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await sim?.close();
    await pool?.end();
    await temporalDb?.end();
    await connection?.close();
  });

  /** Each shard's range id: it grows each time a history process acquires the shard. */
  const shardRanges = async () =>
    new Map(
      (
        await temporalDb.query<{ shard_id: number; range_id: string }>('SELECT shard_id, range_id FROM shards')
      ).rows.map((r) => [r.shard_id, Number(r.range_id)]),
    );

  /** A service per rollout, each of its own regions, started through both gateways in turn. */
  const startAll = async (scenario: Scenario, bakeSeconds: number): Promise<Started[]> => {
    const services = Array.from({ length: SCENARIOS[scenario] }, (_, i) => ({
      service: `${scenario}-${i}-${suffix}`,
      regions: regionsOf(scenario, i),
    }));
    for (const s of services) await registerService(via(0), s.service, s.regions);
    return Promise.all(
      services.map(async (s, i) => ({
        ...s,
        id: await startRollout(via(i), {
          service: s.service,
          version: 'v1',
          config: { scenario },
          strategy: { canaryMaxShare: 0.34, growthFactor: 3, bakeSeconds, approvalAfterCanary: false },
          gates: [{ kind: 'probe', name: 'probe', path: '/probe' }],
          gateIntervalSeconds: 1,
        }).catch((err: Error) => {
          // the gateway logged why: put its error lines in the failure
          const logged = gateways[i % gateways.length]
            .output()
            .split('\n')
            .filter((l) => /"level":(40|50)/.test(l));
          throw new Error(`${err.message}\n${logged.slice(-5).join('\n')}`);
        }),
      })),
    );
  };

  /** Until every rollout has evaluated a health gate: each is baking its canary. */
  const allBaking = (started: Started[]) =>
    eventually(
      async () => {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(DISTINCT stream_id)::int AS n FROM events WHERE type = 'HealthGateEvaluated' AND stream_id = ANY($1)`,
          [started.map((s) => s.id)],
        );
        return rows[0].n === started.length ? true : undefined;
      },
      { what: 'every rollout to bake', timeoutMs: 90_000, intervalMs: 200 },
    );

  /** Each rollout SUCCEEDED, its workflow COMPLETED, its stream clean, each region on v1 applied once. */
  const nothingLost = async (started: Started[]) => {
    for (const s of started) {
      const done = await waitForRollout(
        via(1),
        s.id,
        ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'ROLLBACK_FAILED'],
        180_000,
      );
      expect({ id: s.id, status: done.status }).toEqual({ id: s.id, status: 'SUCCEEDED' });
      expect((await closedWorkflow(client, rolloutWorkflowId(s.service), { timeoutMs: 60_000 })).status.name).toBe(
        'COMPLETED',
      );
      await expectCleanStream(pool, s.id, s.regions);
      expectAppliedOnce(sim.fleet, s.regions, 'v1');
    }
  };

  it('SIGKILL of a history process mid-bake: its shards move to the other and every rollout finishes', async () => {
    const started = await startAll('hist', 8);
    await allBaking(started);
    const before = await shardRanges();
    await cluster.temporal('history-1', 'kill');
    await nothingLost(started);
    // history-2 acquired the shards history-1 held (and only those: about half of them)
    const after = await shardRanges();
    const moved = [...after].filter(([shard, range]) => range > before.get(shard)!).length;
    expect({ shards: after.size, moved }).toEqual({ shards: 16, moved: expect.any(Number) });
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(16);
    await cluster.temporal('history-1', 'start');
    await cluster.waitUntilServing();
  });

  it('SIGKILL of the frontend while a halt is delivered: the halt lands once the frontend is back', async () => {
    const started = await startAll('front', 600);
    await allBaking(started);
    const [halted, untouched] = started;
    await cluster.temporal('frontend', 'kill');
    // Accepted into the gateway's outbox (PostgreSQL) while Temporal cannot be reached.
    const answer = await postAlerts(gateways[0].url, [
      { labels: { alertname: 'FrontendDown', service: halted.service, region: halted.regions[0] }, fingerprint: 'fd1' },
    ]);
    expect(answer.status).toBe(200);
    await new Promise((r) => setTimeout(r, 3_000));
    await cluster.temporal('frontend', 'start');
    await cluster.waitUntilServing();
    const stopped = await waitForRollout(via(1), halted.id, ['ROLLED_BACK', 'SUCCEEDED', 'ROLLBACK_FAILED'], 120_000);
    expect(stopped.status).toBe('ROLLED_BACK');
    expect(stopped.events.filter((e) => e.type === 'RolloutHalted')).toHaveLength(1);
    for (const region of halted.regions)
      expect({ region, version: sim.fleet.get(region)?.version }).toEqual({ region, version: null });
    expect((await closedWorkflow(client, rolloutWorkflowId(halted.service))).status.name).toBe('COMPLETED');
    // the other rollout was not touched by the halt and still bakes
    const other = await waitForRollout(via(0), untouched.id, ['ROLLING']);
    expect(other.events.map((e) => e.type)).not.toContain('RolloutHalted');
    await postAlerts(gateways[1].url, [
      {
        labels: { alertname: 'Cleanup', service: untouched.service, region: untouched.regions[0] },
        fingerprint: 'fd2',
      },
    ]);
    await waitForRollout(via(1), untouched.id, ['ROLLED_BACK'], 60_000);
  });

  it('SIGKILL of matching mid-push: the pushes in flight and the ones after it land once', async () => {
    const started = await startAll('match', 2);
    // every push answers 1.5 s after it was applied: kill matching while they are in flight
    for (const s of started) for (const region of s.regions) sim.fleet.setFaults(region, { slowPushMs: 1_500 });
    await eventually(
      async () => (started.some((s) => sim.fleet.pushRequestCount(s.regions[1]) > 0) ? true : undefined),
      {
        what: 'a second-wave push to be in flight',
        timeoutMs: 90_000,
        intervalMs: 50,
      },
    );
    await cluster.temporal('matching', 'kill');
    await new Promise((r) => setTimeout(r, 2_000));
    await cluster.temporal('matching', 'start');
    await nothingLost(started);
  });

  it('a rolling restart of every Temporal service with 20 rollouts in flight', async () => {
    const started = await startAll('roll', 6);
    await allBaking(started);
    for (const name of await cluster.temporalProcesses()) {
      await cluster.temporal(name, 'stop');
      await cluster.temporal(name, 'start');
      await cluster.waitUntilServing();
    }
    await nothingLost(started);
  });

  it('a PostgreSQL restart under Temporal and Sluice both', async () => {
    const started = await startAll('pg', 6);
    await allBaking(started);
    await cluster.postgres('stop');
    await new Promise((r) => setTimeout(r, 3_000));
    await cluster.postgres('start');
    await nothingLost(started);
  });

  it('a gateway and a worker killed at once: the others finish every rollout and answer for it', async () => {
    const started = await startAll('app', 6);
    await allBaking(started);
    await Promise.all([gateways[0].kill('SIGKILL'), workers[0].kill('SIGKILL')]);
    gateways = [gateways[1]];
    workers = [workers[1]];
    await nothingLost(started);
  });
});
