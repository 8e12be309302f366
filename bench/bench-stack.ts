import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { startRegionSim, type RegionSim } from '../apps/region-sim/src/region-sim';
import { freePort } from '../libs/platform/src/free-port';
export { forEachLimited } from '../libs/platform/src/concurrency';
import { migrateDatabase } from '../libs/platform/src/migrate';
import { startDatabase, type Database } from '../libs/platform/src/postgres';
import { projectRoot } from '../libs/platform/src/project-root';
import {
  startTemporalCluster,
  temporalPostgresFrom,
  temporalServerBinaries,
  type TemporalCluster,
} from '../libs/platform/src/temporal-cluster';
import { startTemporalDevServer } from '../libs/platform/src/temporal-dev-server';
import { SLUICE_SEARCH_ATTRIBUTES } from '../workflows/rollout.search-attributes';
import {
  spawnGateway,
  spawnWorker,
  type GatewayProcess,
  type ProcessEnv,
  type SluiceProcess,
} from '../test/support/sluice-process';
import { tokenOf } from '../test/support/test-tokens';

/** The Temporal a stack runs on, and what it is, for the report's machine section. */
export interface BenchTemporal {
  address: string;
  /** The dev server's CLI, or the cluster's server build. */
  source: string;
  stop(): Promise<void>;
}

/**
 * What every benchmark runs on: a Temporal dev server (in memory), an embedded PostgreSQL of
 * its own, region-sim in this process, and Sluice's worker(s) and gateway as processes from
 * dist/, all on loopback.
 */
export interface BenchStack {
  root: string;
  temporal: BenchTemporal;
  database: Database;
  pool: Pool;
  sim: RegionSim;
  env: ProcessEnv;
  workers: SluiceProcess[];
  gateway: GatewayProcess;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, as?: string): Promise<T>;
  registerService(name: string, regions: readonly string[]): Promise<void>;
  startRollout(input: Record<string, unknown>): Promise<string>;
  addWorker(name: string): Promise<SluiceProcess>;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  regions: readonly string[];
  workers?: number;
}

async function startBenchDatabase(): Promise<Database> {
  return startDatabase({
    dataDir: mkdtempSync(join(tmpdir(), 'sluice-bench-pg-')),
    port: await freePort(),
    persistent: false,
    env: {},
  });
}

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const root = projectRoot(__dirname);
  const [dev, database] = await Promise.all([
    startTemporalDevServer({ projectRoot: root, searchAttributes: SLUICE_SEARCH_ATTRIBUTES }),
    startBenchDatabase(),
  ]);
  const temporal = { address: dev.address, source: dev.cli.source, stop: () => dev.stop() };
  return startSluice(root, temporal, database, options);
}

export interface ClusterBenchStack extends BenchStack {
  cluster: TemporalCluster;
}

/**
 * The same stack on a Temporal cluster (libs/platform/src/temporal-cluster.ts): frontend, two
 * history, matching and worker processes whose persistence and visibility live in the stack's
 * PostgreSQL beside Sluice's database. The binaries must be built (bootstrap --cluster).
 */
export async function startClusterBenchStack(options: BenchStackOptions): Promise<ClusterBenchStack> {
  const root = projectRoot(__dirname);
  const binaries = temporalServerBinaries(root);
  const database = await startBenchDatabase();
  let cluster: TemporalCluster;
  try {
    cluster = await startTemporalCluster({
      projectRoot: root,
      binaries,
      postgres: temporalPostgresFrom(database.url),
      dataDir: mkdtempSync(join(tmpdir(), 'sluice-bench-temporal-')),
      searchAttributes: SLUICE_SEARCH_ATTRIBUTES,
    });
  } catch (err) {
    await database.stop();
    throw err;
  }
  const temporal = {
    address: cluster.address,
    source: `cluster of ${basename(dirname(binaries.server))}: ${cluster.processes.map((p) => p.name).join(', ')}`,
    stop: () => cluster.stop(),
  };
  return { ...(await startSluice(root, temporal, database, options)), cluster };
}

async function startSluice(
  root: string,
  temporal: BenchTemporal,
  database: Database,
  options: BenchStackOptions,
): Promise<BenchStack> {
  await migrateDatabase(database.url, root);
  const sim = await startRegionSim({ regions: options.regions, port: 0, traffic: false });
  const pool = new Pool({ connectionString: database.url, max: 4 });
  // An idle client whose server stops (a stack shut down beside another) must not end the run.
  pool.on('error', () => undefined);
  const env: ProcessEnv = { temporalAddress: temporal.address, databaseUrl: database.url, taskQueue: 'sluice-bench' };
  const workers = await Promise.all(
    Array.from({ length: options.workers ?? 1 }, (_, i) => spawnWorker(`worker-${i + 1}`, env)),
  );
  const gateway = await spawnGateway('gateway', env);

  const gql = async <T>(query: string, variables: Record<string, unknown> = {}, as = 'admin'): Promise<T> => {
    const res = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf(as)}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: unknown[] };
    if (body.errors) {
      // an INTERNAL answer leaves its cause in the gateway's log (pino, error is level 50)
      const logged = gateway
        .output()
        .split('\n')
        .filter((line) => line.includes('"level":50'))
        .slice(-3);
      throw new Error([JSON.stringify(body.errors), ...logged].join('\n'));
    }
    return body.data!;
  };

  return {
    root,
    temporal,
    database,
    pool,
    sim,
    env,
    workers,
    gateway,
    gql,
    async registerService(name, regions) {
      await gql('mutation ($input: RegisterServiceInput!) { registerService(input: $input) { name } }', {
        input: {
          name,
          regions: regions.map((r, k) => ({
            name: r,
            tier: k === 0 ? 'CANARY' : 'STANDARD',
            endpoint: `${sim.url}/regions/${r}`,
          })),
        },
      });
    },
    async startRollout(input) {
      const data = await gql<{ startRollout: { id: string } }>(
        'mutation ($input: StartRolloutInput!) { startRollout(input: $input) { id } }',
        { input },
        'alice',
      );
      return data.startRollout.id;
    },
    async addWorker(name) {
      const worker = await spawnWorker(name, env);
      workers.push(worker);
      return worker;
    },
    async stop() {
      await Promise.all([...workers, gateway].map((p) => p.stop()));
      await sim.close();
      await pool.end();
      await temporal.stop();
      await database.stop();
    },
  };
}

/** Resident set size now and at its peak (VmRSS, VmHWM), in MiB. */
export function rssMiB(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n');
  const kib = (key: string) => Number(status.find((l) => l.startsWith(key))?.split(/\s+/)[1] ?? 0);
  return { now: Math.round(kib('VmRSS:') / 1024), peak: Math.round(kib('VmHWM:') / 1024) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `count` until it reaches `target` and returns how long that took, in seconds. A phase
 * lasts as long as this machine needs; it fails only when the count stops moving for
 * `stallSeconds`, saying how far it got.
 */
export async function untilCount(
  what: string,
  count: () => Promise<number>,
  target: number,
  { stallSeconds = 120, intervalMs = 250 } = {},
): Promise<number> {
  const started = performance.now();
  let last = -1;
  let movedAt = started;
  for (;;) {
    const n = await count();
    if (n >= target) return (performance.now() - started) / 1000;
    if (n !== last) {
      last = n;
      movedAt = performance.now();
    }
    if (performance.now() - movedAt > stallSeconds * 1000) {
      throw new Error(
        `${what}: ${n} of ${target} after ${Math.round((performance.now() - started) / 1000)} s, none for the last ${stallSeconds} s`,
      );
    }
    await sleep(intervalMs);
  }
}
