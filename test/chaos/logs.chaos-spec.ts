import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { registerService, startRollout, waitForRollout, type StackUrls } from '../support/fixtures';
import { testServices } from '../support/test-env';
import { tokenOf } from '../support/test-tokens';
import { spawnGateway, spawnWorker, type GatewayProcess, type SluiceProcess } from '../support/sluice-process';

/**
 * One log format per process: the gateway and the worker, doing real work (GraphQL requests,
 * a rollout through a workflow), write only JSON lines on stdout, from pino, Nest and the
 * Temporal SDK alike, at the most talkative levels. The gateway logs each request under a
 * request id it echoes, and a line logged inside a span names the span.
 */
interface LogLine {
  level: number;
  msg: string;
  component?: string;
  context?: string;
  sdkComponent?: string;
  workflowType?: string;
  req?: { id?: string; method?: string; url?: string; headers?: unknown };
  res?: { statusCode?: number };
  trace_id?: string;
  span_id?: string;
}

const REGIONS = ['lg-canary', 'lg-west'];
const SERVICE = `logged-${Date.now().toString(36)}`;
const REQUEST_ID = `spec-${Date.now().toString(36)}`;

/** Every stdout line as JSON; a line that is not JSON fails the spec, quoted with its process. */
function jsonLines(p: SluiceProcess): LogLine[] {
  return parseLines(p.name, p.stdout());
}

function parseLines(name: string, stdout: string): LogLine[] {
  // a line still being written is left for the next look
  const lines = stdout
    .slice(0, stdout.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean);
  const notJson = lines.filter((line) => {
    try {
      return typeof JSON.parse(line) !== 'object';
    } catch {
      return true;
    }
  });
  expect({ process: name, notJson: notJson.slice(0, 5) }).toEqual({ process: name, notJson: [] });
  return lines.map((line) => JSON.parse(line) as LogLine);
}

