import { PgScenarioRuns } from '../../libs/scenarios/src/scenario-runs-store';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { createActivities } from '../../apps/worker/src/activities';
import { DEFAULT_STRATEGY, type Region, type RolloutEvent } from '../../libs/domain/src';
import { PgEventStore } from '../../libs/event-store/src';
import { CachedConfigStore, PgConfigStore } from '../../libs/config-store/src';
import { ReadModels } from '../../libs/projections/src';
import { FleetConfigs } from '../../libs/redundancy/src';
import { PgServiceCatalog } from '../../libs/service-catalog/src';
import { AlertmanagerClient, HttpRegionClient, PrometheusClient } from '../../libs/targets/src';
import { liveStateQuery, type LiveState } from '../../workflows/rollout.messages';
import { rolloutWorkflow } from '../../workflows/rollout.workflow';
import { rolloutWorkflowId, type RolloutWorkflowInput } from '../../workflows/rollout.types';
import { readUntil } from './eventually';
import {
  quietRuntime,
  skipsTime,
  startSkippingServer,
  stopSkippingServer,
  type SkippingServer,
} from './skipping-server';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';
import { testServices } from './test-env';

/** The fleet most workflow specs use: a canary, two standard regions and a heavy one. */
export const SMALL_FLEET = [
  { name: 'c1', tier: 'canary' as const, weight: 1 },
  { name: 'a1', tier: 'standard' as const, weight: 2 },
  { name: 'b1', tier: 'standard' as const, weight: 3 },
  { name: 'h1', tier: 'heavy' as const, weight: 10 },
];

/** Three waves over SMALL_FLEET: the canary, then a1 and b1 baking an hour, then the heavy region. */
export const SMALL_FLEET_WAVES = [
  { regions: ['c1'], bakeSeconds: 0 },
  { regions: ['a1', 'b1'], bakeSeconds: 3_600 },
  { regions: ['h1'], bakeSeconds: 0 },
];

/** A halt as the webhook's delivery sends it. */
export const ALERT_HALT = { source: 'alertmanager', by: 'alertmanager', reason: 'HighErrorRate firing' };

/** The events of one type, typed as that event. */
export const ofType = <T extends RolloutEvent['type']>(events: RolloutEvent[], type: T) =>
  events.filter((e): e is Extract<RolloutEvent, { type: T }> => e.type === type);

/**
 * A Temporal time-skipping test server, a real worker with the real activities, the real
 * PostgreSQL event store and an in-process region-sim: only the clock is simulated, so bakes
 * of minutes take moments.
 */
export interface WorkflowHarness {
  env: TestWorkflowEnvironment;
  regionSim: RegionSim;
  pool: Pool;
  taskQueue: string;
  /** Every region back to a fresh `v1-<seed>` with no injected faults. */
  reset(seed: number): void;
  start(overrides?: Partial<RolloutWorkflowInput>): Promise<WorkflowHandle<typeof rolloutWorkflow>>;
  input(overrides?: Partial<RolloutWorkflowInput>): RolloutWorkflowInput;
  events(rolloutId: string): Promise<RolloutEvent[]>;
  live(handle: WorkflowHandle<typeof rolloutWorkflow>): Promise<LiveState>;
  /** Reads until `done`, letting a minute of workflow time pass between reads (bakes tick meanwhile). */
  skipUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, minutes?: number): Promise<T>;
  waitFor(
    handle: WorkflowHandle<typeof rolloutWorkflow>,
    predicate: (s: LiveState) => boolean,
    what: string,
  ): Promise<LiveState>;
  /** Lets workflow time pass until the rollout is in `phase` of `wave` (any wave when absent). */
  skipToPhase(
    handle: WorkflowHandle<typeof rolloutWorkflow>,
    phase: 'BAKING' | 'AWAITING_APPROVAL',
    wave?: number,
  ): Promise<LiveState>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Where the worker's event store and config store connect (default: the test database). */
  workerDatabaseUrl?: string;
  /** Where the worker's config store connects (default: as its event store). */
  configStoreUrl?: string;
  /** The worker's config document cache; 1 keeps nothing, as in a worker that never saw them. */
  configCacheBytes?: number;
}

