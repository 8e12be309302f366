import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { stopChild } from '../support/prometheus';

/** A Sluice worker as its own OS process (the built dist/), so a spec can SIGKILL it. */
export interface WorkerProcess {
  name: string;
  /** The Temporal worker identity the SDK reports by default: `${pid}@${hostname}`. */
  identity: string;
  child: ChildProcess;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..');
const WORKER_MAIN = join(ROOT, 'dist', 'apps', 'worker', 'src', 'main.js');

export async function spawnWorker(
  name: string,
  env: { temporalAddress: string; databaseUrl: string; taskQueue: string },
): Promise<WorkerProcess> {
  if (!existsSync(WORKER_MAIN))
    throw new Error(`${WORKER_MAIN} is missing: npm run build (npm run test:chaos does it)`);
  const child = spawn(process.execPath, [WORKER_MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.temporalAddress,
      DATABASE_URL: env.databaseUrl,
      SLUICE_TASK_QUEUE: env.taskQueue,
      WORKER_METRICS_PORT: '0',
      PROMETHEUS_URL: 'http://127.0.0.1:1',
      ALERTMANAGER_URL: 'http://127.0.0.1:1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('worker polling')) {
    if (child.exitCode !== null) throw new Error(`worker ${name} exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`worker ${name} did not start within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    identity: `${child.pid}@${hostname()}`,
    child,
    output: () => output,
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
    stop: () => stopChild(child),
  };
}
