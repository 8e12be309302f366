import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, startRollout, waitForRollout } from '../support/fixtures';
import { eventually, graphql } from '../support/graphql-client';
import { chaosPostgres } from './chaos-env';
import { expectAppliedOnce, expectCleanStream, streamOf } from './chaos-checks';
import { closedWorkflow } from '../support/workflow-status';

/**
 * Fault 3: PostgreSQL goes away for 20 s in the middle of a bake. Recording events is
 * retried until it comes back; meanwhile the gateway answers SERVICE_UNAVAILABLE at once
 * instead of hanging, and afterwards every event is there exactly once.
 */
const REGIONS = ['pg-out-canary', 'pg-out-west', 'pg-out-east', 'pg-out-north'];
const suffix = Date.now().toString(36);
const SERVICE = `durable-${suffix}`;
const OTHER = `bystander-${suffix}`;
const OUTAGE_MS = 20_000;

describe('chaos: PostgreSQL stopped for 20 s mid-rollout', () => {
  const postgres = chaosPostgres();
  let stack: AppStack;

  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS, databaseUrl: postgres.url });
    await registerService(stack, SERVICE, REGIONS.slice(0, 3));
    await registerService(stack, OTHER, REGIONS.slice(3));
  }, 120_000);

  afterAll(async () => {
    await postgres.start();
    await stack?.stop();
  });

  const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const started = Date.now();
    const value = await work();
    return [value, Date.now() - started];
  };

  it('retries through the outage, answers SERVICE_UNAVAILABLE meanwhile, and loses nothing', async () => {
    const id = await startRollout(stack, {
      service: SERVICE,
      version: 'v9',
      config: { flavour: 'durable' },
      strategy: { canaryMaxShare: 0.4, growthFactor: 3, bakeSeconds: 10, approvalAfterCanary: false },
      gates: [{ kind: 'probe', name: 'probe', path: '/probe' }],
      gateIntervalSeconds: 1,
    });
    await eventually(
      async () => ((await streamOf(stack.pool, id)).some((e) => e.type === 'HealthGateEvaluated') ? true : undefined),
      { what: 'the first bake', timeoutMs: 60_000, intervalMs: 200 },
    );
    const workflowId = (
      await graphql<{ rollout: { workflowId: string } }>(stack.gateway.url, `{ rollout(id: "${id}") { workflowId } }`)
    ).data!.rollout.workflowId;

    expect((await fetch(`${stack.gateway.url}/readyz`)).status).toBe(200);
    await postgres.stop();
    const down = Date.now();
    // readiness says which dependency is missing; liveness stays up
    const notReady = await fetch(`${stack.gateway.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ status: 'not ready', checks: { temporal: 'ok' } });
    expect((await fetch(`${stack.gateway.url}/healthz`)).status).toBe(200);
    // reads and writes through the gateway fail fast with a code to retry on
    const [history, historyMs] = await timed(() =>
      graphql(stack.gateway.url, '{ rollouts(first: 5) { edges { node { id } } } }'),
    );
    expect(history.errors?.[0]).toMatchObject({
      message: 'PostgreSQL is unavailable right now; try again shortly.',
      extensions: { code: 'SERVICE_UNAVAILABLE', dependency: 'PostgreSQL' },
    });
    const [start, startMs] = await timed(() =>
      graphql(
        stack.gateway.url,
        'mutation ($input: StartRolloutInput!) { startRollout(input: $input) { id } }',
        { input: { service: OTHER, version: 'v1', config: {} } },
        'alice',
      ),
    );
    expect(start.errors?.[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', dependency: 'PostgreSQL' });
    // the pool gives up on a connection after 5 s: an answer, not a hang
    expect(Math.max(historyMs, startMs)).toBeLessThan(10_000);

    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - down))));
    await postgres.start();

    const done = await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED'], 150_000);
    expect((await fetch(`${stack.gateway.url}/readyz`)).status).toBe(200);
    expect(done.status).toBe('SUCCEEDED');
    expect((await closedWorkflow(stack.temporal, workflowId)).status.name).toBe('COMPLETED');
    expectAppliedOnce(stack.regionSim.fleet, REGIONS.slice(0, 3), 'v9');
    await expectCleanStream(stack.pool, id, REGIONS.slice(0, 3));
    // the refused start left nothing behind: no rollout, no push
    const others = await graphql<{ rollouts: { edges: unknown[] } }>(
      stack.gateway.url,
      `{ rollouts(first: 5, filter: { service: "${OTHER}" }) { edges { node { id } } } }`,
    );
    expect(others.data!.rollouts.edges).toEqual([]);
    expect(stack.regionSim.fleet.get(REGIONS[3])?.applyCount).toBe(0);
  });
});
