/**
 * What `npm start` and `npm run cluster` share: child processes stopped newest first on Ctrl-C
 * or on the first one that dies, health waits, and the demo service both register.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DEV_TOKENS } from '../../apps/gateway/src/auth/token-registry';
import { DEFAULT_REGIONS } from '../../apps/region-sim/src/region-fleet';
import { StartupError, startupFailureLine } from '../../libs/platform/src/startup-error';
import { showOutput } from './child-output';

export const DEMO_SERVICE = 'demo';

export function portFrom(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StartupError('START_FAILED', `${variable}=${raw} is not a TCP port (1-65535)`);
  }
  return port;
}

export async function waitForHttp(
  url: string,
  what: string,
  children: ChildProcess[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (children.some((c) => c.exitCode !== null || c.signalCode !== null)) {
      throw new StartupError(
        'START_FAILED',
        `${what} could not start because a Sluice process exited (its log is above)`,
      );
    }
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new StartupError('START_FAILED', `${what} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

/** Made-up customers per demo region, so affectedCustomers and its CSV have something to list. */
const DEMO_CUSTOMERS = [
  ['Acme Corp'],
  ['Globex', 'Initech'],
  ['Umbrella'],
  ['Hooli', 'Stark Industries'],
  ['Wayne Enterprises'],
  ['Soylent'],
];

export async function registerDemoService(gatewayUrl: string, regionSimUrl: string): Promise<void> {
  const regions = DEFAULT_REGIONS.map((name, i) => ({
    name,
    endpoint: `${regionSimUrl}/regions/${name}`,
    tier: i === 0 ? 'CANARY' : i === DEFAULT_REGIONS.length - 1 ? 'HEAVY' : 'STANDARD',
    weight: i === 0 ? 1 : i === DEFAULT_REGIONS.length - 1 ? 10 : 5,
    customers: DEMO_CUSTOMERS[i % DEMO_CUSTOMERS.length],
  }));
  const response = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEV_TOKENS.admin.token}` },
    body: JSON.stringify({
      query: 'mutation($input: RegisterServiceInput!) { registerService(input: $input) { name } }',
      variables: { input: { name: DEMO_SERVICE, regions } },
    }),
  });
  const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string }; message: string }> };
  const error = body.errors?.[0];
  if (error && error.extensions?.code !== 'ALREADY_EXISTS') {
    throw new StartupError('START_FAILED', `registering the demo service failed: ${error.message}`);
  }
}

/**
 * What has been started, stopped newest first; whatever starts after a stop began is stopped
 * at once. The first reason to stop wins: its exit code is the one the process ends with.
 */
export class Supervisor {
  private readonly stops: Array<{ what: string; stop: () => Promise<void> }> = [];
  private exiting: Promise<never> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly root: string,
  ) {}

  get stopping(): boolean {
    return this.exiting !== undefined;
  }

  async add(what: string, stop: () => Promise<void>): Promise<void> {
    if (this.stopping) return stop();
    this.stops.push({ what, stop });
  }

  shutdown(code: number, why?: string): Promise<never> {
    this.exiting ??= (async () => {
      if (why) this.log.error(why);
      this.log.info('stopping Sluice');
      for (const { what, stop } of this.stops.splice(0).reverse()) {
        await stop().catch((err: unknown) => this.log.warn(`stopping ${what} failed: ${startupFailureLine(err)}`));
      }
      this.log.info('stopped');
      process.exit(code);
    })();
    return this.exiting;
  }

  /** Ctrl-C and SIGTERM stop everything; a crash or a failed start does too, with code 1. */
  installSignalHandlers(): void {
    process.once('SIGINT', () => void this.shutdown(0));
    process.once('SIGTERM', () => void this.shutdown(0));
    process.on('uncaughtException', (err) => void this.shutdown(1, `Sluice stopped: ${startupFailureLine(err)}`));
    process.on('unhandledRejection', (err) => void this.shutdown(1, `Sluice stopped: ${startupFailureLine(err)}`));
  }

  /** Runs `main`; a failure stops whatever it had started and says why in one line. */
  run(main: () => Promise<void>): void {
    this.installSignalHandlers();
    main().catch((err: unknown) => {
      if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) console.error(err.stack);
      return this.shutdown(1, `Sluice failed to start: ${startupFailureLine(err)}`);
    });
  }

  /**
   * A child's end outside a stop stops everything, with code 1. SIGINT is the terminal's
   * Ctrl-C, which reaches every process of the group at once: a child may see it before this
   * process does, and that is a stop, not a crash.
   */
  private exited(name: string, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    if (signal === 'SIGINT') void this.shutdown(0);
    else void this.shutdown(1, `${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
  }

  /** Processes started elsewhere whose death also stops everything. */
  watch(children: Array<{ name: string; child: ChildProcess }>): void {
    for (const { name, child } of children) {
      child.once('exit', (code, signal) => this.exited(name, code, signal));
    }
  }

  /** One of Sluice's apps from dist/, its output shown under `label`; its death stops everything. */
  spawnApp(app: string, env: NodeJS.ProcessEnv, label = app): ChildProcess {
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', join(this.root, 'dist', 'apps', app, 'src', 'main.js')],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    showOutput(child, label);
    child.once('exit', (code, signal) => this.exited(label, code, signal));
    return child;
  }
}
