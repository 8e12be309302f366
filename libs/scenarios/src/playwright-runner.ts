import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ErrorCode, SluiceError } from '../../domain/src/errors';
import type { CustomerProfile, Scenario } from '../../domain/src/service/scenarios';
import {
  countTests,
  firstReportError,
  outcomesByFileAndProject,
  stripColour,
  type PlaywrightReport,
} from './playwright-report';

/**
 * Runs customer scenarios with Playwright (`@playwright/test`, docs/SCENARIOS.md): each
 * scenario file once per target, a region's endpoint as `baseURL` and a customer's headers.
 * One Playwright process per batch: every (region, customer) is a project, so the batch runs
 * on a bounded pool of Playwright workers, and its JSON report is parsed into one result per
 * scenario and target.
 */

/** A scenario's version: the hash of its text, which a rollout records. */
export function scenarioVersion(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 12);
}

export interface ScenarioTarget {
  region: string;
  /** The region's endpoint; relative paths in a scenario resolve against it. */
  baseURL: string;
  customer: CustomerProfile;
}

export interface ScenarioRun {
  scenario: string;
  version: string;
  region: string;
  customer: string;
  passed: boolean;
  durationMs: number;
  /** The first failing test's error, without colour codes; absent when it passed. */
  error?: string;
}

export interface ScenarioBatch {
  runs: ScenarioRun[];
  /** Wall time of the Playwright process. */
  wallMs: number;
}

export interface RunOptions {
  /** Playwright workers (parallel runs) for the batch; default 2. */
  workers?: number;
  /** Chromium for page journeys; default `/usr/bin/chromium`, as Debian installs it. */
  chromiumPath?: string;
  /** The environment credentials are read from (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Stops the batch (the Playwright process is killed). */
  signal?: AbortSignal;
}

const PLAYWRIGHT_CLI = require.resolve('@playwright/test/cli');
/** Where `@playwright/test` resolves from: the scenario files live in a temporary folder. */
const MODULES = dirname(dirname(dirname(require.resolve('@playwright/test/package.json'))));
const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** Every scenario on every target, once. Throws SCENARIO_RUN_FAILED when Playwright itself could not run them. */
export async function runScenarios(
  scenarios: readonly Scenario[],
  targets: readonly ScenarioTarget[],
  options: RunOptions = {},
): Promise<ScenarioBatch> {
  if (scenarios.length === 0 || targets.length === 0) return { runs: [], wallMs: 0 };
  return withScenarioFiles(scenarios, async (dir) => {
    const projects = targets.map((t, i) => ({
      name: `t${i}`,
      baseURL: t.baseURL.endsWith('/') ? t.baseURL : `${t.baseURL}/`,
      headers: customerHeaders(t.customer),
      credentials: t.customer.credentials,
    }));
    const started = Date.now();
    const report = await playwright(dir, projects, 'test', options);
    const wallMs = Date.now() - started;
    const outcomes = outcomesByFileAndProject(report);
    const runs = scenarios.flatMap((s) =>
      targets.map((t, i): ScenarioRun => {
        const outcome = outcomes.get(`${fileOf(s)}|t${i}`);
        return {
          scenario: s.name,
          version: scenarioVersion(s.source),
          region: t.region,
          customer: t.customer.customer,
          passed: outcome?.passed ?? false,
          durationMs: outcome?.durationMs ?? 0,
          ...(outcome?.passed
            ? {}
            : { error: outcome?.error ?? firstReportError(report) ?? 'the scenario did not run' }),
        };
      }),
    );
    return { runs, wallMs };
  });
}

/**
 * Why a scenario file cannot run, as Playwright says it (a syntax error, an import that does
 * not resolve, no tests), or null when it lists at least one test.
 */
export async function scenarioProblem(scenario: Pick<Scenario, 'name' | 'source'>): Promise<string | null> {
  const file = { ...scenario, timeoutSeconds: 10 };
  return withScenarioFiles([file], async (dir) => {
    const report = await playwright(
      dir,
      [{ name: 'list', baseURL: 'http://127.0.0.1/', headers: {}, credentials: {} }],
      'list',
      {},
    );
    const error = firstReportError(report);
    if (error) return error;
    return countTests(report.suites ?? []) > 0 ? null : 'the file has no tests: add one with test(...)';
  });
}

