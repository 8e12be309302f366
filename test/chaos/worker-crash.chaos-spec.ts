import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, startRollout, waitForRollout } from '../support/fixtures';
import { eventually, graphql } from '../support/graphql-client';
import { testServices } from '../support/test-env';
import { expectAppliedOnce, expectCleanStream, streamOf } from './chaos-checks';
import { closedWorkflow } from '../support/workflow-status';
import { spawnWorker, type WorkerProcess } from '../support/sluice-process';

/**
 * Fault 1: worker processes are SIGKILLed mid-rollout, once during a push and once during a
 * bake, while another worker runs. The push is idempotent per version, so region-sim's
 * apply counter proves each region applied the version exactly once.
 */
const REGIONS = ['wk-canary', 'wk-west', 'wk-east', 'wk-north'];
const SERVICE = `crashy-${Date.now().toString(36)}`;

describe('chaos: a worker killed with SIGKILL during a push and during a bake', () => {
  let stack: AppStack;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS, inProcessWorker: false });
    await registerService(stack, SERVICE, REGIONS);
    const env = { ...testServices(), taskQueue: stack.settings.taskQueue };
    workers.push(...(await Promise.all(['a', 'b'].map((name) => spawnWorker(name, env)))));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await stack?.stop();
  });

  it('finishes the rollout with every region applied exactly once and a clean event stream', async () => {
    const fleet = stack.regionSim.fleet;
    // The canary applies the push at once but answers 8 s later: the kill lands in between.
    fleet.setFaults('wk-canary', { slowPushMs: 8_000 });
    const id = await startRollout(stack, {
      service: SERVICE,
      version: 'v2',
      config: { color: 'blue' },
      strategy: { canaryMaxShare: 0.3, growthFactor: 3, bakeSeconds: 15, approvalAfterCanary: false },
      gates: [{ kind: 'probe', name: 'probe', path: '/probe' }],
      gateIntervalSeconds: 2,
    });
    const res = await graphql<{ rollout: { workflowId: string } }>(
      stack.gateway.url,
      `{ rollout(id: "${id}") { workflowId } }`,
    );
    const workflowId = res.data!.rollout.workflowId;
    const handle = stack.temporal.workflow.getHandle(workflowId);

    // 1. during the push: kill the worker that runs it
    const pushing = await eventually(
      async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        const push = pending.find((a) => a.activityType?.name === 'pushRegionConfig' && a.lastWorkerIdentity);
        return push && fleet.get('wk-canary')?.version === 'v2' ? push.lastWorkerIdentity! : undefined;
      },
      { what: 'the canary push to be applied and in flight', timeoutMs: 60_000, intervalMs: 100 },
    );
    const victim = workers.find((w) => w.identity === pushing);
    expect(victim).toBeDefined();
    await victim!.kill('SIGKILL');
    expect(victim!.child.signalCode).toBe('SIGKILL');
    fleet.setFaults('wk-canary', { slowPushMs: 0 });
    const survivor = workers.find((w) => w !== victim)!;
    workers.push(await spawnWorker('c', { ...testServices(), taskQueue: stack.settings.taskQueue }));

    // 2. during a later bake: kill the worker that carried the rollout since the first kill
    await eventually(
      async () => {
        const stream = await streamOf(stack.pool, id);
        return stream.some((e) => e.type === 'HealthGateEvaluated' && Number(e.wave) >= 2) ? true : undefined;
      },
      { what: 'wave 2 to bake', timeoutMs: 120_000, intervalMs: 250 },
    );
    await survivor.kill('SIGKILL');

    const done = await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED'], 150_000);
    expect(done.status).toBe('SUCCEEDED');
    expect((await closedWorkflow(stack.temporal, workflowId)).status.name).toBe('COMPLETED');
    expectAppliedOnce(fleet, REGIONS, 'v2');
    // the canary was asked twice (the killed attempt and its retry) and applied once
    expect(fleet.pushRequestCount('wk-canary')).toBe(2);
    for (const region of REGIONS.slice(1)) expect(fleet.pushRequestCount(region)).toBe(1);
    await expectCleanStream(stack.pool, id, REGIONS);
  });
});
