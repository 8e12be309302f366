import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, type RegionFixture } from '../support/fixtures';
import { eventually, graphql } from '../support/graphql-client';

const REGIONS: RegionFixture[] = [
  { name: 'ap-canary-1', tier: 'CANARY', weight: 1 },
  { name: 'ap-east-1', tier: 'STANDARD', weight: 2 },
  { name: 'ap-east-2', tier: 'STANDARD', weight: 3, pair: 'ap-west-2' },
  { name: 'ap-west-2', tier: 'STANDARD', weight: 3, pair: 'ap-east-2' },
  { name: 'ap-big-1', tier: 'HEAVY', weight: 10 },
];

interface Preview {
  valid: boolean;
  source: string;
  waves: Array<{
    index: number;
    regions: string[];
    bakeSeconds: number;
    requiresApproval: boolean;
    cumulativeExposure: number;
  }>;
  violations: Array<{ rule: string; message: string; regions: string[] }>;
}

const PLAN = /* GraphQL */ `
  query ($input: PlanRolloutInput!) {
    planRollout(input: $input) {
      valid
      source
      waves {
        index
        regions
        bakeSeconds
        requiresApproval
        cumulativeExposure
      }
      violations {
        rule
        message
        regions
        wave
      }
    }
  }
`;
const START = /* GraphQL */ `
  mutation ($input: StartRolloutInput!) {
    startRollout(input: $input) {
      id
    }
  }
`;

describe('the rest of the API: dry-run plans, plan errors, service updates', () => {
  let stack: AppStack;
  const service = `api-${Date.now()}`;
  const strategy = { canaryMaxShare: 0.1, growthFactor: 3, bakeSeconds: 0, approvalAfterCanary: false };

  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS.map((r) => r.name) });
    await registerService(stack, service, REGIONS);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('previews a plan that the workflow then runs exactly', async () => {
    const preview = await graphql<{ planRollout: Preview }>(
      stack.gateway.url,
      PLAN,
      { input: { service, strategy } },
      'viewer',
    );
    expect(preview.errors).toBeUndefined();
    const plan = preview.data!.planRollout;
    expect(plan).toMatchObject({ valid: true, source: 'strategy', violations: [] });
    expect(plan.waves[0].regions).toEqual(['ap-canary-1']);
    expect(plan.waves.at(-1)!.regions).toEqual(['ap-big-1']);
    expect(plan.waves.at(-1)!.cumulativeExposure).toBeCloseTo(1);
    // the pair is split across waves
    const waveOf = (r: string) => plan.waves.find((w) => w.regions.includes(r))!.index;
    expect(waveOf('ap-east-2')).not.toBe(waveOf('ap-west-2'));

    const started = await graphql<{ startRollout: { id: string } }>(
      stack.gateway.url,
      START,
      {
        input: { service, version: 'v1', config: { a: 1 }, strategy },
      },
      'alice',
    );
    expect(started.errors).toBeUndefined();
    const id = started.data!.startRollout.id;
    const planned = await eventually(
      async () => {
        const res = await graphql<{
          rollout: { events: Array<{ type: string; data: { plan?: { waves: unknown[] } } }> };
        }>(stack.gateway.url, `{ rollout(id: "${id}") { events { type data } } }`);
        return res.data?.rollout.events.find((e) => e.type === 'RolloutPlanned');
      },
      { what: 'RolloutPlanned' },
    );
    expect(planned.data.plan!.waves).toEqual(plan.waves.map(({ cumulativeExposure: _exposure, ...wave }) => wave));
  });

  it('refuses a plan that breaks rules with PLAN_INVALID listing each rule, and starts nothing', async () => {
    const waves = [
      { regions: ['ap-big-1'] },
      { regions: ['ap-canary-1', 'ap-east-1'] },
      { regions: ['ap-east-2', 'ap-west-2'] },
    ];
    const preview = await graphql<{ planRollout: Preview }>(stack.gateway.url, PLAN, {
      input: { service, strategy, waves },
    });
    const rules = preview.data!.planRollout.violations.map((v) => v.rule);
    expect(preview.data!.planRollout.valid).toBe(false);
    expect(rules).toEqual(expect.arrayContaining(['PLAN_CANARY_TIER', 'PLAN_HEAVY_LAST', 'PLAN_PAIR_SAME_WAVE']));

    const res = await graphql(
      stack.gateway.url,
      START,
      { input: { service, version: 'v2', config: {}, strategy, waves } },
      'alice',
    );
    expect(res.errors?.[0].extensions?.code).toBe('PLAN_INVALID');
    const violations = res.errors?.[0].extensions?.violations as Array<{ rule: string; regions: string[] }>;
    expect(violations.map((v) => v.rule).sort()).toEqual([...rules].sort());
    expect(violations.find((v) => v.rule === 'PLAN_PAIR_SAME_WAVE')?.regions).toEqual(['ap-east-2', 'ap-west-2']);
  });

  it('updates a service for admins only, and answers NOT_FOUND for an unknown one', async () => {
    const UPDATE = /* GraphQL */ `
      mutation ($input: RegisterServiceInput!) {
        updateService(input: $input) {
          name
          regions {
            name
            weight
          }
          freezeWindows {
            reason
          }
        }
      }
    `;
    const input = {
      name: service,
      regions: REGIONS.map((r) => ({
        ...r,
        weight: (r.weight ?? 1) * 2,
        endpoint: `${stack.regionSim.url}/regions/${r.name}`,
      })),
      freezeWindows: [{ start: '2030-12-24T00:00:00Z', end: '2030-12-27T00:00:00Z', reason: 'holidays' }],
    };
    const denied = await graphql(stack.gateway.url, UPDATE, { input }, 'alice');
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const updated = await graphql<{
      updateService: { regions: Array<{ weight: number }>; freezeWindows: Array<{ reason: string }> };
    }>(stack.gateway.url, UPDATE, { input });
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateService.regions.map((r) => r.weight)).toEqual([2, 4, 6, 6, 20]);
    expect(updated.data!.updateService.freezeWindows).toEqual([{ reason: 'holidays' }]);
    const missing = await graphql(stack.gateway.url, UPDATE, { input: { ...input, name: 'no-such-service' } });
    expect(missing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('fails a prometheus gate at precheck when Prometheus does not answer, touching nothing', async () => {
    // this stack's worker points at a closed port for Prometheus
    const promService = `${service}-prom`;
    await registerService(stack, promService, REGIONS);
    const started = await graphql<{ startRollout: { id: string } }>(
      stack.gateway.url,
      START,
      {
        input: {
          service: promService,
          version: 'v-unreachable',
          config: { a: 2 },
          strategy,
          gates: [{ kind: 'prometheus', name: 'errors', query: 'up', comparison: '>', threshold: 0 }],
        },
      },
      'alice',
    );
    expect(started.errors).toBeUndefined();
    const rollout = await eventually(
      async () => {
        const res = await graphql<{ rollout: { status: string; stopReason: string } }>(
          stack.gateway.url,
          `{ rollout(id: "${started.data!.startRollout.id}") { status stopReason } }`,
        );
        return res.data?.rollout.status === 'FAILED' ? res.data.rollout : undefined;
      },
      { what: 'the precheck to fail' },
    );
    // an unreachable Prometheus is no misconfiguration: the check could not be made
    expect(rollout.stopReason).toMatch(/^gates: could not check: Prometheus at http:\/\/127\.0\.0\.1:1 did not answer/);
  });
});
