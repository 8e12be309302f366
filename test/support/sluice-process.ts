import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { hashToken } from '../../apps/gateway/src/auth/principal';
import { freePort } from '../../libs/platform/src/free-port';
import { projectRoot } from '../../libs/platform/src/project-root';
import { stopChild } from '../../libs/platform/src/monitoring-servers';
import { TEST_PRINCIPALS, tokenOf } from './test-tokens';

/** A Sluice process (worker or gateway) from the built dist/, so a spec can SIGKILL it. */
export interface SluiceProcess {
  name: string;
  /** The Temporal worker identity the SDK reports by default: `${pid}@${hostname}`. */
  identity: string;
  child: ChildProcess;
  /** stdout and stderr as they came. */
  output(): string;
  /** stdout alone: where the process logs. */
  stdout(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export type WorkerProcess = SluiceProcess;
export interface GatewayProcess extends SluiceProcess {
  url: string;
}

export interface ProcessEnv {
  temporalAddress: string;
  databaseUrl: string;
  taskQueue: string;
}

const ROOT = projectRoot(__dirname);
const WORKFLOW_BUNDLE = join(ROOT, 'dist', 'workflow-bundle.js');

/** Workflow code the bundle is built from: a bundle older than any of it would run stale code. */
const BUNDLED_SOURCES = ['workflows', 'libs/domain/src', 'libs/judge/src'].map((dir) => join(ROOT, 'dist', dir));

function newestIn(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .reduce((newest, e) => Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs), 0);
}

function bundleIsFresh(): boolean {
  if (!existsSync(WORKFLOW_BUNDLE)) return false;
  return statSync(WORKFLOW_BUNDLE).mtimeMs >= Math.max(...BUNDLED_SOURCES.map(newestIn));
}

async function spawnApp(app: string, name: string, env: NodeJS.ProcessEnv, ready: string): Promise<SluiceProcess> {
  const main = join(ROOT, 'dist', 'apps', app, 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: npm run build (npm run test:chaos does it)`);
  const child = spawn(process.execPath, [main], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'pipe' });
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes(ready)) {
    if (child.exitCode !== null) throw new Error(`${app} ${name} exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`${app} ${name} did not start within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    identity: `${child.pid}@${hostname()}`,
    child,
    output: () => output,
    stdout: () => stdout,
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
    stop: () => stopChild(child),
  };
}

export function spawnWorker(name: string, env: ProcessEnv, extra: NodeJS.ProcessEnv = {}): Promise<WorkerProcess> {
  return spawnApp(
    'worker',
    name,
    {
      TEMPORAL_ADDRESS: env.temporalAddress,
      DATABASE_URL: env.databaseUrl,
      SLUICE_TASK_QUEUE: env.taskQueue,
      WORKER_METRICS_PORT: '0',
      // off: its port is fixed, and several workers run on this machine
      WORKER_SDK_METRICS_PORT: '0',
      // the prebuilt bundle when there is a fresh one (npm run bundle:workflows), as production runs
      ...(bundleIsFresh() ? { SLUICE_WORKFLOW_BUNDLE: WORKFLOW_BUNDLE } : {}),
      PROMETHEUS_URL: 'http://127.0.0.1:1',
      ALERTMANAGER_URL: 'http://127.0.0.1:1',
      ...extra,
    },
    'worker polling',
  );
}

/** A production-mode gateway that knows the test principals' tokens (as hashes), plus `extra` settings. */
export async function spawnGateway(
  name: string,
  env: ProcessEnv,
  extra: { tokens?: Array<Record<string, unknown>>; env?: NodeJS.ProcessEnv } = {},
): Promise<GatewayProcess> {
  const port = await freePort();
  const tokens = [
    ...Object.entries(TEST_PRINCIPALS).map(([principal, roles]) => ({
      principal,
      roles,
      sha256: hashToken(tokenOf(principal)),
    })),
    ...(extra.tokens ?? []),
  ];
  const process = await spawnApp(
    'gateway',
    name,
    {
      TEMPORAL_ADDRESS: env.temporalAddress,
      DATABASE_URL: env.databaseUrl,
      SLUICE_TASK_QUEUE: env.taskQueue,
      GATEWAY_PORT: String(port),
      SLUICE_MODE: 'production',
      SLUICE_TOKENS: JSON.stringify(tokens),
      PROMETHEUS_URL: 'http://127.0.0.1:1',
      ...extra.env,
    },
    'gateway listening',
  );
  return { ...process, url: `http://127.0.0.1:${port}` };
}
