import type { WorkflowHandle } from '@temporalio/client';
import type { rolloutWorkflow } from '../../workflows/rollout.workflow';
import {
  approveWaveUpdate,
  haltSignal,
  pauseUpdate,
  resumeUpdate,
  retryRollbackUpdate,
} from '../../workflows/rollout.messages';
import { readUntil } from '../support/eventually';
import { expectInGroups } from '../support/expect-in-groups';
import { restoresScheduled } from '../support/restore-order';
import { ofType, SMALL_FLEET, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const REGIONS = SMALL_FLEET;
/** A run hands over after this many history events: a few bake ticks. */
const HAND_OVER_AFTER = 60;

/**
 * Controls across continue-as-new, on the time-skipping server: each rollout hands over to a
 * new run every few ticks (`continueAsNewAfterEvents`), and what a person did before a
 * hand-over still holds after it.
 */
describe('rollout controls across continue-as-new (time-skipping Temporal, real activities)', () => {
  let h: WorkflowHarness;
  let seed = 0;
  beforeAll(async () => {
    h = await startWorkflowHarness(REGIONS);
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => h.reset(++seed));
  const version = (region: string) => h.regionSim.fleet.get(region)!.version;

  /** The run in charge now: the handle follows the chain from its first run. */
  const currentRun = async (handle: WorkflowHandle<typeof rolloutWorkflow>) => (await handle.describe()).runId;

  const handedOver = (handle: WorkflowHandle<typeof rolloutWorkflow>, from: string) =>
    h.skipUntil(
      () => currentRun(handle),
      (run) => run !== from,
      `a hand-over from run ${from}`,
    );

  it('a pause made before a hand-over holds after it, and a resume in the new run continues', async () => {
    const handle = await h.start({
      continueAsNewAfterEvents: HAND_OVER_AFTER,
      waves: [
        { regions: ['c1'], bakeSeconds: 0 },
        { regions: ['a1', 'b1'], bakeSeconds: 2 * 3_600 },
        { regions: ['h1'], bakeSeconds: 0 },
      ],
    });
    await h.skipUntil(
      () => h.live(handle),
      (s) => s.wave === 2 && s.phase === 'BAKING',
      'wave 2 to bake',
    );
    const first = await currentRun(handle);
    const paused = await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'watching dashboards' }] });
    expect(paused.status).toBe('PAUSED');
    const next = await handedOver(handle, first);
    expect(await h.live(handle)).toMatchObject({ status: 'PAUSED', wave: 2 });
    // the bake goes on ticking while paused, and the hold comes before the next wave
    expect((await h.live(handle)).phase).toBe('BAKING');
    expect(version('h1')).toBe(`v1-${seed}`);
    await handedOver(handle, next);

    const resumed = await handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] });
    expect(resumed.status).toBe('ROLLING');
    const result = await handle.result();
    expect(result.status).toBe('SUCCEEDED');
    for (const r of REGIONS) expect(version(r.name)).toBe('v2');
    const events = await h.events(result.rolloutId);
    expect(ofType(events, 'RolloutPaused')).toHaveLength(1);
    expect(ofType(events, 'RolloutResumed')).toHaveLength(1);
    expect(ofType(events, 'WaveStarted').map((e) => e.data.wave)).toEqual([1, 2, 3]);
  });

  it('a wave waiting for approval across a hand-over is approved in the new run', async () => {
    const handle = await h.start({
      continueAsNewAfterEvents: HAND_OVER_AFTER,
      waves: [
        { regions: ['c1'], bakeSeconds: 3_600, requiresApproval: true },
        { regions: ['a1', 'b1'], bakeSeconds: 0 },
        { regions: ['h1'], bakeSeconds: 0 },
      ],
    });
    const first = await currentRun(handle);
    await h.skipUntil(
      () => h.live(handle),
      (s) => s.phase === 'AWAITING_APPROVAL',
      'the approval gate',
    );
    // an hour of bake ticks went through several runs already
    expect(await currentRun(handle)).not.toBe(first);
    // Each accepted control lengthens the history; enough of them hand the wait over.
    const waiting = await currentRun(handle);
    for (let i = 0; i < 20 && (await currentRun(handle)) === waiting; i++) {
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: `check ${i}` }] });
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] });
    }
    expect(await currentRun(handle)).not.toBe(waiting);
    expect(await h.live(handle)).toMatchObject({ phase: 'AWAITING_APPROVAL', wave: 1 });
    expect(version('a1')).toBe(`v1-${seed}`);

    await handle.executeUpdate(approveWaveUpdate, { args: [{ wave: 1, approver: 'bob', comment: 'fine' }] });
    const result = await handle.result();
    expect(result.status).toBe('SUCCEEDED');
    const events = await h.events(result.rolloutId);
    expect(ofType(events, 'ApprovalRequested')).toHaveLength(1);
    expect(ofType(events, 'ApprovalGranted').map((e) => e.data.wave)).toEqual([1]);
  });

  it('a halt after several hand-overs restores every region to its own previous version, newest first', async () => {
    h.regionSim.fleet.apply('b1', 'v0-b1-own', { greeting: 'b1 keeps its own' });
    const handle = await h.start({
      continueAsNewAfterEvents: HAND_OVER_AFTER,
      waves: [
        { regions: ['c1'], bakeSeconds: 3_600 },
        { regions: ['a1', 'b1'], bakeSeconds: 3_600 },
        { regions: ['h1'], bakeSeconds: 0 },
      ],
    });
    let run = await currentRun(handle);
    for (let i = 0; i < 3; i++) run = await handedOver(handle, run);
    await h.skipUntil(
      () => h.live(handle),
      (s) => s.wave === 2 && s.phase === 'BAKING',
      'wave 2 to bake',
    );
    await handedOver(handle, await currentRun(handle));
    await handle.signal(haltSignal, { source: 'alertmanager', by: 'alertmanager', reason: 'error budget burning' });
    const result = await handle.result();
    expect(result.status).toBe('ROLLED_BACK');
    const events = await h.events(result.rolloutId);
    // A wave's pushes are recorded as each settles, in any order within the wave.
    expectInGroups(
      ofType(events, 'RegionConfigPushed').map((e) => e.data.region),
      [['c1'], ['a1', 'b1']],
    );
    expect(
      ofType(events, 'RegionRolledBack')
        .map((e) => e.data.region)
        .sort(),
    ).toEqual(['a1', 'b1', 'c1']);
    expectInGroups(await restoresScheduled(handle), [['a1', 'b1'], ['c1']]);
    expect(version('c1')).toBe(`v1-${seed}`);
    expect(version('a1')).toBe(`v1-${seed}`);
    expect(version('b1')).toBe('v0-b1-own');
    expect(version('h1')).toBe(`v1-${seed}`);
  });

  const halt = { source: 'alertmanager', by: 'alertmanager', reason: 'error budget burning' };

  it('ROLLBACK_FAILED hands over while it waits, and retryRollback in the new run restores the rest', async () => {
    const handle = await h.start({
      continueAsNewAfterEvents: HAND_OVER_AFTER,
      waves: [
        { regions: ['c1'], bakeSeconds: 0 },
        { regions: ['a1', 'b1'], bakeSeconds: 3_600 },
        { regions: ['h1'], bakeSeconds: 0 },
      ],
    });
    await h.skipUntil(
      () => h.live(handle),
      (s) => s.wave === 2 && s.phase === 'BAKING',
      'wave 2 to bake',
    );
    h.regionSim.fleet.setFaults('a1', { failAllPushes: true });
    await handle.signal(haltSignal, halt);
    await h.skipUntil(
      () => h.live(handle),
      (s) => s.status === 'ROLLBACK_FAILED',
      'the rollback to fail',
    );
    // Monitoring keeps re-sending the alert: each ignored halt still lengthens the history,
    // and the wait for retryRollback hands over once it is long.
    const failedIn = await currentRun(handle);
    // A halt arriving as the run continues as new makes Temporal refuse the hand-over (the
    // signal must be seen first), and the workflow hands over on its next task.
    for (let i = 0; i < 40 && (await currentRun(handle)) === failedIn; i++) await handle.signal(haltSignal, halt);
    await readUntil(
      () => currentRun(handle),
      (run) => run !== failedIn,
      { what: 'the wait in ROLLBACK_FAILED to hand over', timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(await h.live(handle)).toMatchObject({ status: 'ROLLBACK_FAILED', regions: { a1: 'ROLLBACK_FAILED' } });

    h.regionSim.fleet.setFaults('a1', { failAllPushes: false });
    await handle.executeUpdate(retryRollbackUpdate, { args: [{ by: 'bob' }] });
    const result = await handle.result();
    expect(result.status).toBe('ROLLED_BACK');
    for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);
    const events = await h.events(result.rolloutId);
    expect(ofType(events, 'RollbackStarted').map((e) => [e.data.attempt, e.data.regions, e.data.by])).toEqual([
      [1, ['b1', 'a1', 'c1'], undefined],
      [2, ['a1'], 'bob'],
    ]);
    // every restore starts at once: the first attempt ends in any order
    expectInGroups(
      ofType(events, 'RegionRolledBack').map((e) => [e.data.region, e.data.outcome]),
      [
        [
          ['b1', 'RESTORED'],
          ['a1', 'FAILED'],
          ['c1', 'RESTORED'],
        ],
        [['a1', 'RESTORED']],
      ],
    );
  });

  /** Lets bake ticks pass until the next one takes the history past the hand-over threshold. */
  async function toTheBrink(handle: WorkflowHandle<typeof rolloutWorkflow>): Promise<string> {
    const run = await currentRun(handle);
    for (let i = 0; i < 50; i++) {
      const { historyLength, runId } = await handle.describe();
      if (runId !== run) return toTheBrink(handle);
      if (historyLength >= HAND_OVER_AFTER - 7) return run;
      await h.env.sleep('1 minute');
    }
    throw new Error('no hand-over came near within 50 ticks');
  }

  // On a fresh time-skipping server: in CI's full run this test hung twice right after the
  // previous one, while it always passed on its own; a server of its own isolates it from
  // whatever the earlier tests leave behind (cause not found).
  describe('on a server of its own', () => {
    // It still hung once more in a full local run (2026-12-02, 90 s, passing in 2 s alone, and
    // in the full run after it): one retry, its first failure logged, until the cause is found.
    jest.retryTimes(1, { logErrorsBeforeRetry: true });
    beforeAll(async () => {
      await h.stop();
      h = await startWorkflowHarness(REGIONS);
    });

    it('a pause and a halt sent as a run hands over are both honoured', async () => {
      const handle = await h.start({
        continueAsNewAfterEvents: HAND_OVER_AFTER,
        waves: [
          { regions: ['c1'], bakeSeconds: 0 },
          { regions: ['a1', 'b1'], bakeSeconds: 6 * 3_600 },
          { regions: ['h1'], bakeSeconds: 0 },
        ],
      });
      await h.skipUntil(
        () => h.live(handle),
        (s) => s.wave === 2 && s.phase === 'BAKING',
        'wave 2 to bake',
      );
      // Three times: the tick that hands over and a pause go together; the pause holds in the new run.
      for (let i = 0; i < 3; i++) {
        const from = await toTheBrink(handle);
        const [, paused] = await Promise.all([
          h.env.sleep('1 minute'),
          handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: `look ${i}` }] }),
        ]);
        expect(paused.status).toBe('PAUSED');
        await handedOver(handle, from);
        expect(await h.live(handle)).toMatchObject({ status: 'PAUSED', wave: 2 });
        await handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] });
      }
      // Then the tick that hands over and a halt go together: the rollout rolls back.
      await toTheBrink(handle);
      await Promise.all([h.env.sleep('1 minute'), handle.signal(haltSignal, halt)]);
      const result = await handle.result();
      expect(result.status).toBe('ROLLED_BACK');
      for (const r of REGIONS) expect(version(r.name)).toBe(`v1-${seed}`);
      const events = await h.events(result.rolloutId);
      expect(ofType(events, 'RolloutPaused').map((e) => e.data.reason)).toEqual(['look 0', 'look 1', 'look 2']);
      expect(ofType(events, 'RolloutResumed')).toHaveLength(3);
      expect(ofType(events, 'RolloutHalted')).toHaveLength(1);
      // A wave's pushes are recorded as each settles, in any order within the wave.
      expectInGroups(
        ofType(events, 'RegionConfigPushed').map((e) => e.data.region),
        [['c1'], ['a1', 'b1']],
      );
    });
  });
});