describe('chaos: every Sluice process logs JSON lines only', () => {
  const processes: SluiceProcess[] = [];
  let gateway: GatewayProcess;
  let worker: SluiceProcess;
  let sim: RegionSim;

  beforeAll(async () => {
    const env = { ...testServices(), taskQueue: `sluice-logged-${Date.now()}` };
    sim = await startRegionSim({ regions: REGIONS, port: 0, traffic: false });
    gateway = await spawnGateway('gateway', env, { env: { LOG_LEVEL: 'debug' } });
    worker = await spawnWorker('worker', env, { LOG_LEVEL: 'debug', TEMPORAL_SDK_LOG_LEVEL: 'DEBUG' });
    processes.push(gateway, worker);
    const urls: StackUrls = { gateway, regionSim: sim };
    await registerService(urls, SERVICE, REGIONS);
    const id = await startRollout(urls, {
      service: SERVICE,
      version: 'v1',
      config: { logged: true },
      strategy: { canaryMaxShare: 0.5, growthFactor: 2, bakeSeconds: 0, approvalAfterCanary: false },
    });
    expect((await waitForRollout(urls, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED'])).status).toBe('SUCCEEDED');
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await sim?.close();
  });

  it('the gateway: Nest’s bootstrap, its own lines and the access log, all JSON', async () => {
    await fetch(`${gateway.url}/healthz`);
    const lines = jsonLines(gateway);
    expect(lines.find((l) => l.msg.includes('gateway listening'))).toMatchObject({ component: 'gateway' });
    // Nest's own lines, from before the app listened, come through the same logger
    expect(lines.filter((l) => l.context === 'InstanceLoader').length).toBeGreaterThan(0);
    expect(lines.some((l) => l.context === 'NestApplication')).toBe(true);
  });

  it('the access log: a line per request under the caller’s x-request-id, echoed back', async () => {
    const res = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${tokenOf('viewer')}`,
        'x-request-id': REQUEST_ID,
      },
      body: JSON.stringify({ query: '{ services { name } }' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(REQUEST_ID);
    const generated = (await fetch(`${gateway.url}/healthz`)).headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);

    const access = await waitForLine(gateway, (l) => l.req?.id === REQUEST_ID);
    expect(access).toMatchObject({
      level: 30,
      req: { id: REQUEST_ID, method: 'POST', url: '/graphql' },
      res: { statusCode: 200 },
    });
    // headers (bearer tokens) are never logged
    expect(access.req).not.toHaveProperty('headers');
    expect(JSON.stringify(access)).not.toContain(tokenOf('viewer'));
    // the probe is logged too, below info
    expect((await waitForLine(gateway, (l) => l.req?.id === generated)).level).toBe(20);
  });

  it('a line logged inside a span carries its trace_id and span_id', async () => {
    const startLine = await waitForLine(
      gateway,
      (l) => l.req?.url === '/graphql' && l.req.method === 'POST' && l.trace_id !== undefined,
    );
    expect(startLine.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(startLine.span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('writes nothing to stderr', () => {
    for (const p of processes)
      expect({ process: p.name, stderr: p.output().length - p.stdout().length }).toEqual({
        process: p.name,
        stderr: 0,
      });
  });

  it('the worker: its own lines and the Temporal SDK’s, workflow log calls among them, all JSON', () => {
    const lines = jsonLines(worker);
    expect(lines.find((l) => l.msg === 'worker polling')).toMatchObject({ component: 'worker' });
    // the SDK's worker lines and the workflow's `log` (through the SDK's logger sink)
    expect(lines.some((l) => l.sdkComponent === 'worker')).toBe(true);
    expect(lines.find((l) => l.msg === 'Workflow started' && l.workflowType === 'rolloutWorkflow')).toBeDefined();
  });
});

/** A process from dist/ run until `ready` is on its stdout, then sent `work` and stopped with SIGTERM. */
async function runUntilStopped(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  work: (stdout: string) => Promise<void>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(projectRoot(__dirname), 'dist', script), ...args], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 20_000;
  while (!ready.test(stdout)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${script} did not start:\n${stdout}${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await work(stdout);
  child.kill('SIGTERM');
  return { code: await exited, stdout, stderr };
}

describe('chaos: region-sim and the file agent log JSON lines only', () => {
  it('region-sim, while it takes a push', async () => {
    const run = await runUntilStopped(
      'apps/region-sim/src/main.js',
      [],
      { REGION_SIM_PORT: '0', REGION_SIM_REGIONS: 'ls-1' },
      /region-sim listening/,
      async (stdout) => {
        const url = /listening on (http:\/\/[\d.:]+)/.exec(stdout)![1];
        const res = await fetch(`${url}/regions/ls-1/config`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ version: 'v1', config: {} }),
        });
        expect(res.status).toBeLessThan(500);
      },
    );
    expect(run.stderr).toBe('');
    const lines = parseLines('region-sim', run.stdout);
    expect(lines.map((l) => l.msg)).toEqual([expect.stringContaining('region-sim listening'), 'shutting down']);
    expect(lines.every((l) => l.component === 'region-sim')).toBe(true);
  });

  it('the file agent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-agent-log-'));
    const configFile = join(dir, 'app.json');
    writeFileSync(configFile, '{}');
    const run = await runUntilStopped(
      'apps/file-agent/src/main.js',
      ['--config-file', configFile, '--state-file', join(dir, 'state.json'), '--port', '0'],
      {},
      /file agent for/,
      async () => undefined,
    );
    expect(run.stderr).toBe('');
    expect(parseLines('file-agent', run.stdout)).toEqual([
      expect.objectContaining({ level: 30, component: 'file-agent', configFile }),
    ]);
  });
});

describe('chaos: a process that cannot start', () => {
  it('says why in one JSON line at level fatal, and exits with 1', async () => {
    const main = join(projectRoot(__dirname), 'dist', 'apps', 'gateway', 'src', 'main.js');
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: testServices().temporalAddress,
        DATABASE_URL: testServices().databaseUrl,
        SLUICE_MODE: 'development',
        GATEWAY_PORT: 'not-a-port',
      },
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toBe('');
    const lines = parseLines('gateway', stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 60, component: 'gateway' });
    expect(lines[0].msg).toMatch(/^gateway failed to start: Invalid configuration:\n\s+GATEWAY_PORT: /);
  });

  it('an error nobody caught ends the process the same way, not with a text stack', async () => {
    const logger = join(projectRoot(__dirname), 'dist', 'libs', 'platform', 'src', 'logger.js');
    const program = `require(${JSON.stringify(logger)}).exitOnUncaught(require(${JSON.stringify(logger)}).createLogger('spec'));
      setTimeout(() => Promise.reject(new Error('nobody caught me')), 10);`;
    const child = spawn(process.execPath, ['-e', program], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await new Promise<number | null>((resolve) => child.once('exit', resolve))).toBe(1);
    expect(stderr).toBe('');
    const lines = parseLines('spec', stdout);
    expect(lines).toEqual([expect.objectContaining({ level: 60, msg: 'uncaught error: nobody caught me' })]);
  });
});

/** The access log line comes when the answer is finished: poll for it a moment. */
async function waitForLine(p: SluiceProcess, match: (line: LogLine) => boolean): Promise<LogLine> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = jsonLines(p).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such log line from ${p.name}:\n${p.stdout().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
