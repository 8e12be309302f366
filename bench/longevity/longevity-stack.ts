import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { freePort } from '../../libs/platform/src/free-port';
import { migrateDatabase } from '../../libs/platform/src/migrate';
import { startDatabase, type Database } from '../../libs/platform/src/postgres';
import { projectRoot } from '../../libs/platform/src/project-root';
import { registerSearchAttributes } from '../../libs/platform/src/search-attributes';
import { resolveTestServer } from '../../libs/platform/src/temporal-cli';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../workflows/rollout.search-attributes';
import { spawnWorker, type SluiceProcess } from '../../test/support/sluice-process';
import { rssMiB } from '../bench-stack';
import { connectToTestServer, type TestServerClient } from './test-server-client';
import { startSimulatedMetrics, type SimulatedMetrics, type SimulatedTraffic } from './simulated-metrics';

/**
 * What the longevity bench runs on: the time-skipping test server (only the clock is
 * simulated), an embedded PostgreSQL for the event store, region-sim in this process, the
 * simulated Prometheus the canary gate reads, and Sluice's worker as its own process from
 * dist/, so its memory is its own.
 */
export interface LongevityStack {
  root: string;
  /** The test server (and the native connection an in-process worker uses). */
  env: TestWorkflowEnvironment;
  /** What the bench drives and reads the rollouts with. */
  client: TestServerClient;
  database: Database;
  pool: Pool;
  sim: RegionSim;
  metrics: SimulatedMetrics;
  worker: SluiceProcess;
  taskQueue: string;
  stop(): Promise<void>;
}

const TASK_QUEUE = 'sluice-longevity';

export async function startLongevityStack(options: {
  regions: readonly string[];
  traffic: SimulatedTraffic;
}): Promise<LongevityStack> {
  const root = projectRoot(__dirname);
  try {
    // no signal handling of its own: the bench stops its processes on SIGINT and SIGTERM
    Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  } catch {
    // installed already in this process
  }
  const testServer = resolveTestServer(root);
  const [env, database] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: testServer ? { type: 'existing-path', path: testServer } : { type: 'cached-download' } },
    }),
    startDatabase({
      dataDir: mkdtempSync(join(tmpdir(), 'sluice-longevity-pg-')),
      port: await freePort(),
      persistent: false,
      env: {},
    }),
  ]);
  const client = await connectToTestServer(env.address, env.namespace);
  await registerSearchAttributes(client.connection, env.namespace ?? 'default', SLUICE_SEARCH_ATTRIBUTES);
  await migrateDatabase(database.url, root);
  const pool = new Pool({ connectionString: database.url, max: 4 });
  const sim = await startRegionSim({ regions: options.regions, port: 0, traffic: false });
  const metrics = await startSimulatedMetrics({
    traffic: options.traffic,
    clock: () => client.now(),
    origin: await client.now(),
  });
  const worker = await spawnWorker(
    'worker',
    { temporalAddress: env.address, databaseUrl: database.url, taskQueue: TASK_QUEUE },
    { PROMETHEUS_URL: metrics.url },
  );
  return {
    root,
    env,
    client,
    database,
    pool,
    sim,
    metrics,
    worker,
    taskQueue: TASK_QUEUE,
    stop: once(async () => {
      await worker.stop();
      await client.close();
      await metrics.close();
      await sim.close();
      await pool.end();
      await env.teardown();
      await database.stop();
    }),
  };
}

/** `fn` run at most once: a second call gets the first call's promise. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

/** Samples a process's resident set (VmRSS) once a second; `peak` is the largest sample, in MiB. */
export function sampleRss(pid: number) {
  const samples: number[] = [];
  const take = () => {
    try {
      samples.push(rssMiB(pid).now);
    } catch {
      // the process has exited
    }
  };
  take();
  const timer = setInterval(take, 1_000);
  return {
    peak: () => Math.max(...samples),
    count: () => samples.length,
    stop: () => clearInterval(timer),
  };
}
