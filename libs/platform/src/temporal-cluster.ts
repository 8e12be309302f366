import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { freePortInRange } from './free-port';
import { stopChild } from './monitoring-servers';
import { registerSearchAttributes } from './search-attributes';
import { StartupError } from './startup-error';
import { setupTemporalSchema, type TemporalBinaries, type TemporalPostgres } from './temporal-setup';

export {
  CLUSTER_PG_MAX_CONNECTIONS,
  setupTemporalSchema,
  temporalPostgresFrom,
  temporalServerBinaries,
  type TemporalBinaries,
  type TemporalPostgres,
} from './temporal-setup';

/**
 * A Temporal cluster on PostgreSQL as separate processes on one host: frontend, history (any
 * number of processes sharing the shards), matching and worker, each `temporal-server start
 * --service <name>` on the one committed config template, deploy/temporal/temporal.yaml. The
 * binaries are built from source by scripts/build-temporal-server.sh, pinned to the version
 * docker-compose.yml's image runs.
 */
export type TemporalService = 'frontend' | 'history' | 'matching' | 'worker';

export interface TemporalProcessPorts {
  grpc: number;
  membership: number;
  metrics: number;
  /** The frontend's HTTP API. */
  http?: number;
}

export interface TemporalProcess {
  name: string;
  service: TemporalService;
  ports: TemporalProcessPorts;
  /** The running child, or undefined while it is stopped. */
  child(): ChildProcess | undefined;
  /** SIGKILL: no goodbye to membership, shards held until their lease runs out. */
  kill(): Promise<void>;
  /** SIGTERM, waiting for a graceful exit (shards handed over). */
  stop(): Promise<void>;
  /** Starts it again on the same ports. */
  start(): Promise<void>;
}

