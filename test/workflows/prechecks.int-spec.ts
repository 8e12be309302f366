import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

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
