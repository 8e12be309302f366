import { upcastEventData } from '../../libs/domain/src';
import { PgEventStore } from '../../libs/event-store/src';
import { exposures } from '../../libs/insight/src';
import { Projector, ReadModels } from '../../libs/projections/src';
import { haltSignal } from '../../workflows/rollout.messages';
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
 * Writes to regions under the faults that made them wrong (issue 17, defects 10 and 11):
 * a forward write that lands late, a region that answers outside the contract, a push that
 * landed although its activity failed. Time-skipping Temporal, real activities, real region-sim.
 */
describe('every write to a region is conditional, and every push that landed counts', () => {
  let h: WorkflowHarness;
  let projector: Projector;
  let readModels: ReadModels;
  let seed = 900;
  beforeAll(async () => {
    h = await startWorkflowHarness(REGIONS);
    projector = new Projector(h.pool, new PgEventStore(h.pool, upcastEventData));
    readModels = new ReadModels(h.pool);
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => h.reset(++seed));
  const fleet = () => h.regionSim.fleet;
  const version = (region: string) => fleet().get(region)!.version;
  const stored = (rolloutId: string) => new PgEventStore(h.pool).readStream(rolloutId);
  /** Write requests each region received from now on (region-sim logs them since it started). */
  const writesFrom = () => {
    const before = new Map(REGIONS.map((r) => [r.name, fleet().pushRequestCount(r.name)]));
    return (region: string) => fleet().pushRequests(region).slice(before.get(region));
  };

  it('a forward PUT that lands after the client gave up, and after the region was restored, changes nothing', async () => {
    // a1 holds the first push it gets: the client times out and its retry lands instead.
    fleet().setFaults('a1', { holdNextPushes: 1 });
    const input = h.input({ waves: WAVES });
    const handle = await h.start(input);
    await h.skipUntil(
      () => h.live(handle),
      (s) => s.wave === 2 && s.phase === 'BAKING',
      'wave 2 to bake',
    );
    expect(fleet().heldCount('a1')).toBe(1);
    await handle.signal(haltSignal, halt);
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    expect(version('a1')).toBe(`v1-${seed}`);

    // The first forward PUT arrives now, conditioned on what Sluice read before the wave.
    expect(await fleet().releaseHeld('a1')).toBe(1);
    expect(fleet().get('a1')).toMatchObject({ version: `v1-${seed}`, config: { feature: false, seed } });
  });

  it('a region answering a version without its config stops the rollout loudly and is never cleared', async () => {
    // Outside the contract from the start: the prechecks refuse it, nothing is pushed anywhere.
    fleet().setFaults('a1', { answerWithoutConfig: true });
    let writes = writesFrom();
    const refused = await (await h.start(h.input({ waves: WAVES }))).result();
    expect(refused.status).toBe('FAILED');
    expect(refused.reason).toMatch(/a1\/config answered outside the region contract.*without its config/);
    for (const r of REGIONS) expect(writes(r.name)).toEqual([]);

    // Outside the contract once the canary is in: wave 2's read stops the rollout, and a1 is
    // neither pushed nor cleared (its compensation was a DELETE).
    fleet().setFaults('a1', { answerWithoutConfig: false });
    writes = writesFrom();
    const input = h.input({ waves: [{ regions: ['c1'], bakeSeconds: 600 }, ...WAVES.slice(1)] });
    const handle = await h.start(input);
    await h.skipUntil(
      () => h.live(handle),
      (s) => s.wave === 1 && s.phase === 'BAKING',
      'wave 1 to bake',
    );
    fleet().setFaults('a1', { answerWithoutConfig: true });
    const result = await handle.result();
    expect(result.status).toBe('ROLLED_BACK');
    expect(fleet().get('a1')).toMatchObject({ version: `v1-${seed}`, config: { feature: false, seed } });
    expect(writes('a1')).toEqual([]);
    expect(result.reason).toMatch(
      /^reading wave 2 before the push failed: .*a1\/config answered outside the region contract/,
    );
    for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);
  });

  it('records each push as it lands, so each region is exposed from its own push', async () => {
    // b1 applies the push at once but answers 3 s later; a1 answers at once.
    fleet().setFaults('b1', { slowPushMs: 3_000 });
    const input = h.input({ waves: WAVES });
    const handle = await h.start(input);
    await h.skipUntil(
      () => h.live(handle),
      (s) => s.wave === 2 && s.phase === 'BAKING',
      'wave 2 to bake',
    );
    await handle.signal(haltSignal, halt);
    expect((await handle.result()).status).toBe('ROLLED_BACK');

    const pushedAt = new Map(
      (await stored(input.rolloutId))
        .filter((e) => e.type === 'RegionConfigPushed')
        .map((e) => [String(e.data.region), e.recordedAt.getTime()]),
    );
    expect(pushedAt.get('b1')! - pushedAt.get('a1')!).toBeGreaterThanOrEqual(2_000);

    await projector.catchUp();
    const exposed = exposures(input.rolloutId, await readModels.changes({ rolloutId: input.rolloutId }));
    const from = new Map(exposed.map((e) => [e.region, e.from.getTime()]));
    expect(from.get('b1')! - from.get('a1')!).toBeGreaterThanOrEqual(2_000);
  });

  it('a push whose answer was lost counts once its retry finds it landed, applied once', async () => {
    // a1 applies the push at once but answers after the client gave up (5 s); every answer is late.
    fleet().setFaults('a1', { slowPushMs: 6_000 });
    const input = h.input({ waves: WAVES });
    const handle = await h.start(input);
    await readUntil(
      () => Promise.resolve(version('a1')),
      (v) => v === 'v2',
      { what: 'a1 to apply v2', timeoutMs: 30_000, intervalMs: 20 },
    );
    const writes = writesFrom();
    await h.skipUntil(
      () => h.live(handle),
      (s) => s.wave === 2 && s.phase === 'BAKING',
      'wave 2 to bake',
      30,
    );
    // The retry's write was refused (412: the region moved on), and the read found the push there.
    expect(writes('a1').map((w) => w.version)).toEqual(['v2']);
    expect(fleet().get('a1')).toMatchObject({ version: 'v2', applyCount: fleet().get('b1')!.applyCount });
    const pushed = ofType(await h.events(input.rolloutId), 'RegionConfigPushed').find((e) => e.data.region === 'a1');
    expect(pushed?.data).toMatchObject({ version: 'v2', previousVersion: `v1-${seed}`, changed: true });
    // The restore's answer is lost too: its retry finds the region back and past the revision
    // the forward writes are conditioned on, so it is done (before, every retry wrote again).
    await handle.signal(haltSignal, halt);
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    expect(fleet().get('a1')).toMatchObject({ version: `v1-${seed}`, config: { feature: false, seed } });
  });

  it('counts a push that landed although its activity failed, and marks a restore of a region that never took the change', async () => {
    // a1 applies the push but answers too late for the client, then refuses the retries with
    // 503: the push landed, its activity failed. b1 refuses every forward attempt: it never
    // serves v2.
    fleet().setFaults('a1', { slowPushMs: 6_000 });
    fleet().setFaults('b1', { failNextPushes: 5 });
    const input = h.input({ waves: WAVES });
    const handle = await h.start(input);
    await readUntil(
      () => Promise.resolve(version('a1')),
      (v) => v === 'v2',
      { what: 'a1 to apply v2', timeoutMs: 30_000, intervalMs: 20 },
    );
    fleet().setFaults('a1', { slowPushMs: 0, failNextPushes: 4 });
    const result = await handle.result();
    expect(result.status).toBe('ROLLED_BACK');
    for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);

    const events = await h.events(input.rolloutId);
    expect(
      ofType(events, 'RegionConfigPushed')
        .map((e) => e.data.region)
        .sort(),
    ).toEqual(['a1', 'c1']);
    const rolledBack = new Map(ofType(events, 'RegionRolledBack').map((e) => [e.data.region, e.data]));
    expect(rolledBack.get('b1')).toMatchObject({ outcome: 'RESTORED', neverServedNewVersion: true });
    expect(rolledBack.get('a1')).toMatchObject({ outcome: 'RESTORED', fromVersion: 'v2' });
    expect(rolledBack.get('a1')?.neverServedNewVersion).toBeUndefined();

    await projector.catchUp();
    const changes = await readModels.changes({ rolloutId: input.rolloutId });
    const b1 = changes.filter((c) => c.region === 'b1');
    expect(b1.map((c) => [c.kind, c.fromVersion, c.toVersion, c.changed])).toEqual([
      ['ROLLBACK', `v1-${seed}`, `v1-${seed}`, false],
    ]);
    // Affected customers come from these windows: a1 is in, b1 is not. a1's push was found late,
    // so its window opens when the push started, the earliest it can have landed.
    const exposed = exposures(input.rolloutId, changes);
    expect(exposed.map((e) => [e.region, e.endedBy])).toEqual([
      ['c1', 'ROLLED_BACK'],
      ['a1', 'ROLLED_BACK'],
    ]);
    const found = ofType(events, 'RegionConfigPushed').find((e) => e.data.region === 'a1')!;
    expect(found.data).toMatchObject({ foundByRestore: true, version: 'v2', changed: true });
    const waveTwoStarted = (await stored(input.rolloutId)).find(
      (e) => e.type === 'WaveStarted' && e.data.wave === 2,
    )!.recordedAt;
    expect(exposed[1].from).toEqual(waveTwoStarted);
    // Pushes that were not found late keep their own time.
    const c1Pushed = (await stored(input.rolloutId)).find((e) => e.type === 'RegionConfigPushed')!;
    expect(exposed[0].from).toEqual(c1Pushed.recordedAt);
  });
});
