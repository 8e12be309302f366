import type { WorkflowHandle } from '@temporalio/client';
import type { rolloutWorkflow } from '../../workflows/rollout.workflow';
import {
  haltIfAffectedUpdate,
  haltSignal,
  pauseUpdate,
  resumeUpdate,
  retryRollbackUpdate,
} from '../../workflows/rollout.messages';
import { readUntil } from '../support/eventually';
import { expectInGroups } from '../support/expect-in-groups';
import { restoreActivities, restoresScheduled } from '../support/restore-order';
import { slowInserts } from '../support/slow-inserts';
import type { TcpProxy } from '../support/tcp-proxy';
import {
  SMALL_FLEET_WAVES,
  ALERT_HALT,
  ofType,
  SMALL_FLEET,
  startHarnessBehindProxy,
  startWorkflowHarness,
  type WorkflowHarness,
} from '../support/workflow-harness';

const REGIONS = SMALL_FLEET;
const WAVES = SMALL_FLEET_WAVES;
const halt = ALERT_HALT;

/** Halts and rollbacks under the faults that used to lose them (time-skipping Temporal, real activities). */
describe('every halt lands and every rollback runs', () => {
  let h: WorkflowHarness;
  let seed = 500;
  beforeAll(async () => {
    h = await startWorkflowHarness(REGIONS);
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => h.reset(++seed));
  const version = (region: string) => h.regionSim.fleet.get(region)!.version;

  it('a pause accepted during prechecks holds once they pass: nothing is pushed until a resume', async () => {
    // Slow health checks keep the rollout in its prechecks for a few seconds.
    for (const r of REGIONS) h.regionSim.fleet.setFaults(r.name, { healthDelayMs: 1_000 });
    const input = h.input({ waves: WAVES });
    const handle = await h.start(input);
    const paused = await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'hold on' }] });
    expect(paused.status).toBe('PAUSED');
    await readUntil(
      () => h.events(input.rolloutId),
      (events) => events.some((e) => e.type === 'PrecheckPassed'),
      { what: 'the prechecks to pass', timeoutMs: 30_000, intervalMs: 100 },
    );
    await h.env.sleep('10 minutes');
    expect(await h.live(handle)).toMatchObject({ status: 'PAUSED' });
    for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);
    const types = (await h.events(input.rolloutId)).map((e) => e.type);
    expect(types.indexOf('RolloutPaused')).toBeLessThan(types.indexOf('PrecheckPassed'));
    expect(types).not.toContain('WaveStarted');

    const resumed = await handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] });
    expect(resumed.status).toBe('ROLLING');
    expect((await handle.result()).status).toBe('SUCCEEDED');
    for (const r of REGIONS) expect(version(r.name)).toBe('v2');
  });

  it('a retryRollback accepted while RollbackFailed is being recorded starts the next attempt', async () => {
    const input = h.input({ waves: WAVES });
    // PostgreSQL takes 3 s to store this rollout's RollbackFailed: the retry lands meanwhile.
    const dropTrigger = await slowInserts(h.pool, `rollback_failed_${seed}`, {
      type: 'RollbackFailed',
      streamId: input.rolloutId,
    });
    try {
      const handle = await h.start(input);
      await h.skipUntil(
        () => h.live(handle),
        (s) => s.wave === 2 && s.phase === 'BAKING',
        'wave 2 to bake',
      );
      // a1 refuses the restore for good (422): the rollback fails at once, no retries to wait out.
      h.regionSim.fleet.setFaults('a1', { rejectAllPushes: true });
      await handle.signal(haltSignal, halt);
      await readUntil(
        () => h.live(handle),
        (s) => s.status === 'ROLLBACK_FAILED',
        { what: 'the rollback to fail', timeoutMs: 20_000, intervalMs: 20 },
      );
      expect(ofType(await h.events(input.rolloutId), 'RollbackFailed')).toHaveLength(0);
      h.regionSim.fleet.setFaults('a1', { rejectAllPushes: false });
      await handle.executeUpdate(retryRollbackUpdate, { args: [{ by: 'oncall' }] });

      await readUntil(
        () => h.live(handle),
        (s) => s.status === 'ROLLED_BACK',
        { what: 'the retried rollback to finish', timeoutMs: 20_000, intervalMs: 100 },
      );
      for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);
      const started = ofType(await h.events(input.rolloutId), 'RollbackStarted');
      expect(started.map((e) => [e.data.attempt, e.data.by])).toEqual([
        [1, undefined],
        [2, 'oncall'],
      ]);
    } finally {
      await dropTrigger();
    }
  });

  it('an alert for a region whose push landed halts, while another push of the wave is still in flight', async () => {
    // b1 applies the push at once but answers 3 s later: the wave's pushes have not settled.
    h.regionSim.fleet.setFaults('b1', { slowPushMs: 3_000 });
    const input = h.input({ waves: WAVES });
    const handle: WorkflowHandle<typeof rolloutWorkflow> = await h.start(input);
    await readUntil(
      async () => ({ a1: version('a1'), live: await h.live(handle) }),
      (s) => s.a1 === 'v2' && s.live.wave === 2,
      { what: 'a1 to serve v2', timeoutMs: 20_000, intervalMs: 20 },
    );
    expect((await h.live(handle)).phase).toBe('PUSHING');

    const answer = await handle.executeUpdate(haltIfAffectedUpdate, { args: [{ ...halt, region: 'a1' }] });
    expect(answer.outcome).toBe('HALTED');
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);
  });

  it('a halt restores every touched region at once, newest wave first: a slow region holds up no older wave', async () => {
    const input = h.input({ waves: WAVES });
    const handle = await h.start(input);
    await h.skipToPhase(handle, 'BAKING', 2);
    // b1 applies writes at once but answers them 4 s late: its restore activity takes 4 s.
    h.regionSim.fleet.setFaults('b1', { slowPushMs: 4_000 });
    await handle.signal(haltSignal, halt);
    await readUntil(
      () => Promise.resolve(version('c1')),
      (served) => served === `v1-${seed}`,
      { what: 'c1 (wave 1) to be restored while b1 (wave 2) still answers', timeoutMs: 2_500, intervalMs: 20 },
    );
    expect((await h.live(handle)).status).toBe('ROLLING_BACK');
    h.regionSim.fleet.setFaults('b1', { slowPushMs: 0 });
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);
    // Scheduled newest wave first, in the one workflow task that took the halt.
    expectInGroups(await restoresScheduled(handle), [['a1', 'b1'], ['c1']]);
  });

  it('a dead region holds up no other restore: the live ones are restored at once, it ends restored once it answers', async () => {
    const input = h.input({ waves: WAVES });
    const handle = await h.start(input);
    await h.skipToPhase(handle, 'BAKING', 2);
    // a1 answers every push with 503 and is retried for minutes; nobody skips time meanwhile.
    h.regionSim.fleet.setFaults('a1', { failAllPushes: true });
    await handle.signal(haltSignal, halt);
    await readUntil(
      () => Promise.resolve(['b1', 'c1'].map(version)),
      (served) => served.every((v) => v === `v1-${seed}`),
      { what: 'b1 (same wave as a1) and c1 (older wave) to be restored', timeoutMs: 15_000, intervalMs: 50 },
    );
    expect(version('a1')).toBe('v2');
    expect((await h.live(handle)).status).toBe('ROLLING_BACK');

    h.regionSim.fleet.setFaults('a1', { failAllPushes: false });
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);
    const restored = ofType(await h.events(input.rolloutId), 'RegionRolledBack');
    // b1 and c1 answer at once, in either order; a1 once it answers again.
    expectInGroups(
      restored.map((e) => [e.data.region, e.data.outcome]),
      [
        [
          ['b1', 'RESTORED'],
          ['c1', 'RESTORED'],
        ],
        [['a1', 'RESTORED']],
      ],
    );
    // One activity restored every region it could; a1, which it could not, was restored alone.
    expect(await restoreActivities(handle)).toEqual([
      { type: 'restoreRegionConfigs', regions: expect.arrayContaining(['a1', 'b1', 'c1']) },
      { type: 'restoreRegionConfig', regions: ['a1'] },
    ]);
  });

  it('a cancel from Temporal while an append is in flight loses no event', async () => {
    const input = h.input({ waves: WAVES, gates: [] });
    // PostgreSQL takes 3 s to store wave 2's WaveStarted: the cancel lands during that append.
    const dropTrigger = await slowInserts(h.pool, `wave_started_${seed}`, {
      type: 'WaveStarted',
      streamId: input.rolloutId,
      wave: 2,
    });
    try {
      const handle = await h.start(input);
      await readUntil(
        () => h.live(handle),
        (s) => s.wave === 2,
        { what: 'wave 2 to start', timeoutMs: 20_000, intervalMs: 20 },
      );
      expect(ofType(await h.events(input.rolloutId), 'WaveStarted')).toHaveLength(1);
      await handle.cancel();
      await handle.result().catch(() => undefined);

      const events = await h.events(input.rolloutId);
      expect(ofType(events, 'WaveStarted').map((e) => e.data.wave)).toEqual([1, 2]);
      expect(ofType(events, 'RolloutAborted').map((e) => e.data.by)).toEqual(['temporal']);
      expect(events.at(-1)?.type).toBe('RolloutRolledBack');
      for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);
    } finally {
      await dropTrigger();
    }
  });
});

