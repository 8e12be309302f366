import { approveWaveUpdate, pauseUpdate, resumeUpdate } from '../../workflows/rollout.messages';
import { ofType, SMALL_FLEET, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const REGIONS = SMALL_FLEET;

/**
 * A wave's gates keep watching its regions after its bake, while the rollout waits for an
 * approval or is paused: a region that degrades then halts the rollout and rolls it back,
 * instead of being approved (or resumed) on the evidence of the bake's first minutes.
 */
describe('gates keep watching through the approval wait and while paused', () => {
  let h: WorkflowHarness;
  let seed = 900;
  beforeAll(async () => {
    h = await startWorkflowHarness(REGIONS);
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => h.reset(++seed));
  const version = (region: string) => h.regionSim.fleet.get(region)!.version;
  /** The canary baking `bakeSeconds` (then waiting for approval if asked), then the rest. */
  const plan = (bakeSeconds: number, requiresApproval = false) => [
    { regions: ['c1'], bakeSeconds, requiresApproval },
    { regions: ['a1', 'b1'], bakeSeconds: 0 },
    { regions: ['h1'], bakeSeconds: 0 },
  ];

  it('a canary that degrades while its approval waits rolls the rollout back, with the failing evaluation recorded', async () => {
    const input = h.input({ waves: plan(120, true) });
    const handle = await h.start(input);
    await h.skipToPhase(handle, 'AWAITING_APPROVAL');
    h.regionSim.fleet.setFaults('c1', { probeStatus: 503 });
    const result = await handle.result();
    expect(result.status).toBe('ROLLED_BACK');
    expect(result.reason).toMatch(/gate probe failed in c1: GET \/probe answered 503/);
    expect(version('c1')).toBe(`v1-${seed}`);
    const events = await h.events(input.rolloutId);
    const types = events.map((e) => e.type);
    const failed = ofType(events, 'HealthGateEvaluated').filter((e) => e.data.verdict === 'FAIL');
    expect(failed.map((e) => [e.data.wave, e.data.region])).toEqual([[1, 'c1']]);
    expect(types.indexOf('ApprovalRequested')).toBeLessThan(types.lastIndexOf('HealthGateEvaluated'));
    expect(types).not.toContain('ApprovalGranted');
    expect(types).not.toContain('WaveCompleted');
  });

  it('an approval still moves the rollout on while its gates pass', async () => {
    const input = h.input({ waves: plan(60, true) });
    const handle = await h.start(input);
    await h.skipToPhase(handle, 'AWAITING_APPROVAL');
    await h.env.sleep('10 minutes');
    await handle.executeUpdate(approveWaveUpdate, { args: [{ wave: 1, approver: 'bob' }] });
    expect((await handle.result()).status).toBe('SUCCEEDED');
    const events = await h.events(input.rolloutId);
    const watched = ofType(events, 'HealthGateEvaluated').filter((e) => e.data.wave === 1);
    // the bake's evaluations and those of the ten minutes' wait, every one passing
    expect(watched.length).toBeGreaterThanOrEqual(10);
    expect(watched.every((e) => e.data.verdict === 'PASS')).toBe(true);
  });

  it('a region of the last wave that degrades while the rollout is paused rolls it back', async () => {
    const input = h.input({
      waves: plan(60),
    });
    const handle = await h.start(input);
    await h.waitFor(handle, (s) => s.wave === 1 && s.phase === 'BAKING', 'wave 1 to bake');
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'looking at dashboards' }] });
    await h.env.sleep('5 minutes');
    expect(await h.live(handle)).toMatchObject({ status: 'PAUSED', wave: 1 });
    h.regionSim.fleet.setFaults('c1', { probeStatus: 503 });
    const result = await handle.result();
    expect(result.status).toBe('ROLLED_BACK');
    expect(result.reason).toMatch(/gate probe failed in c1/);
    for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);
    expect(ofType(await h.events(input.rolloutId), 'RegionConfigPushed').map((e) => e.data.region)).toEqual(['c1']);
  });

  it('a long watched pause hands over to new runs, and the last one still rolls back a degraded region', async () => {
    const input = h.input({
      continueAsNewAfterEvents: 60,
      waves: plan(60),
    });
    const handle = await h.start(input);
    await h.waitFor(handle, (s) => s.wave === 1 && s.phase === 'BAKING', 'wave 1 to bake');
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'over the weekend' }] });
    const paused = (await handle.describe()).runId;
    await h.skipUntil(
      async () => (await handle.describe()).runId,
      (run) => run !== paused,
      'a hand-over while paused',
    );
    expect(await h.live(handle)).toMatchObject({ status: 'PAUSED', wave: 1 });
    h.regionSim.fleet.setFaults('c1', { probeStatus: 503 });
    const result = await handle.result();
    expect(result.status).toBe('ROLLED_BACK');
    expect(result.reason).toMatch(/gate probe failed in c1/);
    expect(version('c1')).toBe(`v1-${seed}`);
    expect(version('a1')).toBe(`v1-${seed}`);
    // hundreds of skipped minutes and two hand-overs: on 2 cores beside the other suites, over 90 s
  }, 240_000);

  it('a paused rollout whose gates pass holds until it is resumed', async () => {
    const handle = await h.start({
      waves: plan(60),
    });
    await h.waitFor(handle, (s) => s.wave === 1 && s.phase === 'BAKING', 'wave 1 to bake');
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'hold' }] });
    await h.env.sleep('30 minutes');
    expect(await h.live(handle)).toMatchObject({ status: 'PAUSED', wave: 1 });
    expect(version('a1')).toBe(`v1-${seed}`);
    await handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] });
    expect((await handle.result()).status).toBe('SUCCEEDED');
  }, 240_000);
});
