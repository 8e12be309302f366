import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portInUse } from '../../libs/platform/src/free-port';
import { projectRoot } from '../../libs/platform/src/project-root';
import { readUntil } from '../support/eventually';

/**
 * `npm run cluster` itself (dist/scripts/cluster.js, as the npm script runs it after the
 * build): the whole topology on ports of its own, a banner naming every part, a rollout
 * through it, and a Ctrl-C that stops every process it started.
 */
const root = projectRoot(__dirname);

/** `count` consecutive free ports (gateway i and worker i's metrics are numbered from one base). */
async function freeRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    // below the range the Temporal processes' own ports are picked from (20000-32767)
    const base = 10_000 + Math.floor(Math.random() * 9_000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (!(await Promise.all(ports.map(portInUse))).some(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports`);
}

/** Every process below `pid`, from ps. */
function descendants(pid: number): number[] {
  const rows = spawnSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of rows) {
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run cluster', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-npm-cluster-'));
  let child: ChildProcess;
  let output = '';
  afterAll(async () => {
    // a failed spec still leaves nothing behind: Ctrl-C, then SIGKILL whatever is left
    if (child && child.exitCode === null && child.signalCode === null) {
      const left = descendants(child.pid!);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      for (const pid of [child.pid!, ...left].filter(alive)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('runs the topology, takes a rollout, and stops everything on Ctrl-C', async () => {
    const [gateway, worker, single] = [await freeRun(2), await freeRun(4), await freeRun(6)];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SLUICE_DATA_DIR: dataDir,
      GATEWAY_PORT: String(gateway),
      WORKER_METRICS_PORT: String(worker),
      SLUICE_TEMPORAL_PORT: String(single),
      SLUICE_TEMPORAL_HTTP_PORT: String(single + 1),
      REGION_SIM_PORT: String(single + 2),
      SLUICE_PG_PORT: String(single + 3),
      SLUICE_PROMETHEUS_PORT: String(single + 4),
      SLUICE_ALERTMANAGER_PORT: String(single + 5),
      NO_COLOR: '1',
    };
    delete env.DATABASE_URL;
    delete env.TEMPORAL_ADDRESS;
    child = spawn(process.execPath, [join(root, 'dist', 'scripts', 'cluster.js')], { cwd: root, env });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await readUntil(
      async () => output,
      (text) => text.includes('Ctrl-C stops everything') || child.exitCode !== null,
      { what: 'the banner', timeoutMs: 180_000, intervalMs: 500, show: (text) => text.slice(-2_000) },
    );
    expect(child.exitCode).toBeNull();
    for (const part of [
      'gateway 1',
      'gateway 2',
      'worker 1',
      'worker 2',
      'history-1',
      'history-2',
      'matching',
      'frontend',
      'Prometheus',
      'Alertmanager',
    ]) {
      expect(output).toContain(part);
    }
    for (const url of [`http://127.0.0.1:${gateway}/healthz`, `http://127.0.0.1:${gateway + 1}/healthz`]) {
      expect((await fetch(url)).status).toBe(200);
    }
    // Alertmanager sends every alert to both gateways
    const amConfig = readFileSync(join(dataDir, 'cluster', 'alertmanager', 'alertmanager.yml'), 'utf8');
    expect(amConfig).toContain(`http://127.0.0.1:${gateway}/hooks/alertmanager`);
    expect(amConfig).toContain(`http://127.0.0.1:${gateway + 1}/hooks/alertmanager`);

    // a rollout of the demo service through the second gateway, with the dev token the banner names
    const gql = async (query: string) =>
      (await (
        await fetch(`http://127.0.0.1:${gateway + 1}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sluice-dev-admin' },
          body: JSON.stringify({ query }),
        })
      ).json()) as { data?: Record<string, { id?: string; status?: string }>; errors?: unknown };
    const started = await gql(
      'mutation { startRollout(input: {service: "demo", version: "v1", config: {greeting: "hi"}, strategy: {bakeSeconds: 0, approvalAfterCanary: false}}) { id } }',
    );
    expect(started.errors).toBeUndefined();
    const id = started.data!.startRollout.id!;
    await readUntil(
      async () => (await gql(`{ rollout(id: "${id}") { status } }`)).data?.rollout.status,
      (status) => status === 'SUCCEEDED',
      { what: 'the demo rollout to succeed', timeoutMs: 120_000, intervalMs: 500, show: String },
    );

    const children = descendants(child.pid!);
    expect(children.length).toBeGreaterThanOrEqual(11);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await readUntil(
      async () => children.filter(alive),
      (left) => left.length === 0,
      { what: 'every process npm run cluster started to be gone', timeoutMs: 30_000, intervalMs: 250, show: String },
    );
    expect(output).toContain('stopped');
    expect(existsSync(join(dataDir, 'cluster', 'temporal', 'frontend.log'))).toBe(true);
  }, 420_000);
});
