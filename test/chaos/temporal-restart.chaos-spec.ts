import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../libs/platform/src/free-port';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startTemporalDevServer, type TemporalDevServer } from '../../libs/platform/src/temporal-dev-server';
import { SLUICE_SEARCH_ATTRIBUTES as searchAttributes } from '../../workflows/rollout.search-attributes';
import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, startRollout, waitForRollout } from '../support/fixtures';
import { eventually, graphql } from '../support/graphql-client';
import { testServices } from '../support/test-env';
import { expectAppliedOnce, expectCleanStream, streamOf } from './chaos-checks';
import { closedWorkflow } from '../support/workflow-status';
import { spawnWorker, type WorkerProcess } from '../support/sluice-process';

/**
 * Fault 2: the Temporal dev server stops mid-rollout and comes back on the same
 * `--db-filename` and port. The rollouts in flight resume where they were and finish.
 */
const suffix = Date.now().toString(36);
const SERVICES = ['tr-a', 'tr-b', 'tr-c'].map((prefix) => ({
  name: `${prefix}-${suffix}`,
  regions: ['canary', 'west', 'east'].map((r) => `${prefix}-${r}`),
}));

describe('chaos: the Temporal server stopped and restarted on the same database file', () => {
  const root = projectRoot(__dirname);
  const dbFilename = join(mkdtempSync(join(tmpdir(), 'sluice-chaos-temporal-')), 'temporal.db');
  let port: number;
  let temporal: TemporalDevServer;
  let stack: AppStack;
  let worker: WorkerProcess;

  beforeAll(async () => {
    port = await freePort();
    temporal = await startTemporalDevServer({ projectRoot: root, dbFilename, port, searchAttributes });
    stack = await startAppStack({
      regions: SERVICES.flatMap((s) => s.regions),
      inProcessWorker: false,
      temporalAddress: temporal.address,
    });
    for (const s of SERVICES) await registerService(stack, s.name, s.regions);
    worker = await spawnWorker('only', {
      temporalAddress: temporal.address,
      databaseUrl: testServices().databaseUrl,
      taskQueue: stack.settings.taskQueue,
    });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await stack?.stop();
    await temporal?.stop();
  });

  it('resumes every rollout in flight after the restart, each region applied exactly once', async () => {
    const ids = await Promise.all(
      SERVICES.map((s) =>
        startRollout(stack, {
          service: s.name,
          version: 'v5',
          config: { shade: 'green' },
          strategy: { canaryMaxShare: 0.4, growthFactor: 3, bakeSeconds: 12, approvalAfterCanary: false },
          gates: [{ kind: 'probe', name: 'probe', path: '/probe' }],
          gateIntervalSeconds: 2,
        }),
      ),
    );
    // every rollout is baking its first wave (a durable timer) when the server goes away
    await eventually(
      async () => {
        const streams = await Promise.all(ids.map((id) => streamOf(stack.pool, id)));
        return streams.every((s) => s.some((e) => e.type === 'HealthGateEvaluated')) ? true : undefined;
      },
      { what: 'every rollout to bake', timeoutMs: 60_000, intervalMs: 250 },
    );
    await temporal.stop();
    const notReady = await fetch(`${stack.gateway.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ status: 'not ready', checks: { postgresql: 'ok' } });
    // the gateway answers for Temporal being away with a code to retry on, not a hang
    const asked = Date.now();
    const down = await graphql(stack.gateway.url, `{ rolloutLive(id: "${ids[0]}") { status } }`);
    expect(down.errors?.[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', dependency: 'Temporal' });
    // bounded by the gateway's gRPC retries (about 3.5 s), far from the SDK's default 20 s
    expect(Date.now() - asked).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 3_000));
    temporal = await startTemporalDevServer({ projectRoot: root, dbFilename, port, searchAttributes });

    for (const [i, id] of ids.entries()) {
      const done = await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED'], 150_000);
      expect(done.status).toBe('SUCCEEDED');
      const workflowId = (
        await graphql<{ rollout: { workflowId: string } }>(stack.gateway.url, `{ rollout(id: "${id}") { workflowId } }`)
      ).data!.rollout.workflowId;
      expect((await closedWorkflow(stack.temporal, workflowId)).status.name).toBe('COMPLETED');
      expectAppliedOnce(stack.regionSim.fleet, SERVICES[i].regions, 'v5');
      await expectCleanStream(stack.pool, id, SERVICES[i].regions);
    }
    expect(worker.child.exitCode).toBeNull();
  });
});
