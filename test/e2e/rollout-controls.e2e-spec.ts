import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService } from '../support/fixtures';
import { eventually, graphql, type GraphqlResponse } from '../support/graphql-client';
import { closedWorkflow } from '../support/workflow-status';

const REGIONS = ['eu-canary-1', 'eu-west-1', 'eu-west-2', 'us-east-1'];

const START = /* GraphQL */ `
  mutation Start($input: StartRolloutInput!) {
    startRollout(input: $input) {
      id
      status
    }
  }
`;
const LIVE = /* GraphQL */ `
  query Live($id: ID!) {
    rolloutLive(id: $id) {
      status
      wave
      phase
      stopReason
      regions {
        region
        state
      }
      actions {
        action
        by
        wave
        detail
      }
    }
  }
`;
const ROLLOUT = /* GraphQL */ `
  query Rollout($id: ID!) {
    rollout(id: $id) {
      status
      stopReason
      events {
        type
        data
      }
    }
  }
`;
const control = (mutation: string, args: string) => /* GraphQL */ `
  mutation { ${mutation}(${args}) { rolloutId status wave phase } }
`;

interface Live {
  status: string;
  wave: number;
  phase: string | null;
  stopReason: string | null;
  regions: Array<{ region: string; state: string }>;
}

describe('steering a rollout through GraphQL on the real stack', () => {
  let stack: AppStack;
  const service = `payments-${Date.now()}`;

  const gql = <T>(query: string, variables: Record<string, unknown> = {}, actor = 'alice') =>
    graphql<T>(stack.gateway.url, query, variables, actor);
  const live = async (id: string) => (await gql<{ rolloutLive: Live }>(LIVE, { id })).data!.rolloutLive;
  const waitLive = (id: string, predicate: (s: Live) => boolean, what: string) =>
    eventually(
      async () => {
        const s = await live(id);
        return predicate(s) ? s : undefined;
      },
      { what, timeoutMs: 30_000 },
    );
  const start = async (input: Record<string, unknown>, actor = 'alice') => {
    const res = await gql<{ startRollout: { id: string } }>(START, { input: { service, ...input } }, actor);
    expect(res.errors).toBeUndefined();
    return res.data!.startRollout.id;
  };
  const served = async (region: string) =>
    ((await (await fetch(`${stack.regionSim.url}/regions/${region}/config`)).json()) as { version: string | null })
      .version;
  const codeOf = (res: GraphqlResponse<unknown>) => res.errors?.[0]?.extensions?.code;

  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS });
    await registerService(
      stack,
      service,
      REGIONS.map((name, i) => ({ name, tier: i === 0 ? 'CANARY' : 'STANDARD', weight: i === 0 ? 1 : 3 })),
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const strategy = { canaryMaxShare: 0.2, growthFactor: 4, bakeSeconds: 0, approvalAfterCanary: true };
  const probe = [{ kind: 'probe', name: 'checkout-probe', path: '/probe', expectStatus: 200 }];

  it('pauses, refuses self-approval, resumes and completes on another person’s approval', async () => {
    // oncall holds every role, so only separation of duties stops it approving its own rollout
    const id = await start({ version: 'v1', config: { greeting: 'hello' }, strategy, gates: probe }, 'oncall');
    await waitLive(id, (s) => s.phase === 'AWAITING_APPROVAL', 'the canary approval gate');
    expect(await served('eu-canary-1')).toBe('v1');
    expect(await served('eu-west-1')).toBeNull();

    const second = await gql(START, { input: { service, version: 'v9', config: {}, strategy } });
    expect(codeOf(second)).toBe('ROLLOUT_IN_PROGRESS');
    expect(second.errors?.[0].extensions?.rolloutId).toBe(id);

    const self = await gql(control('approveWave', `id: "${id}", wave: 1`), {}, 'oncall');
    expect(codeOf(self)).toBe('FORBIDDEN');
    expect(self.errors?.[0].message).toBe('oncall requested this rollout and cannot also approve it');
    const deployerApproves = await gql(control('approveWave', `id: "${id}", wave: 1`), {}, 'alice');
    expect(codeOf(deployerApproves)).toBe('FORBIDDEN');
    expect(deployerApproves.errors?.[0].message).toMatch(/approveWave needs the approver role; alice has deployer/);
    const stale = await gql(control('approveWave', `id: "${id}", wave: 2`), {}, 'bob');
    expect(codeOf(stale)).toBe('INVALID_STATE');
    const resumeEarly = await gql(control('resumeRollout', `id: "${id}"`), {}, 'carol');
    expect(codeOf(resumeEarly)).toBe('INVALID_STATE');

    const paused = await gql<{ pauseRollout: { status: string } }>(
      control('pauseRollout', `id: "${id}", reason: "checking graphs"`),
      {},
      'carol',
    );
    expect(paused.data?.pauseRollout.status).toBe('PAUSED');
    const approved = await gql<{ approveWave: { wave: number } }>(
      control('approveWave', `id: "${id}", wave: 1, comment: "canary fine"`),
      {},
      'bob',
    );
    expect(approved.errors).toBeUndefined();
    // approved but paused: it holds before wave 2
    await new Promise((r) => setTimeout(r, 500));
    expect(await served('eu-west-1')).toBeNull();
    const resumed = await gql<{ resumeRollout: { status: string } }>(
      control('resumeRollout', `id: "${id}"`),
      {},
      'carol',
    );
    expect(resumed.data?.resumeRollout.status).toBe('ROLLING');

    const done = await waitLive(id, (s) => s.status === 'SUCCEEDED', 'success');
    expect(done.regions.every((r) => r.state === 'VERIFIED')).toBe(true);
    for (const region of REGIONS) expect(await served(region)).toBe('v1');
    const history = (
      await gql<{ rollout: { events: Array<{ type: string; data: Record<string, unknown> }> } }>(ROLLOUT, { id })
    ).data!.rollout.events;
    expect(history.find((e) => e.type === 'ApprovalGranted')?.data).toEqual({
      wave: 1,
      approver: 'bob',
      comment: 'canary fine',
    });
    expect(history.filter((e) => e.type === 'HealthGateEvaluated').every((e) => e.data.verdict === 'PASS')).toBe(true);

    const late = await gql(control('abortRollout', `id: "${id}", reason: "too late"`), {}, 'carol');
    expect(codeOf(late)).toBe('INVALID_STATE');
  });

  it('aborts while awaiting approval and restores the canary', async () => {
    const id = await start({ version: 'v2', config: { greeting: 'hi' }, strategy });
    await waitLive(id, (s) => s.phase === 'AWAITING_APPROVAL', 'the canary approval gate');
    expect(await served('eu-canary-1')).toBe('v2');
    const aborted = await gql(control('abortRollout', `id: "${id}", reason: "wrong greeting"`), {}, 'carol');
    expect(aborted.errors).toBeUndefined();
    const rollout = await eventually(
      async () => {
        const r = (await gql<{ rollout: { status: string; stopReason: string } }>(ROLLOUT, { id })).data!.rollout;
        return r.status === 'ABORTED' ? r : undefined;
      },
      { what: 'ABORTED' },
    );
    expect(rollout.stopReason).toBe('aborted by carol: wrong greeting');
    expect(await served('eu-canary-1')).toBe('v1');
  });

  it('halts through the API like monitoring would, and a second halt is harmless', async () => {
    const id = await start({ version: 'v2h', config: { greeting: 'halt me' }, strategy });
    await waitLive(id, (s) => s.phase === 'AWAITING_APPROVAL', 'the canary approval gate');
    const halt = (reason: string) =>
      gql<{ haltRollout: { outcome: string; status: string } }>(
        `mutation { haltRollout(id: "${id}", reason: "${reason}") { outcome status } }`,
        {},
        'carol',
      );
    const halted = await halt('error budget burning');
    expect(halted.errors).toBeUndefined();
    expect(halted.data?.haltRollout.outcome).toBe('HALTED');
    const stopped = await waitLive(id, (s) => s.status === 'ROLLED_BACK', 'ROLLED_BACK');
    expect(stopped.stopReason).toBe('halted by api: error budget burning');
    expect(await served('eu-canary-1')).toBe('v1');
    // A repeat is harmless, before and after the workflow has closed: nothing moves forward.
    const repeat = await halt('again');
    expect(repeat.data?.haltRollout.outcome).toBe('NO_RUNNING_ROLLOUT');
    const { workflowId } = (await gql<{ rollout: { workflowId: string } }>(`{ rollout(id: "${id}") { workflowId } }`))
      .data!.rollout;
    expect((await closedWorkflow(stack.temporal, workflowId)).status.name).toBe('COMPLETED');
    const afterClose = await halt('again');
    expect(afterClose.errors).toBeUndefined();
    expect(afterClose.data?.haltRollout).toEqual({ outcome: 'NO_RUNNING_ROLLOUT', status: 'ROLLED_BACK' });
  });

  it('rolls back for real when a region serves a bad probe response after a faulty config', async () => {
    const id = await start({
      version: 'v3-bad',
      config: { greeting: 'oops', faults: { probeStatus: 500 } },
      strategy: { ...strategy, approvalAfterCanary: false },
      gates: probe,
    });
    const rollout = await eventually(
      async () => {
        const r = (
          await gql<{
            rollout: {
              status: string;
              stopReason: string;
              events: Array<{ type: string; data: Record<string, unknown> }>;
            };
          }>(ROLLOUT, { id })
        ).data!.rollout;
        return ['ROLLED_BACK', 'SUCCEEDED', 'ROLLBACK_FAILED'].includes(r.status) ? r : undefined;
      },
      { what: 'the rollout to stop' },
    );
    expect(rollout.status).toBe('ROLLED_BACK');
    expect(rollout.stopReason).toMatch(/gate checkout-probe failed in eu-canary-1: GET \/probe answered 500/);
    const failing = rollout.events.find((e) => e.type === 'HealthGateEvaluated' && e.data.verdict === 'FAIL');
    expect(failing?.data).toMatchObject({ region: 'eu-canary-1', value: 500, kind: 'probe' });
    // the canary serves the previous version again and its probe is healthy; nothing else was touched
    expect(await served('eu-canary-1')).toBe('v1');
    expect((await fetch(`${stack.regionSim.url}/regions/eu-canary-1/probe`)).status).toBe(200);
    for (const region of REGIONS.slice(1)) expect(await served(region)).toBe('v1');
  });

  it('reports ROLLBACK_FAILED loudly (event, status, metric) and completes after retryRollback', async () => {
    const metric = async () => {
      const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('sluice_rollouts_rollback_failed '));
      return line ? Number(line.split(' ').at(-1)) : undefined;
    };
    const faults = (body: Record<string, unknown>) =>
      fetch(`${stack.regionSim.url}/regions/eu-canary-1/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(await metric()).toBe(0);

    const id = await start({ version: 'v4', config: { greeting: 'hey' }, strategy });
    await waitLive(id, (s) => s.phase === 'AWAITING_APPROVAL', 'the canary approval gate');
    await faults({ rejectAllPushes: true });
    await gql(control('abortRollout', `id: "${id}", reason: "changed my mind"`), {}, 'carol');
    const failed = await waitLive(id, (s) => s.status === 'ROLLBACK_FAILED', 'ROLLBACK_FAILED');
    expect(failed.regions.find((r) => r.region === 'eu-canary-1')?.state).toBe('ROLLBACK_FAILED');
    expect(await served('eu-canary-1')).toBe('v4');
    await eventually(async () => ((await metric()) === 1 ? true : undefined), { what: 'the metric to show 1' });

    await faults({ rejectAllPushes: false });
    const retried = await gql(control('retryRollback', `id: "${id}"`), {}, 'oncall');
    expect(retried.errors).toBeUndefined();
    await waitLive(id, (s) => s.status === 'ABORTED', 'ABORTED after the retry');
    expect(await served('eu-canary-1')).toBe('v1');
    await eventually(async () => ((await metric()) === 0 ? true : undefined), { what: 'the metric to drop to 0' });
    const again = await gql(control('retryRollback', `id: "${id}"`), {}, 'oncall');
    expect(codeOf(again)).toBe('INVALID_STATE');
  });
});
