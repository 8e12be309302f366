import type { WorkflowHandle } from '@temporalio/client';
import type { rolloutWorkflow } from '../../workflows/rollout.workflow';
import {
  abandonUpdate,
  abortUpdate,
  haltSignal,
  resolveRegionUpdate,
  retryRollbackUpdate,
} from '../../workflows/rollout.messages';
import { readUntil } from '../support/eventually';
import {
  SMALL_FLEET_WAVES,
  ALERT_HALT,
  ofType,
  SMALL_FLEET,
  startWorkflowHarness,
  type WorkflowHarness,
} from '../support/workflow-harness';

const REGIONS = SMALL_FLEET;
const WAVES = SMALL_FLEET_WAVES;
const halt = ALERT_HALT;

/**
 * The ways out of ROLLBACK_FAILED (issue 17, item 8): a retry that will not overwrite a region
 * fixed by hand unless forced, a region resolved by hand, and abandon, which frees the service.
 */
describe('a rollout in ROLLBACK_FAILED has explicit exits', () => {
  let h: WorkflowHarness;
  let seed = 800;
  beforeAll(async () => {
    h = await startWorkflowHarness(REGIONS);
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => h.reset(++seed));
  const version = (region: string) => h.regionSim.fleet.get(region)!.version;

  /** Wave 2 bakes, a1 refuses every restore (422), a halt: the rollout ends in ROLLBACK_FAILED on a1. */
  async function failedRollback(): Promise<{ handle: WorkflowHandle<typeof rolloutWorkflow>; rolloutId: string }> {
    const input = h.input({ waves: WAVES });
    const handle = await h.start(input);
    await h.skipUntil(
      () => h.live(handle),
      (s) => s.wave === 2 && s.phase === 'BAKING',
      'wave 2 to bake',
    );
    h.regionSim.fleet.setFaults('a1', { rejectAllPushes: true });
    await handle.signal(haltSignal, halt);
    await readUntil(
      () => h.live(handle),
      (s) => s.status === 'ROLLBACK_FAILED',
      { what: 'the rollback to fail', timeoutMs: 20_000, intervalMs: 50 },
    );
    expect(version('a1')).toBe('v2');
    expect(version('b1')).toBe(`v1-${seed}`);
    h.regionSim.fleet.setFaults('a1', { rejectAllPushes: false });
    return { handle, rolloutId: input.rolloutId };
  }

  it('a retry after a region was hotfixed by hand leaves it (REGION_CHANGED); a forced retry overwrites it', async () => {
    const { handle, rolloutId } = await failedRollback();
    h.regionSim.fleet.apply('a1', 'v2-hotfix', { feature: true, hotfix: true });

    const refused = await handle.executeUpdate(retryRollbackUpdate, { args: [{ by: 'oncall' }] });
    expect(refused.status).toBe('ROLLBACK_FAILED');
    expect(refused.refused).toEqual([
      expect.objectContaining({
        region: 'a1',
        code: 'REGION_CHANGED',
        serves: expect.objectContaining({ version: 'v2-hotfix' }),
      }),
    ]);
    await h.env.sleep('10 minutes');
    expect(version('a1')).toBe('v2-hotfix');
    expect((await h.live(handle)).status).toBe('ROLLBACK_FAILED');
    const afterRefusal = await h.events(rolloutId);
    expect(ofType(afterRefusal, 'RegionRestoreRefused').map((e) => e.data)).toEqual([
      expect.objectContaining({ region: 'a1', code: 'REGION_CHANGED', by: 'oncall' }),
    ]);
    expect(ofType(afterRefusal, 'RollbackStarted')).toHaveLength(1);

    const forced = await handle.executeUpdate(retryRollbackUpdate, { args: [{ by: 'oncall', force: true }] });
    expect(forced.refused).toEqual([]);
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);
    const events = await h.events(rolloutId);
    expect(ofType(events, 'RegionRestoreForced').map((e) => [e.data.region, e.data.serves.version, e.data.by])).toEqual(
      [['a1', 'v2-hotfix', 'oncall']],
    );
    expect(ofType(events, 'RollbackStarted').map((e) => [e.data.attempt, e.data.regions, e.data.by])).toEqual([
      [1, ['b1', 'a1', 'c1'], undefined],
      [2, ['a1'], 'oncall'],
    ]);
  });

  it('a retry of a region that still serves what Sluice pushed is not refused', async () => {
    const { handle } = await failedRollback();
    const retried = await handle.executeUpdate(retryRollbackUpdate, { args: [{ by: 'oncall' }] });
    expect(retried.refused).toEqual([]);
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    expect(version('a1')).toBe(`v1-${seed}`);
  });

  it('abort and halt answer ROLLBACK_FAILED naming the exits; a region resolved by hand ends the rollout ROLLED_BACK', async () => {
    const { handle, rolloutId } = await failedRollback();
    const refusal = await handle
      .executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'make it stop' }] })
      .catch((err: unknown) => err as Error & { cause?: { type?: string; message?: string } });
    expect(refusal).toBeInstanceOf(Error);
    expect((refusal as { cause?: { type?: string } }).cause?.type).toBe('ROLLBACK_FAILED');
    expect((refusal as { cause?: { message?: string } }).cause?.message).toMatch(
      /retryRollback.*resolveRegion.*abandonRollout/,
    );
    const wrongRegion = await handle
      .executeUpdate(resolveRegionUpdate, { args: [{ by: 'oncall', region: 'b1', note: 'looked fine' }] })
      .catch((err: unknown) => err as { cause?: { type?: string } });
    expect((wrongRegion as { cause?: { type?: string } }).cause?.type).toBe('INVALID_STATE');

    // a1 was fixed by hand (it serves a hotfix now); the operator says so.
    h.regionSim.fleet.apply('a1', 'v2-hotfix', { feature: true, hotfix: true });
    const resolved = await handle.executeUpdate(resolveRegionUpdate, {
      args: [{ by: 'oncall', region: 'a1', note: 'hotfixed by hand, INC-42' }],
    });
    // The last failed region resolved: the rollout ends as the update is answered.
    expect(resolved.status).toBe('ROLLED_BACK');
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    expect(version('a1')).toBe('v2-hotfix');
    const events = await h.events(rolloutId);
    expect(ofType(events, 'RegionResolved').map((e) => e.data)).toEqual([
      { region: 'a1', by: 'oncall', note: 'hotfixed by hand, INC-42' },
    ]);
    expect(ofType(events, 'RolloutRolledBack').map((e) => e.data.resolvedRegions)).toEqual([['a1']]);
    expect(events.at(-1)?.type).toBe('RolloutRolledBack');
  });

  it('abandon ends the rollout ABANDONED, lists what was not restored, and a fix-forward rollout of the service starts', async () => {
    const { handle, rolloutId } = await failedRollback();
    const service = (await h.live(handle)).service;
    const abandoned = await handle.executeUpdate(abandonUpdate, {
      args: [{ by: 'oncall', reason: 'fixing forward with v3' }],
    });
    expect(abandoned.status).toBe('ABANDONED');
    expect((await handle.result()).status).toBe('ABANDONED');
    const events = await h.events(rolloutId);
    expect(events.at(-1)).toEqual({
      type: 'RolloutAbandoned',
      data: { by: 'oncall', reason: 'fixing forward with v3', unrestoredRegions: ['a1'] },
    });
    expect(version('a1')).toBe('v2');

    const fixForward = await h.start({ service, version: 'v3', config: { feature: true, fixed: true }, waves: WAVES });
    expect((await fixForward.result()).status).toBe('SUCCEEDED');
    for (const r of REGIONS) expect(version(r.name)).toBe('v3');
  });
});