describe('a halt while PostgreSQL is down (the worker reaches it through a proxy that is cut)', () => {
  let h: WorkflowHarness;
  let proxy: TcpProxy;
  beforeAll(async () => {
    ({ h, proxy } = await startHarnessBehindProxy(REGIONS, 'worker'));
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('restores every touched region while the database is down, and records every event once after', async () => {
    h.reset(9);
    const version = (region: string) => h.regionSim.fleet.get(region)!.version;
    const input = h.input({ waves: WAVES });
    const handle = await h.start(input);
    await h.waitFor(handle, (s) => s.wave === 2 && s.phase === 'BAKING', 'wave 2 baking');

    // Ten minutes of bake with the database cut: the bake's batch of evaluations (or the wave's
    // last events) wait on PostgreSQL, and so does the forward path, when the halt comes.
    proxy.cut();
    await h.env.sleep('10 minutes');
    await handle.signal(haltSignal, halt);
    await readUntil(
      () => Promise.resolve(['c1', 'a1', 'b1'].map(version)),
      (served) => served.every((v) => v === 'v1-9'),
      { what: 'every touched region to be restored with the database down', timeoutMs: 20_000, intervalMs: 50 },
    );
    expect(ofType(await h.events(input.rolloutId), 'RollbackStarted')).toHaveLength(0);

    proxy.heal();
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    const events = await h.events(input.rolloutId);
    expect(ofType(events, 'RolloutHalted')).toHaveLength(1);
    expect(ofType(events, 'RollbackStarted')).toHaveLength(1);
    expect(
      ofType(events, 'RegionRolledBack')
        .map((e) => e.data.region)
        .sort(),
    ).toEqual(['a1', 'b1', 'c1']);
    expect(events.at(-1)?.type).toBe('RolloutRolledBack');
    const { rows } = await h.pool.query<{ n: number; positions: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT stream_position)::int AS positions FROM events WHERE stream_id = $1',
      [input.rolloutId],
    );
    expect(rows[0].n).toBe(events.length);
    expect(rows[0].positions).toBe(events.length);
  });
});