interface Project {
  name: string;
  baseURL: string;
  headers: Record<string, string>;
  credentials: Record<string, string>;
}

/** The headers a customer's runs send: who it is, its attributes; credentials are added from the environment. */
function customerHeaders(customer: CustomerProfile): Record<string, string> {
  return {
    'x-customer': customer.customer,
    ...Object.fromEntries(Object.entries(customer.attributes).map(([k, v]) => [`x-customer-${k.toLowerCase()}`, v])),
  };
}

const fileOf = (scenario: Pick<Scenario, 'name'>) => `${scenario.name}.spec.ts`;

async function withScenarioFiles<T>(
  scenarios: ReadonlyArray<Pick<Scenario, 'name' | 'source' | 'timeoutSeconds'>>,
  work: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-scenarios-'));
  try {
    for (const s of scenarios) await writeFile(join(dir, fileOf(s)), s.source);
    const timeouts = Object.fromEntries(scenarios.map((s) => [fileOf(s), s.timeoutSeconds * 1_000]));
    await writeFile(join(dir, 'timeouts.json'), JSON.stringify(timeouts));
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The generated Playwright config: one project per target. Credentials are read from the
 * environment when Playwright loads it, so no secret is ever written to disk.
 */
function configSource(dir: string, projects: Project[], workers: number, chromiumPath: string): string {
  return `const projects = ${JSON.stringify(projects)};
const timeouts = require(${JSON.stringify(join(dir, 'timeouts.json'))});
const maxTimeout = Math.max(...Object.values(timeouts));
module.exports = {
  testDir: ${JSON.stringify(dir)},
  testMatch: '*.spec.ts',
  outputDir: ${JSON.stringify(join(dir, 'output'))},
  timeout: maxTimeout,
  retries: 0,
  workers: ${workers},
  fullyParallel: true,
  reporter: [['json', { outputFile: ${JSON.stringify(join(dir, 'report.json'))} }]],
  projects: projects.map((p) => ({
    name: p.name,
    use: {
      baseURL: p.baseURL,
      extraHTTPHeaders: {
        ...p.headers,
        ...Object.fromEntries(Object.entries(p.credentials).map(([h, env]) => [h, process.env[env] ?? ''])),
      },
      launchOptions: { executablePath: ${JSON.stringify(chromiumPath)} },
      trace: 'off',
      screenshot: 'off',
      video: 'off',
    },
  })),
};
`;
}

/** What a scenario process may see of ours: no more than it needs. */
const PASSED_THROUGH = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];

/**
 * A scenario file is code its team wrote, run here: it sees the few variables a process needs
 * and the credentials its customers name, never the rest of this process's environment
 * (database URLs, tokens). Jest's own variables stay out too: Playwright refuses to start
 * inside another test runner.
 */
function scenarioEnv(from: NodeJS.ProcessEnv, projects: Project[]): NodeJS.ProcessEnv {
  const names = [...PASSED_THROUGH, ...projects.flatMap((p) => Object.values(p.credentials))];
  const env: NodeJS.ProcessEnv = { NODE_PATH: MODULES, FORCE_COLOR: '0', CI: '1' };
  for (const name of names) if (from[name] !== undefined) env[name] = from[name];
  return env;
}

async function playwright(
  dir: string,
  projects: Project[],
  mode: 'test' | 'list',
  options: RunOptions,
): Promise<PlaywrightReport> {
  const config = join(dir, 'playwright.config.cjs');
  await writeFile(
    config,
    configSource(dir, projects, Math.max(1, options.workers ?? 2), options.chromiumPath ?? DEFAULT_CHROMIUM),
  );
  const args = [PLAYWRIGHT_CLI, 'test', '--config', config, ...(mode === 'list' ? ['--list'] : [])];
  const env = scenarioEnv(options.env ?? process.env, projects);
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
    });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('close', (exit) => resolve({ code: exit, output }));
  });
  const file = join(dir, 'report.json');
  if (!existsSync(file)) {
    throw new SluiceError(
      ErrorCode.ScenarioRunFailed,
      `Playwright exited ${code} without a report: ${stripColour(output).trim().slice(-1_000)}`,
    );
  }
  return JSON.parse(await readFile(file, 'utf8')) as PlaywrightReport;
}
