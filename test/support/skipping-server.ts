import type { ConnectionPlugin } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { createActivities } from '../../apps/worker/src/activities';
import { projectRoot } from '../../libs/platform/src/project-root';
import { registerSearchAttributes } from '../../libs/platform/src/search-attributes';
import { releaseLeakedLocks } from './leaked-locks';
import { resolveTestServer, TEST_SERVER_KEEPALIVE } from '../../libs/platform/src/temporal-cli';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../workflows/rollout.search-attributes';

/**
 * The workflow harness's Temporal: a time-skipping test server with a worker on it, and the
 * probe that tells when such a server has stopped skipping.
 */

export function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed by an earlier spec in this process
  }
}

/**
 * The workflow bundle, built once per jest process and kept on disk for the next spec file
 * (each file has its own module registry, so a variable would not outlive it). Bundling is
 * 10 to 20 s of CPU; ten spec files each bundling made the harness's start the slowest and
 * most load-sensitive part of the suite. A file older than this process is from another run.
 */
async function sharedWorkflowBundle(): Promise<string> {
  const path = join(tmpdir(), `sluice-harness-bundle-${process.pid}.js`);
  const processStarted = Date.now() - process.uptime() * 1000;
  if (existsSync(path) && statSync(path).mtimeMs > processStarted) return path;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  writeFileSync(`${path}.tmp`, code);
  renameSync(`${path}.tmp`, path);
  process.once('exit', () => rmSync(path, { force: true }));
  return path;
}

export interface SkippingServer {
  env: TestWorkflowEnvironment;
  worker: Worker;
  running: Promise<void>;
}

/**
 * The client connection's pings, within what the test server allows (TEST_SERVER_KEEPALIVE):
 * when it closed the connection, the SDK retried the calls it cut, and a lock or unlock on
 * skipping the server had already counted was counted twice. Time then skipped through a bake a
 * spec held, or stopped skipping. (The worker's own connection pings every 30 s and cannot be
 * told otherwise; its dropped polls are retried, and no worker call counts a lock.)
 */
const pingsTheServerAllows: ConnectionPlugin = {
  name: 'sluice-test-server-pings',
  configureConnection: (options) => ({
    ...options,
    channelArgs: { ...options.channelArgs, ...TEST_SERVER_KEEPALIVE },
  }),
};

/**
 * A time-skipping test server with the harness's search attributes, and a worker on it; a lock
 * leaked inside one of the `open` workflows is released while a spec waits on time.
 */
export async function startSkippingServer(
  taskQueue: string,
  activities: ReturnType<typeof createActivities>,
  open: Iterable<string>,
): Promise<SkippingServer> {
  const testServer = resolveTestServer(projectRoot(__dirname));
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: testServer ? { type: 'existing-path', path: testServer } : { type: 'cached-download' } },
    plugins: [pingsTheServerAllows],
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default', SLUICE_SEARCH_ATTRIBUTES);
  releaseLeakedLocks(env, () => open);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: await sharedWorkflowBundle() },
    activities,
  });
  return { env, worker, running: worker.run() };
}

export async function stopSkippingServer({ env, worker, running }: SkippingServer): Promise<void> {
  worker.shutdown();
  await running;
  await env.teardown();
}

/**
 * A sleep the probe asks of the server: skipped at once by a server that skips, waited in real
 * time by one that does not. Short, so a probe moves the rollouts' clock by nothing that matters
 * (a freeze window, a bake); long enough that waiting it is told from skipping it.
 */
const SKIP_PROBE_MS = 5_000;

/**
 * Whether the test server still skips time, asked when no workflow is open. The server counts
 * locks on skipping, and some of its paths never give theirs back: an activity still
 * outstanding when its workflow completes (sdk-java #1138), an activity cancelled after its
 * retry was queued and before a worker took it, as a halt does to a bake's waiting tick on a
 * loaded machine. One such lock stops skipping for the server's life: the next rollout's hour
 * of bake then waits an hour of real time (CI saw it beside the e2e suite).
 */
export async function skipsTime(env: TestWorkflowEnvironment): Promise<boolean> {
  const started = Date.now();
  await env.sleep(SKIP_PROBE_MS);
  return Date.now() - started < SKIP_PROBE_MS / 2;
}
