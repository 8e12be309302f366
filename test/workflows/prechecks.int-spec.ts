import { DEFAULT_REDUNDANCY_POLICY, parseServiceTopology, upcastEventData } from '../../libs/domain/src';
import { PgEventStore } from '../../libs/event-store/src';
import { Projector } from '../../libs/projections/src';
import { PgServiceCatalog } from '../../libs/service-catalog/src';
import { ofType, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const FLEET = Array.from({ length: 100 }, (_, i) => ({
  name: `r${String(i).padStart(3, '0')}`,
  tier: i === 0 ? ('canary' as const) : ('standard' as const),
  weight: 1,
}));

/** Prechecks that fail say so (FAILED, with the reason), and a large fleet can pass them. */
describe('prechecks (time-skipping Temporal, real activities)', () => {
  let h: WorkflowHarness;
  beforeAll(async () => {
    h = await startWorkflowHarness(FLEET);
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => h.reset(1));

  it('an activity that fails during the prechecks ends the rollout FAILED, with no rollback', async () => {
    // A config hash the config store has never seen: validating it fails after its retries.
    const input = h.input({ config: undefined, configHash: 'f'.repeat(64) });
    const handle = await h.start(input);
    const result = await handle.result();
    expect(result.status).toBe('FAILED');
    expect(result.reason).toMatch(/CONFIG_UNAVAILABLE|no document/);
    const types = (await h.events(input.rolloutId)).map((e) => e.type);
    expect(types).toContain('PrecheckFailed');
    expect(types).not.toContain('RollbackStarted');
    expect(types).not.toContain('RolloutRolledBack');
  });

  it('refuses a config that points a redundancy pair at one primary, unless an admin overrode exactly that', async () => {
    // r001 and r002 are a pair; every region would read its database from one primary
    const regions = h
      .input()
      .regions.slice(0, 3)
      .map((r) => (r.name === 'r001' ? { ...r, pair: 'r002' } : r.name === 'r002' ? { ...r, pair: 'r001' } : r));
    const shared = () =>
      h.input({
        regions,
        waves: regions.map((r) => ({ regions: [r.name], bakeSeconds: 0 })),
        config: { database: { primary: 'db-main' } },
        dependencyFields: [{ path: '/database/primary', kind: 'database', role: 'primary' }],
        redundancy: DEFAULT_REDUNDANCY_POLICY,
      });
    const refusedReason = async (input: ReturnType<typeof shared>) => {
      const result = await (await h.start(input)).result();
      expect(result.status).toBe('FAILED');
      const failed = (await h.events(input.rolloutId)).find((e) => e.type === 'PrecheckFailed');
      expect(failed?.data).toMatchObject({ check: 'redundancy', code: 'PLAN_INVALID' });
      expect((await h.events(input.rolloutId)).map((e) => e.type)).not.toContain('RegionConfigPushed');
      return (failed!.data as { reason: string }).reason.split('; ');
    };

    const broken = await refusedReason(shared());
    expect(broken).toEqual([
      expect.stringContaining('SPOF_CONCENTRATION: 100.0% of the service'),
      expect.stringContaining('SPOF_PAIR_SHARED_DEPENDENCY: r001 and r002 are a redundancy pair'),
    ]);

    // an override of the pair alone does not cover the concentration
    const partly = shared();
    partly.redundancyOverride = { reason: 'migration', by: 'admin', violations: [broken[1]] };
    expect(await refusedReason(partly)).toEqual([broken[0]]);

    const overridden = shared();
    overridden.redundancyOverride = { reason: 'migration', by: 'admin', violations: broken };
    const result = await (await h.start(overridden)).result();
    expect(result.status).toBe('SUCCEEDED');
    const types = (await h.events(overridden.rolloutId)).map((e) => e.type);
    expect(types).toContain('PrecheckPassed');
  });

  it('refuses a config that puts weight on a primary another service depends on, when the policy makes that an error', async () => {
    const field = { path: '/database/primary', kind: 'database', role: 'primary' as const };
    const regions = h.input().regions.slice(0, 2);
    const waves = regions.map((r) => ({ regions: [r.name], bakeSeconds: 0 }));
    // another service already on db-ledger, as Sluice last pushed it
    const ledger = h.input({ regions, waves, config: { database: { primary: 'db-ledger' } } });
    expect((await (await h.start(ledger)).result()).status).toBe('SUCCEEDED');
    await new Projector(h.pool, new PgEventStore(h.pool, upcastEventData)).catchUp();
    const endpoint = (r: { endpoint: string }) => ({ endpoint: r.endpoint.replace(/[^/]+$/, 'elsewhere') });
    await new PgServiceCatalog(h.pool).register(
      parseServiceTopology({
        name: ledger.service,
        regions: regions.map((r) => ({ ...r, ...endpoint(r) })),
        dependencyFields: [field],
      }),
    );

    h.reset(2);
    const input = h.input({
      regions,
      waves,
      config: { database: { primary: 'db-ledger' } },
      dependencyFields: [field],
      redundancy: { ...DEFAULT_REDUNDANCY_POLICY, concentration: 'off', crossService: 'error' },
    });
    expect((await (await h.start(input)).result()).status).toBe('FAILED');
    const failed = ofType(await h.events(input.rolloutId), 'PrecheckFailed')[0];
    expect(failed.data).toMatchObject({ check: 'redundancy', code: 'PLAN_INVALID' });
    expect(failed.data.reason).toBe(
      `SPOF_CROSS_SERVICE: the change puts 100.0% of the weight on database "db-ledger", which ${ledger.service} already depend on`,
    );
  });

  it('a fleet of 100 regions whose health checks take 400 ms each passes the region check', async () => {
    for (const r of FLEET) h.regionSim.fleet.setFaults(r.name, { healthDelayMs: 400 });
    const input = h.input({
      waves: [
        { regions: ['r000'], bakeSeconds: 0 },
        { regions: FLEET.slice(1).map((r) => r.name), bakeSeconds: 0 },
      ],
      strategy: { canaryMaxShare: 1, growthFactor: 100, bakeSeconds: 0, approvalAfterCanary: false },
    });
    const handle = await h.start(input);
    expect((await handle.result()).status).toBe('SUCCEEDED');
    const types = (await h.events(input.rolloutId)).map((e) => e.type);
    expect(types).toContain('PrecheckPassed');
  });
});