export async function startWorkflowHarness(
  regions: Array<Pick<Region, 'name' | 'tier' | 'weight'>>,
  options: HarnessOptions = {},
): Promise<WorkflowHarness> {
  quietRuntime();
  const pool = new Pool({ connectionString: testServices().databaseUrl, max: 8 });
  const ownPool = (url: string) => {
    const own = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 2_000 });
    own.on('error', () => undefined);
    return own;
  };
  const workerPool = options.workerDatabaseUrl ? ownPool(options.workerDatabaseUrl) : pool;
  const configPool = options.configStoreUrl ? ownPool(options.configStoreUrl) : workerPool;
  const regionSim = await startRegionSim({ regions: regions.map((r) => r.name), port: 0 });
  const taskQueue = `wf-test-${randomUUID()}`;
  const activities = createActivities({
    configs: new CachedConfigStore(new PgConfigStore(configPool), options.configCacheBytes),
    eventStore: new PgEventStore(workerPool),
    regions: new HttpRegionClient(),
    fleet: new FleetConfigs({
      catalog: new PgServiceCatalog(workerPool),
      readModels: new ReadModels(workerPool),
      configs: new PgConfigStore(configPool),
    }),
    metrics: new PrometheusClient('http://127.0.0.1:1'),
    alerts: new AlertmanagerClient('http://127.0.0.1:1'),
    scenarioRuns: new PgScenarioRuns(workerPool),
  });
  // Workflows this harness started and has not yet seen closed.
  const open = new Set<string>();
  let server = await startSkippingServer(taskQueue, activities, open);
  // Servers given up on for a leaked lock: stopped with the harness, not while their runs may still answer.
  const retired: SkippingServer[] = [];
  const eventStore = new PgEventStore(pool);
  const topology: Region[] = regions.map((r) => ({
    ...r,
    endpoint: `${regionSim.url}/regions/${r.name}`,
    customers: [],
  }));

  const input = (overrides: Partial<RolloutWorkflowInput> = {}): RolloutWorkflowInput => ({
    rolloutId: randomUUID(),
    service: `svc-${randomUUID().slice(0, 8)}`,
    version: 'v2',
    config: { feature: true },
    requestedBy: 'alice',
    requestedAt: new Date().toISOString(),
    regions: topology,
    freezeWindows: [],
    strategy: { ...DEFAULT_STRATEGY, canaryMaxShare: 0.5, growthFactor: 20, approvalAfterCanary: false },
    gates: [{ kind: 'probe', name: 'probe', path: '/probe', expectStatus: 200, timeoutMs: 2_000 }],
    gateIntervalSeconds: 60,
    ...overrides,
  });

  const live = (handle: WorkflowHandle<typeof rolloutWorkflow>) => handle.query(liveStateQuery);
  const skipUntil: WorkflowHarness['skipUntil'] = async (read, done, what, minutes = 600) => {
    let last;
    for (let i = 0; i < minutes; i++) {
      last = await read();
      if (done(last)) return last;
      await server.env.sleep('1 minute');
    }
    throw new Error(
      `${what} did not happen within ${minutes} minutes of workflow time; last seen ${JSON.stringify(last)}`,
    );
  };

  const noneOpen = async () => {
    for (const workflowId of open) {
      const { status } = await server.env.client.workflow.getHandle(workflowId).describe();
      if (status.name === 'RUNNING') return false;
      open.delete(workflowId);
    }
    return true;
  };

  return {
    get env() {
      return server.env;
    },
    regionSim,
    pool,
    taskQueue,
    input,
    reset(seed) {
      for (const { name } of regions) {
        regionSim.fleet.setFaults(name, {
          unhealthy: false,
          failNextPushes: 0,
          failAllPushes: false,
          rejectAllPushes: false,
          probeStatus: 0,
          slowPushMs: 0,
          probeDelayMs: 0,
          healthDelayMs: 0,
          holdNextPushes: 0,
          answerWithoutConfig: false,
        });
        void regionSim.fleet.releaseHeld(name);
        regionSim.fleet.apply(name, `v1-${seed}`, { feature: false, seed });
      }
    },
    async start(overrides = {}) {
      const args = input(overrides);
      if ((await noneOpen()) && !(await skipsTime(server.env))) {
        console.warn(
          'the time-skipping test server stopped skipping (a leaked lock): the next rollout runs on a fresh one',
        );
        retired.push(server);
        server = await startSkippingServer(taskQueue, activities, open);
      }
      open.add(rolloutWorkflowId(args.service));
      return server.env.client.workflow.start(rolloutWorkflow, {
        taskQueue,
        workflowId: rolloutWorkflowId(args.service),
        args: [args],
        workflowIdConflictPolicy: 'FAIL',
      });
    },
    async events(rolloutId) {
      return (await eventStore.readStream(rolloutId)).map((e) => ({ type: e.type, data: e.data }) as RolloutEvent);
    },
    live,
    skipUntil,
    skipToPhase(handle, phase, wave) {
      return skipUntil(
        () => live(handle),
        (s: LiveState) => s.phase === phase && (wave === undefined || s.wave === wave),
        `${phase}${wave === undefined ? '' : ` in wave ${wave}`}`,
      );
    },
    waitFor(handle, predicate, what) {
      return readUntil(() => live(handle), predicate, { what, timeoutMs: 30_000, intervalMs: 50 });
    },
    async stop() {
      await Promise.all([server, ...retired].map(stopSkippingServer));
      await regionSim.close();
      await pool.end();
      if (workerPool !== pool) await workerPool.end();
      if (configPool !== workerPool) await configPool.end();
    },
  };
}

/**
 * A harness whose worker reaches PostgreSQL through a proxy the spec can cut: the database
 * goes away for the worker (its event store and config store) and stays for the spec's reads.
 */
export async function startHarnessBehindProxy(
  regions: Array<Pick<Region, 'name' | 'tier' | 'weight'>>,
  which: 'worker' | 'config-store',
): Promise<{ h: WorkflowHarness; proxy: TcpProxy }> {
  const url = new URL(testServices().databaseUrl);
  const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
  url.host = `127.0.0.1:${proxy.port}`;
  // A worker that keeps no document in memory, as one restarted during the outage.
  const h = await startWorkflowHarness(regions, {
    ...(which === 'worker' ? { workerDatabaseUrl: url.toString() } : { configStoreUrl: url.toString() }),
    configCacheBytes: 1,
  });
  const stop = h.stop.bind(h);
  h.stop = async () => {
    await stop();
    await proxy.close();
  };
  return { h, proxy };
}
