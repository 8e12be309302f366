import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService } from '../support/fixtures';
import { eventually, graphql, type GraphqlResponse } from '../support/graphql-client';

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
      hold {
        kind
        reason
        freezeId
        until
      }
      regions {
        region
        state
      }
    }
  }
`;
const ROLLOUTS_BY_STATUS = /* GraphQL */ `
  query ByStatus($status: RolloutStatus!) {
    rollouts(filter: { status: $status }) {
      edges {
        node {
          id
          status
        }
      }
    }
  }
`;

interface Live {
  status: string;
  wave: number;
  phase: string | null;
  hold: { kind: string; reason: string; freezeId: string | null; until: string | null } | null;
  regions: Array<{ region: string; state: string }>;
}

/** The exits from ROLLBACK_FAILED and emergency freezes, through GraphQL on the real stack (issue 17, items 8 and 13). */
describe('ROLLBACK_FAILED exits and emergency freezes through GraphQL', () => {
  let stack: AppStack;
  const stamp = Date.now();

  const gql = <T>(query: string, variables: Record<string, unknown> = {}, actor = 'alice') =>
    graphql<T>(stack.gateway.url, query, variables, actor);
  const codeOf = (res: GraphqlResponse<unknown>) => res.errors?.[0]?.extensions?.code;
  const live = async (id: string) => (await gql<{ rolloutLive: Live }>(LIVE, { id })).data!.rolloutLive;
  const waitLive = (id: string, predicate: (s: Live) => boolean, what: string) =>
    eventually(
      async () => {
        const s = await live(id);
        return predicate(s) ? s : undefined;
      },
      { what, timeoutMs: 60_000 },
    );
  const start = (service: string, input: Record<string, unknown>, actor = 'alice') =>
    gql<{ startRollout: { id: string } }>(START, { input: { service, ...input } }, actor);
  const served = async (region: string) =>
    ((await (await fetch(`${stack.regionSim.url}/regions/${region}/config`)).json()) as { version: string | null })
      .version;
  const regionSim = (method: 'PUT', path: string, body: Record<string, unknown>) =>
    fetch(`${stack.regionSim.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const metric = async () => {
    const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('sluice_rollouts_rollback_failed '));
    return line ? Number(line.split(' ').at(-1)) : undefined;
  };

  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const regions = REGIONS.map((name, i) => ({
    name,
    tier: i === 0 ? ('CANARY' as const) : ('STANDARD' as const),
    weight: i === 0 ? 1 : 3,
  }));

  it('a hotfixed region is refused by retryRollback; abandon frees the service for a fix-forward', async () => {
    const service = `ledger-${stamp}`;
    await registerService(stack, service, regions);
    const strategy = { canaryMaxShare: 0.2, growthFactor: 4, bakeSeconds: 0, approvalAfterCanary: true };
    const started = await start(service, { version: 'v4', config: { greeting: 'hey' }, strategy });
    expect(started.errors).toBeUndefined();
    const id = started.data!.startRollout.id;
    await waitLive(id, (s) => s.phase === 'AWAITING_APPROVAL', 'the canary approval gate');
    await regionSim('PUT', '/regions/eu-canary-1/faults', { rejectAllPushes: true });
    await gql(`mutation { abortRollout(id: "${id}", reason: "changed my mind") { status } }`, {}, 'carol');
    await waitLive(id, (s) => s.status === 'ROLLBACK_FAILED', 'ROLLBACK_FAILED');

    // Abort, halt and a new rollout name the way out instead of a bare refusal.
    const abort = await gql(`mutation { abortRollout(id: "${id}", reason: "again") { status } }`, {}, 'carol');
    expect(codeOf(abort)).toBe('ROLLBACK_FAILED');
    expect(abort.errors?.[0].message).toMatch(/retryRollback.*resolveRegion.*abandonRollout/);
    const halt = await gql(`mutation { haltRollout(id: "${id}", reason: "paged") { status } }`, {}, 'carol');
    expect(codeOf(halt)).toBe('ROLLBACK_FAILED');
    const blocked = await start(service, { version: 'v5', config: { greeting: 'fixed' }, strategy });
    expect(codeOf(blocked)).toBe('ROLLOUT_IN_PROGRESS');
    expect(blocked.errors?.[0].message).toMatch(/abandonRollout/);

    // Someone hotfixes the canary by hand; a plain retry must not overwrite it.
    await regionSim('PUT', '/regions/eu-canary-1/faults', { rejectAllPushes: false });
    await regionSim('PUT', '/regions/eu-canary-1/config', { version: 'v4-hotfix', config: { greeting: 'hotfix' } });
    const retryAsDeployer = await gql(`mutation { retryRollback(id: "${id}") { status } }`, {}, 'carol');
    expect(codeOf(retryAsDeployer)).toBe('FORBIDDEN');
    const retried = await gql<{
      retryRollback: { status: string; refused: Array<{ region: string; code: string; servesVersion: string }> };
    }>(`mutation { retryRollback(id: "${id}") { status refused { region code servesVersion } } }`, {}, 'oncall');
    expect(retried.errors).toBeUndefined();
    expect(retried.data!.retryRollback).toEqual({
      status: 'ROLLBACK_FAILED',
      refused: [{ region: 'eu-canary-1', code: 'REGION_CHANGED', servesVersion: 'v4-hotfix' }],
    });
    expect(await served('eu-canary-1')).toBe('v4-hotfix');
    await eventually(async () => ((await metric()) === 1 ? true : undefined), { what: 'the metric to show 1' });

    const abandonAsDeployer = await gql(
      `mutation { abandonRollout(id: "${id}", reason: "x") { status } }`,
      {},
      'carol',
    );
    expect(codeOf(abandonAsDeployer)).toBe('FORBIDDEN');
    const abandoned = await gql<{ abandonRollout: { status: string } }>(
      `mutation { abandonRollout(id: "${id}", reason: "fixing forward with v5") { status } }`,
      {},
      'oncall',
    );
    expect(abandoned.data?.abandonRollout.status).toBe('ABANDONED');
    await eventually(async () => ((await metric()) === 0 ? true : undefined), { what: 'the metric to drop to 0' });
    await eventually(
      async () => {
        const res = await gql<{ rollouts: { edges: Array<{ node: { id: string } }> } }>(ROLLOUTS_BY_STATUS, {
          status: 'ABANDONED',
        });
        return res.data?.rollouts.edges.some((e) => e.node.id === id) ? true : undefined;
      },
      { what: 'the read model to list the rollout as ABANDONED' },
    );

    const fixForward = await eventually(
      async () => {
        const res = await start(service, { version: 'v5', config: { greeting: 'fixed' }, strategy });
        return codeOf(res) === 'ROLLOUT_IN_PROGRESS' ? undefined : res;
      },
      { what: 'the fix-forward to start' },
    );
    expect(fixForward.errors).toBeUndefined();
    await waitLive(fixForward.data!.startRollout.id, (s) => s.phase === 'AWAITING_APPROVAL', 'v5 on the canary');
    expect(await served('eu-canary-1')).toBe('v5');
  });

  it('an emergency freeze declared while a wave bakes holds the next push, refuses new rollouts, and lifts', async () => {
    const service = `orders-${stamp}`;
    await registerService(stack, service, regions);
    const strategy = { canaryMaxShare: 0.2, growthFactor: 4, bakeSeconds: 6, approvalAfterCanary: false };
    const started = await start(service, { version: 'v2', config: { greeting: 'hi' }, strategy });
    expect(started.errors).toBeUndefined();
    const id = started.data!.startRollout.id;
    await waitLive(id, (s) => s.wave === 1 && s.phase === 'BAKING', 'the canary to bake');

    const declare = `mutation { declareFreeze(service: "${service}", reason: "INC-9: payments degraded") {
      freeze { id service reason declaredBy } reachedRollouts unreachedWorkflows } }`;
    expect(codeOf(await gql(declare, {}, 'alice'))).toBe('FORBIDDEN');
    const declared = await gql<{
      declareFreeze: {
        freeze: { id: string; declaredBy: string };
        reachedRollouts: string[];
        unreachedWorkflows: string[];
      };
    }>(declare, {}, 'oncall');
    expect(declared.errors).toBeUndefined();
    const freeze = declared.data!.declareFreeze;
    expect(freeze).toMatchObject({ reachedRollouts: [id], unreachedWorkflows: [], freeze: { declaredBy: 'oncall' } });

    const held = await waitLive(id, (s) => s.hold !== null, 'the rollout to hold before wave 2');
    expect(held).toMatchObject({
      status: 'ROLLING',
      wave: 1,
      hold: { kind: 'EMERGENCY', freezeId: freeze.freeze.id, reason: 'INC-9: payments degraded', until: null },
    });
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    expect((await live(id)).wave).toBe(1);
    expect(await served('eu-west-1')).toBeNull();

    const other = await start(`${service}`, { version: 'v3', config: { greeting: 'no' }, strategy });
    expect(codeOf(other)).toBe('FROZEN');
    expect(other.errors?.[0].message).toMatch(/liftFreeze/);
    const listed = await gql<{ freezes: Array<{ id: string }> }>('{ freezes { id } }', {}, 'viewer');
    expect(listed.data!.freezes.map((f) => f.id)).toContain(freeze.freeze.id);

    const lifted = await gql<{ liftFreeze: { reachedRollouts: string[]; freeze: { liftedBy: string } } }>(
      `mutation { liftFreeze(id: "${freeze.freeze.id}") { reachedRollouts freeze { liftedBy } } }`,
      {},
      'oncall',
    );
    expect(lifted.data?.liftFreeze).toEqual({ reachedRollouts: [id], freeze: { liftedBy: 'oncall' } });
    await waitLive(id, (s) => s.status === 'SUCCEEDED', 'the rollout to finish after the lift');
    for (const region of REGIONS) expect(await served(region)).toBe('v2');
    const again = await gql(`mutation { liftFreeze(id: "${freeze.freeze.id}") { reachedRollouts } }`, {}, 'oncall');
    expect(codeOf(again)).toBe('INVALID_STATE');
  });
});
