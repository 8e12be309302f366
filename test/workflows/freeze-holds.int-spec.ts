import type { WorkflowHandle } from '@temporalio/client';
import type { EmergencyFreeze } from '../../libs/domain/src';
import type { rolloutWorkflow } from '../../workflows/rollout.workflow';
import { abortUpdate, freezeUpdate, liftFreezeUpdate } from '../../workflows/rollout.messages';
import {
  SMALL_FLEET_WAVES,
  ofType,
  SMALL_FLEET,
  startWorkflowHarness,
  type WorkflowHarness,
} from '../support/workflow-harness';

const REGIONS = SMALL_FLEET;
const WAVES = SMALL_FLEET_WAVES;
const HOUR = 3_600_000;

/**
 * Freezes hold running rollouts before their next push (issue 17, item 13): a freeze window
 * that begins mid-rollout, and an emergency freeze declared while a wave bakes.
 */
describe('a freeze holds a running rollout before its next push', () => {
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

  const bakingWave2 = (handle: WorkflowHandle<typeof rolloutWorkflow>) =>
    h.skipUntil(
      () => h.live(handle),
      (s) => s.wave === 2 && s.phase === 'BAKING',
      'wave 2 to bake',
    );
  const emergency = async (service: string | null, until: number | null = null): Promise<EmergencyFreeze> => ({
    id: `freeze-${seed}`,
    service,
    reason: 'INC-7: payments degraded',
    declaredBy: 'admin',
    declaredAt: new Date(await h.env.currentTimeMs()).toISOString(),
    until: until === null ? null : new Date(until).toISOString(),
  });

  it('a freeze window beginning between waves holds the next wave until the window ends', async () => {
    const now = await h.env.currentTimeMs();
    const window = {
      start: new Date(now + 30 * 60_000).toISOString(),
      end: new Date(now + 3 * HOUR).toISOString(),
      reason: 'quarter close',
    };
    const input = h.input({ waves: WAVES, freezeWindows: [window] });
    const handle = await h.start(input);
    const held = await h.skipUntil(
      () => h.live(handle),
      (s) => !!s.hold || s.status === 'SUCCEEDED',
      'the rollout to be held by the window',
    );
    expect(held).toMatchObject({ status: 'ROLLING', wave: 2, hold: { kind: 'WINDOW', until: window.end } });
    expect(version('h1')).toBe(`v1-${seed}`);
    await h.env.sleep('1 hour');
    expect((await h.live(handle)).hold).toMatchObject({ kind: 'WINDOW', reason: 'quarter close' });
    expect(version('h1')).toBe(`v1-${seed}`);

    const result = await handle.result();
    expect(result.status).toBe('SUCCEEDED');
    expect(await h.env.currentTimeMs()).toBeGreaterThanOrEqual(Date.parse(window.end));
    for (const r of REGIONS) expect(version(r.name)).toBe('v2');
    const types = (await h.events(input.rolloutId)).map((e) =>
      e.type === 'WaveStarted' ? `WaveStarted ${e.data.wave}` : e.type,
    );
    expect(types.indexOf('RolloutHeld')).toBeGreaterThan(types.indexOf('WaveCompleted'));
    expect(types.indexOf('RolloutReleased')).toBeGreaterThan(types.indexOf('RolloutHeld'));
    expect(types.indexOf('WaveStarted 3')).toBeGreaterThan(types.indexOf('RolloutReleased'));
  });

  it('an emergency freeze declared while a wave bakes holds the next push; after the lift it goes ahead', async () => {
    const input = h.input({ waves: WAVES });
    const handle = await h.start(input);
    await bakingWave2(handle);
    const freeze = await emergency(input.service);
    await handle.executeUpdate(freezeUpdate, { args: [freeze] });

    await h.env.sleep('3 hours');
    expect(await h.live(handle)).toMatchObject({
      status: 'ROLLING',
      wave: 2,
      hold: { kind: 'EMERGENCY', freezeId: freeze.id, reason: freeze.reason, until: null },
    });
    expect(version('h1')).toBe(`v1-${seed}`);

    await handle.executeUpdate(liftFreezeUpdate, { args: [{ id: freeze.id, by: 'admin' }] });
    expect((await handle.result()).status).toBe('SUCCEEDED');
    for (const r of REGIONS) expect(version(r.name)).toBe('v2');
    const held = ofType(await h.events(input.rolloutId), 'RolloutHeld');
    expect(held.map((e) => [e.data.wave, e.data.freeze.kind, e.data.freeze.by])).toEqual([[3, 'EMERGENCY', 'admin']]);
  });

  it('an abort while held rolls back at once: a rollback is never held by a freeze', async () => {
    const input = h.input({ waves: WAVES });
    const handle = await h.start(input);
    await bakingWave2(handle);
    await handle.executeUpdate(freezeUpdate, { args: [await emergency(null)] });
    await h.skipUntil(
      () => h.live(handle),
      (s) => !!s.hold,
      'the rollout to be held',
    );
    await handle.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'not today' }] });
    expect((await handle.result()).status).toBe('ABORTED');
    for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);
  });

  it('a freeze survives a continue-as-new: the new run holds, and releases when the freeze ends', async () => {
    const input = h.input({ waves: WAVES, continueAsNewAfterEvents: 60 });
    const handle = await h.start(input);
    await bakingWave2(handle);
    const first = (await handle.describe()).runId;
    const ends = (await h.env.currentTimeMs()) + 4 * HOUR;
    await handle.executeUpdate(freezeUpdate, { args: [await emergency(input.service, ends)] });
    const held = await h.skipUntil(
      () => h.live(handle),
      (s) => !!s.hold || s.status === 'SUCCEEDED',
      'the rollout to be held',
    );
    expect(held.hold).toMatchObject({ kind: 'EMERGENCY', until: new Date(ends).toISOString() });
    expect((await handle.describe()).runId).not.toBe(first);
    expect(version('h1')).toBe(`v1-${seed}`);

    expect((await handle.result()).status).toBe('SUCCEEDED');
    expect(await h.env.currentTimeMs()).toBeGreaterThanOrEqual(ends);
    expect(version('h1')).toBe('v2');
  });
});
