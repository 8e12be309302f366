import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, startRollout, waitForRollout } from '../support/fixtures';
import { eventually } from '../support/graphql-client';
import { streamOf } from './chaos-checks';

/**
 * Fault 4: a region answers 503 and then stops answering during a push. The push activity
 * retries with backoff (1, 2, 4, 8 s; 5 attempts; 5 s client timeout), then fails the wave,
 * and the rollback restores every region the rollout touched, the broken one included once
 * it answers again.
 */
const REGIONS = ['ro-canary', 'ro-west', 'ro-east', 'ro-north'];
const SERVICE = `flaky-${Date.now().toString(36)}`;
const STRATEGY = { canaryMaxShare: 0.3, growthFactor: 3, bakeSeconds: 1, approvalAfterCanary: false };

describe('chaos: a region that fails and then hangs during a push', () => {
  let stack: AppStack;

  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS });
    await registerService(stack, SERVICE, REGIONS);
    const first = await startRollout(stack, { service: SERVICE, version: 'v1', config: { n: 1 }, strategy: STRATEGY });
    expect((await waitForRollout(stack, first, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED'])).status).toBe('SUCCEEDED');
  }, 120_000);

  afterAll(() => stack?.stop());

  it('retries, fails the wave, and rolls back every touched region to v1', async () => {
    const fleet = stack.regionSim.fleet;
    fleet.setFaults('ro-west', { failNextPushes: 2, stallPushes: true });
    const id = await startRollout(stack, { service: SERVICE, version: 'v2', config: { n: 2 }, strategy: STRATEGY });

    await eventually(
      async () => ((await streamOf(stack.pool, id)).some((e) => e.type === 'RollbackStarted') ? true : undefined),
      { what: 'the wave to fail and the rollback to start', timeoutMs: 90_000, intervalMs: 200 },
    );
    // five forward attempts reached the region (two 503s, three that hung until the client gave
    // up), each after a longer pause: Temporal's backoff of 1, 2, 4 and 8 s
    const attempts = fleet.pushRequests('ro-west').filter((p) => p.version === 'v2');
    expect(attempts).toHaveLength(5);
    const gaps = attempts.slice(1).map((p, i) => p.at.getTime() - attempts[i].at.getTime());
    [1_000, 2_000, 4_000, 8_000].forEach((backoff, i) => expect(gaps[i]).toBeGreaterThanOrEqual(backoff * 0.9));
    expect(fleet.get('ro-west')?.version).toBe('v1');
    // the region comes back; the rollback's own retries get through
    fleet.setFaults('ro-west', { stallPushes: false });

    const done = await waitForRollout(stack, id, ['ROLLED_BACK', 'ROLLBACK_FAILED', 'SUCCEEDED'], 120_000);
    expect(done.status).toBe('ROLLED_BACK');
    expect(done.stopReason).toMatch(/^push of v2 to ro-west failed: /);
    const restored = done.events
      .filter((e) => e.type === 'RegionRolledBack')
      .map((e) => [e.data.region, e.data.outcome]);
    expect(restored.map(([region]) => region).sort()).toEqual([...REGIONS].sort());
    expect(restored.every(([, outcome]) => outcome === 'RESTORED')).toBe(true);
    for (const region of REGIONS) expect(fleet.get(region)?.version).toBe('v1');
    // v2 never reached the broken region
    expect(done.events.filter((e) => e.type === 'RegionConfigPushed').map((e) => e.data.region)).not.toContain(
      'ro-west',
    );
  });
});