export interface TemporalCluster {
  /** The frontend's gRPC address, what TEMPORAL_ADDRESS names. */
  address: string;
  namespace: string;
  processes: TemporalProcess[];
  process(name: string): TemporalProcess;
  /** Resolves once the frontend answers and a workflow task queue can be described. */
  waitUntilServing(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface TemporalClusterOptions {
  projectRoot: string;
  binaries: TemporalBinaries;
  postgres: TemporalPostgres;
  /** Logs of every process go here, one file each. */
  dataDir: string;
  /** How many history processes share the shards (default 2). */
  historyProcesses?: number;
  historyShards?: number;
  namespace?: string;
  /** Registered through the operator API, within SQL visibility's limits. */
  searchAttributes?: readonly SearchAttributeKey<SearchAttributeType>[];
  /** Fixed ports for the frontend (default: any free ones); the others are always free ones. */
  frontendPort?: number;
  frontendHttpPort?: number;
  /** Where progress lines go. */
  log?: (line: string) => void;
}

export const TEMPORAL_CONFIG_TEMPLATE = join('deploy', 'temporal', 'temporal.yaml');
export const TEMPORAL_DYNAMIC_CONFIG = join('deploy', 'temporal', 'dynamicconfig.yaml');
interface PlannedProcess {
  name: string;
  service: TemporalService;
  ports: TemporalProcessPorts;
}

async function planProcesses(options: TemporalClusterOptions): Promise<PlannedProcess[]> {
  // Every port below the kernel's ephemeral range, where an outgoing connection could take one
  // between this pick and a restart's bind; membership ports must be anyway, since
  // cluster_membership.rpc_port is a smallint. No port is handed out twice.
  const taken = new Set<number>();
  const pick = async () => {
    for (;;) {
      const candidate = await freePortInRange(20_000, 32_767);
      if (!taken.has(candidate)) {
        taken.add(candidate);
        return candidate;
      }
    }
  };
  const port = async (fixed?: number) => fixed ?? (await pick());
  const membership = pick;
  const plan: PlannedProcess[] = [
    {
      name: 'frontend',
      service: 'frontend',
      ports: {
        grpc: await port(options.frontendPort),
        http: await port(options.frontendHttpPort),
        membership: await membership(),
        metrics: await port(),
      },
    },
  ];
  const histories = options.historyProcesses ?? 2;
  for (let i = 1; i <= histories; i++) {
    plan.push({
      name: histories === 1 ? 'history' : `history-${i}`,
      service: 'history',
      ports: { grpc: await port(), membership: await membership(), metrics: await port() },
    });
  }
  for (const service of ['matching', 'worker'] as const) {
    plan.push({
      name: service,
      service,
      ports: { grpc: await port(), membership: await membership(), metrics: await port() },
    });
  }
  return plan;
}

/** The environment deploy/temporal/temporal.yaml reads, for one process. */
export function temporalProcessEnv(
  options: Pick<TemporalClusterOptions, 'projectRoot' | 'postgres' | 'historyShards'>,
  process: PlannedProcess,
  frontend: { grpc: number; http: number },
): Record<string, string> {
  const upper = process.service.toUpperCase();
  return {
    TEMPORAL_LOG_LEVEL: 'warn',
    TEMPORAL_HISTORY_SHARDS: String(options.historyShards ?? 16),
    TEMPORAL_PG_HOST: options.postgres.host,
    TEMPORAL_PG_PORT: String(options.postgres.port),
    TEMPORAL_PG_USER: options.postgres.user,
    TEMPORAL_PG_PASSWORD: options.postgres.password,
    TEMPORAL_DB: options.postgres.database ?? 'temporal',
    TEMPORAL_VISIBILITY_DB: options.postgres.visibilityDatabase ?? 'temporal_visibility',
    TEMPORAL_BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    TEMPORAL_METRICS_PORT: String(process.ports.metrics),
    [`TEMPORAL_${upper}_PORT`]: String(process.ports.grpc),
    [`TEMPORAL_${upper}_MEMBERSHIP_PORT`]: String(process.ports.membership),
    TEMPORAL_FRONTEND_PORT: String(frontend.grpc),
    TEMPORAL_FRONTEND_HTTP_PORT: String(frontend.http),
    TEMPORAL_FRONTEND_ADDRESS: `127.0.0.1:${frontend.grpc}`,
    TEMPORAL_FRONTEND_HTTP_ADDRESS: `127.0.0.1:${frontend.http}`,
    TEMPORAL_DYNAMIC_CONFIG: join(options.projectRoot, TEMPORAL_DYNAMIC_CONFIG),
  };
}

/**
 * The frontend answers, the namespace exists and a task queue can be described (through
 * matching). It does not show that every history process has joined the ring: history's
 * shards are served by whichever history process holds them.
 */
async function serving(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2_000 });
    const deadline = () => new Date(Date.now() + 3_000);
    await connection.withDeadline(deadline(), () =>
      connection!.workflowService.describeTaskQueue({ namespace, taskQueue: { name: 'sluice-health-check' } }),
    );
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function registerNamespace(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch {
      // not there yet
    }
    await connection.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') })
      .catch((err: { code?: number }) => {
        // ALREADY_EXISTS: another start registered it a moment ago
        if (err.code !== 6) throw err;
      });
  } finally {
    await connection.close();
  }
}

/**
 * Sets up the schema, starts every process and waits until the cluster serves `namespace`
 * (registered when missing) with the search attributes in place.
 */
