import { startAppStack, type AppStack } from '../support/app-stack';
import { readRollout, startRollout, waitForRollout, type RegionFixture } from '../support/fixtures';
import { eventually, graphql } from '../support/graphql-client';

/**
 * The redundancy rules on the real stack (docs/REDUNDANCY.md): a config that points both
 * regions of a pair at one database primary is refused by planRollout and startRollout, then
 * started by an admin's override, which the rollout's history keeps. Once it has run, the
 * same shared primary is the fleet's own state: a warning, no longer introduced.
 */
const REGIONS: RegionFixture[] = [
  { name: 'rd-canary-1', tier: 'CANARY', weight: 1 },
  { name: 'rd-east-1', tier: 'STANDARD', weight: 3, pair: 'rd-west-1' },
  { name: 'rd-west-1', tier: 'STANDARD', weight: 3, pair: 'rd-east-1' },
];

interface Violation {
  rule: string;
  severity: string;
  introduced: boolean;
  value: string;
  regions: string[];
  weight: number;
}
interface Preview {
  valid: boolean;
  redundancy: {
    violations: Violation[];
    dependencyMap: Array<{ kind: string; value: string; role: string; before: string[]; after: string[] }>;
  } | null;
}

const PLAN = /* GraphQL */ `
  query ($input: PlanRolloutInput!) {
    planRollout(input: $input) {
      valid
      redundancy {
        violations {
          rule
          severity
          introduced
          value
          regions
          weight
        }
        dependencyMap {
          kind
          value
          role
          before
          after
        }
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

describe('redundancy rules: a change that turns a pair into a single point of failure', () => {
  let stack: AppStack;
  const service = `spof-${Date.now()}`;
  const strategy = { canaryMaxShare: 0.2, growthFactor: 10, bakeSeconds: 0, approvalAfterCanary: false };
  const shared = { database: { primary: 'db-main' }, timeoutMs: 200 };

  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS.map((r) => r.name) });
    const res = await graphql(
      stack.gateway.url,
      /* GraphQL */ `
        mutation ($input: RegisterServiceInput!) {
          registerService(input: $input) {
            dependencyFields {
              path
              kind
              role
            }
            redundancy {
              pairSharedDependency
              concentrationMaxShare
            }
          }
        }
      `,
      {
        input: {
          name: service,
          regions: REGIONS.map((r) => ({ ...r, endpoint: `${stack.regionSim.url}/regions/${r.name}` })),
          dependencyFields: [{ path: '/database/primary', kind: 'database' }],
          redundancy: { concentration: 'warning' },
        },
      },
      'admin',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      registerService: {
        dependencyFields: [{ path: '/database/primary', kind: 'database', role: 'primary' }],
        redundancy: { pairSharedDependency: 'error', concentrationMaxShare: 0.5 },
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses a dependency field that is not a path', async () => {
    const res = await graphql(
      stack.gateway.url,
      /* GraphQL */ `
        mutation ($input: RegisterServiceInput!) {
          registerService(input: $input) {
            name
          }
        }
      `,
      {
        input: {
          name: `${service}-bad`,
          regions: [{ name: 'rd-canary-1', tier: 'CANARY', endpoint: `${stack.regionSim.url}/regions/rd-canary-1` }],
          dependencyFields: [{ path: 'database.primary', kind: 'database' }],
        },
      },
      'admin',
    );
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toContain('neither a JSON Pointer');
  });

  it('planRollout names the rule, the pair, the value and the weight, and maps the dependency', async () => {
    const res = await graphql<{ planRollout: Preview }>(stack.gateway.url, PLAN, {
      input: { service, strategy, config: shared },
    });
    expect(res.errors).toBeUndefined();
    const preview = res.data!.planRollout;
    expect(preview.valid).toBe(false);
    expect(preview.redundancy!.violations).toEqual([
      {
        rule: 'SPOF_PAIR_SHARED_DEPENDENCY',
        severity: 'error',
        introduced: true,
        value: 'db-main',
        regions: ['rd-east-1', 'rd-west-1'],
        weight: 6 / 7,
      },
      // the service set this rule to warning
      {
        rule: 'SPOF_CONCENTRATION',
        severity: 'warning',
        introduced: true,
        value: 'db-main',
        regions: ['rd-canary-1', 'rd-east-1', 'rd-west-1'],
        weight: 1,
      },
    ]);
    expect(preview.redundancy!.dependencyMap).toEqual([
      { kind: 'database', value: 'db-main', role: 'primary', before: [], after: REGIONS.map((r) => r.name) },
    ]);

    const harmless = await graphql<{ planRollout: Preview }>(stack.gateway.url, PLAN, {
      input: { service, strategy, config: { timeoutMs: 300 } },
    });
    expect(harmless.data!.planRollout).toEqual({ valid: true, redundancy: { violations: [], dependencyMap: [] } });
  });

  it('startRollout refuses it, a deployer cannot override, an admin can, and history keeps the reason', async () => {
    const refused = await graphql(
      stack.gateway.url,
      START,
      { input: { service, version: 'v1', config: shared, strategy } },
      'alice',
    );
    expect(refused.errors?.[0].extensions?.code).toBe('PLAN_INVALID');
    expect(refused.errors?.[0].message).toContain('SPOF_PAIR_SHARED_DEPENDENCY');
    expect((refused.errors?.[0].extensions?.violations as Violation[]).map((v) => v.rule)).toEqual([
      'SPOF_PAIR_SHARED_DEPENDENCY',
    ]);

    const redundancyOverride = { reason: 'one primary while db-west is rebuilt (CHG-4411)' };
    const denied = await graphql(
      stack.gateway.url,
      START,
      { input: { service, version: 'v1', config: shared, strategy, redundancyOverride } },
      'alice',
    );
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const blank = await graphql(
      stack.gateway.url,
      START,
      { input: { service, version: 'v1', config: shared, strategy, redundancyOverride: { reason: '  ' } } },
      'admin',
    );
    expect(blank.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    const id = await startRollout(
      stack,
      { service, version: 'v1', config: shared, strategy, redundancyOverride },
      'admin',
    );
    const requested = (await readRollout(stack, id)).events.find((e) => e.type === 'RolloutRequested')!;
    expect(requested.data.redundancyOverride).toEqual({
      reason: redundancyOverride.reason,
      by: 'admin',
      violations: [
        expect.stringContaining('SPOF_PAIR_SHARED_DEPENDENCY: rd-east-1 and rd-west-1 are a redundancy pair'),
      ],
    });
    await waitForRollout(stack, id, ['SUCCEEDED']);

    // the fleet now shares the primary: the same config is its state, not this change's doing
    const after = await eventually(
      async () => {
        const res = await graphql<{ planRollout: Preview }>(stack.gateway.url, PLAN, {
          input: { service, strategy, config: shared },
        });
        const preview = res.data?.planRollout;
        return preview?.redundancy?.violations.every((v) => !v.introduced) ? preview : undefined;
      },
      { what: 'the pushed configs to be the fleet’s current state', timeoutMs: 30_000 },
    );
    expect(after.valid).toBe(true);
    expect(after.redundancy!.violations.map((v) => [v.rule, v.severity])).toEqual([
      ['SPOF_CONCENTRATION', 'warning'],
      ['SPOF_PAIR_SHARED_DEPENDENCY', 'warning'],
    ]);
    expect(after.redundancy!.dependencyMap[0].before).toEqual(REGIONS.map((r) => r.name));
  });

  it('a template gives each region its own primary: each is pushed its own config, with its hash in history', async () => {
    const own = { database: { primary: 'db-{{region}}' }, timeoutMs: 200 };
    // not marked as a template, the text reaches every region as written: one value for all
    const untemplated = await graphql<{ planRollout: Preview }>(stack.gateway.url, PLAN, {
      input: { service, strategy, config: own },
    });
    expect(untemplated.data!.planRollout.valid).toBe(false);
    expect(untemplated.data!.planRollout.redundancy!.violations[0]).toMatchObject({
      rule: 'SPOF_PAIR_SHARED_DEPENDENCY',
      value: 'db-{{region}}',
    });

    const preview = await graphql<{ planRollout: Preview }>(stack.gateway.url, PLAN, {
      input: { service, strategy, config: own, configTemplate: true },
    });
    expect(preview.data!.planRollout.valid).toBe(true);
    expect(preview.data!.planRollout.redundancy!.dependencyMap.filter((e) => e.after.length > 0)).toEqual(
      REGIONS.map((r) => ({ kind: 'database', value: `db-${r.name}`, role: 'primary', before: [], after: [r.name] })),
    );

    const id = await startRollout(stack, { service, version: 'v2', config: own, configTemplate: true, strategy });
    await waitForRollout(stack, id, ['SUCCEEDED']);
    const events = (await readRollout(stack, id)).events;
    const requested = events.find((e) => e.type === 'RolloutRequested')!.data.regionConfigHashes as Record<
      string,
      string
    >;
    expect(Object.keys(requested).sort()).toEqual(REGIONS.map((r) => r.name).sort());
    for (const r of REGIONS) {
      const served = await (await fetch(`${stack.regionSim.url}/regions/${r.name}/config`)).json();
      expect(served).toMatchObject({
        version: 'v2',
        config: { database: { primary: `db-${r.name}` }, timeoutMs: 200 },
      });
      expect(served.configHash).toBe(requested[r.name]);
      const pushed = events.find((e) => e.type === 'RegionConfigPushed' && e.data.region === r.name)!;
      expect(pushed.data.configHash).toBe(requested[r.name]);
    }
  });

  it('an override that puts one region of a pair on its partner’s primary is refused; a bad override changes nothing', async () => {
    const base = { database: { primary: 'db-{{region}}' }, timeoutMs: 250 };
    const onPartner = [{ region: 'rd-west-1', config: { database: { primary: 'db-rd-east-1' } } }];
    const refused = await graphql(stack.gateway.url, START, {
      input: { service, version: 'v3', config: base, configTemplate: true, regionOverrides: onPartner, strategy },
    });
    expect(refused.errors?.[0].extensions?.code).toBe('PLAN_INVALID');
    const violations = refused.errors?.[0].extensions?.violations as Violation[];
    expect(violations.map((v) => [v.rule, v.value, v.regions])).toEqual([
      ['SPOF_PAIR_SHARED_DEPENDENCY', 'db-rd-east-1', ['rd-east-1', 'rd-west-1']],
    ]);

    const unknown = await graphql(stack.gateway.url, START, {
      input: {
        service,
        version: 'v3',
        config: base,
        configTemplate: true,
        regionOverrides: [{ region: 'rd-nowhere', config: {} }],
        strategy,
      },
    });
    expect(unknown.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(unknown.errors?.[0].message).toBe(
      `regionOverrides names region "rd-nowhere", which ${service} does not have`,
    );
    const rollouts = await graphql<{ rollouts: { edges: Array<{ node: { version: string } }> } }>(
      stack.gateway.url,
      `{ rollouts(first: 10, filter: { service: "${service}" }) { edges { node { version } } } }`,
    );
    expect(rollouts.data!.rollouts.edges.map((e) => e.node.version)).not.toContain('v3');
  });
});
