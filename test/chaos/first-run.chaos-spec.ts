import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, portInUse } from '../../libs/platform/src/free-port';
import { startDatabase } from '../../libs/platform/src/postgres';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startTemporalDevServer } from '../../libs/platform/src/temporal-dev-server';
import { SLUICE_SEARCH_ATTRIBUTES as searchAttributes } from '../../workflows/rollout.search-attributes';

const ROOT = projectRoot(__dirname);
const DEV = join(ROOT, 'dist', 'scripts', 'dev.js');

interface Run {
  code: number | null;
  output: string;
}

/** `npm start`'s program with its own data folder and ports, until it exits by itself. */
async function runDev(env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<Run> {
  if (!existsSync(DEV)) throw new Error(`${DEV} is missing: npm run build (npm run test:chaos does it)`);
  const child = spawn(process.execPath, [DEV], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'pipe' });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}

/** Every process on the machine whose command line mentions `needle`. */
function processesMentioning(needle: string): string[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .map((pid) => {
      try {
        return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`;
      } catch {
        return '';
      }
    })
    .filter((line) => line.includes(needle));
}

async function devEnv(dataDir: string): Promise<NodeJS.ProcessEnv> {
  return {
    SLUICE_DATA_DIR: dataDir,
    SLUICE_TEMPORAL_PORT: String(await freePort()),
    SLUICE_TEMPORAL_UI_PORT: String(await freePort()),
    SLUICE_PG_PORT: String(await freePort()),
    GATEWAY_PORT: String(await freePort()),
    REGION_SIM_PORT: String(await freePort()),
    WORKER_METRICS_PORT: String(await freePort()),
    WORKER_SDK_METRICS_PORT: String(await freePort()),
    SLUICE_PROMETHEUS_PORT: String(await freePort()),
    SLUICE_ALERTMANAGER_PORT: String(await freePort()),
    TEMPORAL_ADDRESS: '',
    DATABASE_URL: '',
    PROMETHEUS_URL: '',
    ALERTMANAGER_URL: '',
    LOG_LEVEL: 'info',
  };
}

/** A failed start says why in one line with a stable code, and prints no stack trace. */
function expectOneLineFailure(run: Run, code: string, ...mentions: string[]): string {
  expect(run.code).toBe(1);
  const failures = run.output.split('\n').filter((l) => l.includes('Sluice failed to start'));
  expect(failures).toHaveLength(1);
  expect(failures[0]).toContain(`[${code}]`);
  for (const m of mentions) expect(failures[0]).toContain(m);
  expect(run.output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  return failures[0];
}

describe('chaos: npm start that cannot start says why and leaves nothing behind', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice first run '));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('a busy gateway port: one line naming GATEWAY_PORT, nothing started', async () => {
    const env = await devEnv(dataDir);
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(Number(env.GATEWAY_PORT), '127.0.0.1', r));
    try {
      const run = await runDev(env);
      expectOneLineFailure(run, 'PORT_IN_USE', `port ${env.GATEWAY_PORT} (the GraphQL gateway)`, 'set GATEWAY_PORT');
      expect(processesMentioning(dataDir)).toEqual([]);
      expect(existsSync(join(dataDir, 'temporal.db'))).toBe(false);
    } finally {
      holder.close();
    }
  });

  it('a Temporal server already on the port: says to use TEMPORAL_ADDRESS', async () => {
    const env = await devEnv(dataDir);
    const other = await startTemporalDevServer({
      projectRoot: ROOT,
      port: Number(env.SLUICE_TEMPORAL_PORT),
      searchAttributes,
    });
    try {
      const run = await runDev(env);
      expectOneLineFailure(
        run,
        'TEMPORAL_ALREADY_RUNNING',
        `a Temporal server already runs on 127.0.0.1:${env.SLUICE_TEMPORAL_PORT}`,
        `TEMPORAL_ADDRESS=127.0.0.1:${env.SLUICE_TEMPORAL_PORT}`,
      );
    } finally {
      await other.stop();
    }
  });

  it("a stale postmaster.pid: PostgreSQL's own reason and the fix, and the Temporal server it had started is stopped", async () => {
    const env = await devEnv(dataDir);
    // A data folder left by a server that died, whose PID now belongs to another live process.
    const first = await startDatabase({
      dataDir: join(dataDir, 'postgres'),
      port: Number(env.SLUICE_PG_PORT),
      persistent: true,
      env: {},
    });
    await first.stop();
    const pgData = first.dataDir!;
    const pidFile = join(pgData, 'postmaster.pid');
    // PostgreSQL ignores a PID it may not signal, so the live process must be its own user's.
    const owner = statSync(pgData);
    const sleeper = spawn('sleep', ['300'], { uid: owner.uid, gid: owner.gid, stdio: 'ignore' });
    const port = env.SLUICE_PG_PORT;
    writeFileSync(pidFile, `${sleeper.pid}\n${pgData}\n1700000000\n${port}\n\n127.0.0.1\n  1  2\nready   \n`);
    try {
      const run = await runDev(env);
      expectOneLineFailure(run, 'POSTGRES_LOCKED', pidFile, 'lock file "postmaster.pid" already exists');
      // Temporal had started before PostgreSQL failed: it is gone, and so is its port.
      expect(run.output).toContain('stopping Sluice');
      expect(processesMentioning(join(dataDir, 'temporal.db'))).toEqual([]);
      expect(await portInUse(Number(env.SLUICE_TEMPORAL_PORT))).toBe(false);
      expect(processesMentioning(pgData)).toEqual([]);
    } finally {
      sleeper.kill('SIGKILL');
      if (pgData !== join(dataDir, 'postgres')) rmSync(dirname(pgData), { recursive: true, force: true });
    }
  });

  it('a bad port variable is refused before anything starts', async () => {
    const env = { ...(await devEnv(dataDir)), REGION_SIM_PORT: 'eighty' };
    const run = await runDev(env);
    expectOneLineFailure(run, 'START_FAILED', 'REGION_SIM_PORT=eighty is not a TCP port');
    expect(processesMentioning(dataDir)).toEqual([]);
  });
});