export async function startTemporalCluster(options: TemporalClusterOptions): Promise<TemporalCluster> {
  const log = options.log ?? (() => undefined);
  const template = join(options.projectRoot, TEMPORAL_CONFIG_TEMPLATE);
  if (!existsSync(template)) throw new StartupError('START_FAILED', `${template} is missing`);
  mkdirSync(options.dataDir, { recursive: true });
  log('setting up Temporal schemas with temporal-sql-tool');
  await setupTemporalSchema(options.binaries, options.postgres);

  const plan = await planProcesses(options);
  const frontend = plan[0].ports as { grpc: number; http: number };
  const address = `127.0.0.1:${frontend.grpc}`;
  const namespace = options.namespace ?? 'default';

  const processes: TemporalProcess[] = plan.map((planned) => {
    let child: ChildProcess | undefined;
    const env = { ...process.env, ...temporalProcessEnv(options, planned, frontend) };
    const logFile = join(options.dataDir, `${planned.name}.log`);
    const start = async () => {
      if (child && child.exitCode === null && child.signalCode === null) return;
      const out = openSync(logFile, 'a');
      const started = spawn(
        options.binaries.server,
        ['--config-file', template, '--allow-no-auth', 'start', '--service', planned.service],
        { env, stdio: ['ignore', out, out] },
      );
      closeSync(out);
      // Whatever ends this process, no Temporal process outlives it.
      const orphaned = () => started.kill('SIGKILL');
      process.once('exit', orphaned);
      started.once('exit', () => process.removeListener('exit', orphaned));
      child = started;
    };
    const ended = async (signal: NodeJS.Signals) => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      if (signal === 'SIGKILL') {
        await new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        });
      } else {
        await stopChild(c, 30_000);
      }
    };
    return {
      name: planned.name,
      service: planned.service,
      ports: planned.ports,
      child: () => child,
      kill: () => ended('SIGKILL'),
      stop: () => ended('SIGTERM'),
      start,
    };
  });

  const cluster: TemporalCluster = {
    address,
    namespace,
    processes,
    process(name) {
      const found = processes.find((p) => p.name === name);
      if (!found) throw new Error(`no Temporal process named ${name} (${processes.map((p) => p.name).join(', ')})`);
      return found;
    },
    async waitUntilServing(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await serving(address, namespace))) {
        const dead = processes.find((p) => {
          const c = p.child();
          return c && (c.exitCode !== null || c.signalCode !== null) && c.signalCode !== 'SIGKILL';
        });
        if (dead) {
          throw new StartupError(
            'START_FAILED',
            `Temporal ${dead.name} exited (${dead.child()?.exitCode}); see ${join(options.dataDir, `${dead.name}.log`)}`,
          );
        }
        if (Date.now() > deadline) {
          throw new StartupError(
            'START_FAILED',
            `the Temporal cluster did not serve ${namespace} within ${timeoutMs / 1000} s`,
          );
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    async stop() {
      // frontend first, so no new work arrives while the rest hand over
      for (const p of processes) await p.stop();
    },
  };

  try {
    // The frontend alone first: on a new database, the first process writes the cluster's
    // metadata record, and several writing it at once fail ("Failed to apply cluster metadata").
    log(`starting Temporal: ${processes.map((p) => p.name).join(', ')}`);
    await processes[0].start();
    await waitForFrontend(address, cluster, options.dataDir);
    for (const p of processes.slice(1)) await p.start();
    await registerNamespace(address, namespace);
    await cluster.waitUntilServing();
    if (options.searchAttributes?.length) await addSearchAttributes(address, namespace, options.searchAttributes);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

async function waitForFrontend(address: string, cluster: TemporalCluster, dataDir: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.withDeadline(new Date(Date.now() + 3_000), () => connection.workflowService.getSystemInfo({}));
        return;
      } finally {
        await connection.close();
      }
    } catch {
      const frontend = cluster.process('frontend').child();
      if (frontend && frontend.exitCode !== null) {
        throw new StartupError('START_FAILED', `the Temporal frontend exited; see ${join(dataDir, 'frontend.log')}`);
      }
      if (Date.now() > deadline)
        throw new StartupError('START_FAILED', `the Temporal frontend did not answer at ${address}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Registers the attributes that are missing; SQL visibility refuses more than its per-type limit. */
async function addSearchAttributes(
  address: string,
  namespace: string,
  keys: readonly SearchAttributeKey<SearchAttributeType>[],
): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = keys.filter((k) => !(k.name in (existing.customAttributes ?? {})));
    if (missing.length > 0) await registerSearchAttributes(connection, namespace, missing);
  } finally {
    await connection.close();
  }
}
