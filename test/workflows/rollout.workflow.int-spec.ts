import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { type ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { RolloutEvent } from '../../libs/domain/src';
import { SluiceStatus } from '../../workflows/rollout.search-attributes';
import { readUntil } from '../support/eventually';
import { restoresScheduled } from '../support/restore-order';
import { ofType, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';
import {
  abortUpdate,
  approveWaveUpdate,
  haltIfAffectedUpdate,
  haltSignal,
  liveStateQuery,
  pauseUpdate,
  resumeUpdate,
  retryRollbackUpdate,
} from '../../workflows/rollout.messages';

const REGIONS = [
  { name: 'c1', tier: 'canary' as const, weight: 1 },
  { name: 'a1', tier: 'standard' as const, weight: 2 },
  { name: 'b1', tier: 'standard' as const, weight: 3 },
  { name: 'd1', tier: 'standard' as const, weight: 4 },
  { name: 'h1', tier: 'heavy' as const, weight: 10 },
];
/** Four waves: canary, one standard, two standard, heavy. */
const FOUR_WAVES = [{ regions: ['c1'] }, { regions: ['a1'] }, { regions: ['b1', 'd1'] }, { regions: ['h1'] }];

/** Waves 1 and 2 pass straight through; wave 3 bakes for an hour, long enough to act on it. */
const QUICK_THEN_LONG_BAKE = [
  { regions: ['c1'], bakeSeconds: 0 },
  { regions: ['a1'], bakeSeconds: 0 },
  { regions: ['b1', 'd1'], bakeSeconds: 3_600 },
  { regions: ['h1'] },
];

const types = (events: RolloutEvent[]) => events.map((e) => e.type);

/** Every region restored, its restore scheduled newest wave first (all at once, so they answer in any order). */
async function expectRolledBackNewestWaveFirst(
  handle: WorkflowHandle,
  events: RolloutEvent[],
  regions: string[],
): Promise<void> {
  const waveOf = (region: string) => FOUR_WAVES.findIndex((w) => w.regions.includes(region)) + 1;
  const rolled = ofType(events, 'RegionRolledBack').map((e) => e.data.region);
  expect([...rolled].sort()).toEqual([...regions].sort());
  const scheduled = await restoresScheduled(handle);
  expect([...scheduled].sort()).toEqual([...regions].sort());
  const waves = scheduled.map(waveOf);
  expect(waves).toEqual([...waves].sort((a, b) => b - a));
}

describe('rollout workflow (time-skipping Temporal, real activities, PostgreSQL, region-sim)', () => {
  let h: WorkflowHarness;
  let seed = 0;

  beforeAll(async () => {
    h = await startWorkflowHarness(REGIONS);
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** Every region serves a fresh v1 and has no faults; returns push counters to compare against. */
  beforeEach(() => h.reset(++seed));
  const version = (region: string) => h.regionSim.fleet.get(region)!.version;
  const pushes = () => Object.fromEntries(REGIONS.map((r) => [r.name, h.regionSim.fleet.pushRequestCount(r.name)]));

  it('runs the happy path over 4 waves, baking each for 10 minutes of skipped time', async () => {
    const handle = await h.start({ waves: FOUR_WAVES, strategy: { ...h.input().strategy, bakeSeconds: 600 } });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'SUCCEEDED', reason: null });
    for (const { name } of REGIONS) expect(version(name)).toBe('v2');

    const events = await h.events(result.rolloutId);
    expect(ofType(events, 'WaveStarted').map((e) => e.data.regions)).toEqual(FOUR_WAVES.map((w) => w.regions));
    expect(ofType(events, 'WaveCompleted')).toHaveLength(4);
    expect(types(events).slice(0, 4)).toEqual(['RolloutRequested', 'RolloutPlanned', 'PrecheckPassed', 'WaveStarted']);
    expect(types(events).at(-1)).toBe('RolloutSucceeded');
    // a 600 s bake with a 60 s interval evaluates the gate 11 times per region
    const evaluations = ofType(events, 'HealthGateEvaluated');
    expect(evaluations.filter((e) => e.data.region === 'c1')).toHaveLength(11);
    expect(evaluations.every((e) => e.data.verdict === 'PASS')).toBe(true);
    const pushed = ofType(events, 'RegionConfigPushed').find((e) => e.data.region === 'b1');
    expect(pushed?.data).toMatchObject({ wave: 3, version: 'v2', previousVersion: `v1-${seed}`, changed: true });
  });

  it('rolls back waves 3, 2 and 1 in that order when a gate fails in wave 3, leaving wave 4 untouched', async () => {
    h.regionSim.fleet.setFaults('d1', { probeStatus: 503 });
    const before = pushes();
    const handle = await h.start({ waves: FOUR_WAVES, strategy: { ...h.input().strategy, bakeSeconds: 120 } });
    const result = await handle.result();
    expect(result.status).toBe('ROLLED_BACK');
    expect(result.reason).toMatch(/gate probe failed in d1: GET \/probe answered 503/);

    const events = await h.events(result.rolloutId);
    await expectRolledBackNewestWaveFirst(handle, events, ['d1', 'b1', 'a1', 'c1']);
    expect(ofType(events, 'RegionRolledBack').every((e) => e.data.outcome === 'RESTORED')).toBe(true);
    for (const name of ['c1', 'a1', 'b1', 'd1']) expect(version(name)).toBe(`v1-${seed}`);
    expect(version('h1')).toBe(`v1-${seed}`);
    expect(pushes().h1).toBe(before.h1);
    expect(ofType(events, 'WaveStarted').map((e) => e.data.wave)).toEqual([1, 2, 3]);
    expect(types(events).at(-1)).toBe('RolloutRolledBack');
  });

  it('stops at once on a halt in the middle of a bake and starts no further push', async () => {
    const before = pushes();
    const handle = await h.start({ waves: FOUR_WAVES, strategy: { ...h.input().strategy, bakeSeconds: 3_600 } });
    await h.waitFor(handle, (s) => s.wave === 1 && s.phase === 'BAKING', 'wave 1 to bake');
    await handle.signal(haltSignal, { reason: 'HighErrorRate firing', source: 'alertmanager', by: 'alertmanager' });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'ROLLED_BACK', reason: 'halted by alertmanager: HighErrorRate firing' });

    const after = pushes();
    // c1: the push and its rollback; nobody else was pushed at all
    expect(after.c1 - before.c1).toBe(2);
    for (const name of ['a1', 'b1', 'd1', 'h1']) expect(after[name]).toBe(before[name]);
    const events = await h.events(result.rolloutId);
    const halted = types(events).indexOf('RolloutHalted');
    expect(types(events).slice(halted + 1)).not.toContain('RegionConfigPushed');
    // The halt assessment runs beside the rollback and lands before its final event.
    const afterHalt = types(events).slice(halted);
    expect(afterHalt.filter((t) => t !== 'HaltAssessed')).toEqual([
      'RolloutHalted',
      'RollbackStarted',
      'RegionRolledBack',
      'RolloutRolledBack',
    ]);
    expect(afterHalt.indexOf('HaltAssessed')).toBeGreaterThan(afterHalt.indexOf('RollbackStarted'));
    expect(afterHalt.indexOf('HaltAssessed')).toBeLessThan(afterHalt.indexOf('RolloutRolledBack'));
    // This harness has no Prometheus: no verdict, said plainly, and the rollback happened anyway.
    expect(ofType(events, 'HaltAssessed')).toHaveLength(1);
    expect(ofType(events, 'HaltAssessed')[0].data).toMatchObject({
      verdict: 'UNCLEAR',
      summary: expect.stringMatching(/^no verdict: the metrics could not be read \(Prometheus at .* did not answer/),
      regions: [],
    });
  });

  it('haltIfAffected: an alert that began before the rollout halts it only if still firing and about a touched region', async () => {
    const handle = await h.start({ waves: FOUR_WAVES, strategy: { ...h.input().strategy, bakeSeconds: 3_600 } });
    await h.waitFor(handle, (s) => s.wave === 1 && s.phase === 'BAKING', 'wave 1 to bake');
    // the rollout was requested before it baked, and an hour ago is long before that
    const since = new Date().toISOString();
    const before = new Date(Date.now() - 3_600_000).toISOString();
    const halt = (alert: { region?: string; startsAt?: string; lastSeenAt?: string }) =>
      handle
        .executeUpdate(haltIfAffectedUpdate, {
          args: [{ reason: 'HighErrorRate firing', source: 'alertmanager', by: 'alertmanager', ...alert }],
        })
        .then(
          (answer) => answer.outcome as string,
          (e: unknown) => ((e as WorkflowUpdateFailedError).cause as ApplicationFailure).type,
        );
    // from an earlier change: last seen before this rollout began
    expect(await halt({ region: 'c1', startsAt: before, lastSeenAt: before })).toBe('STALE');
    // still firing, but about no region at all, or one this rollout has not touched
    expect(await halt({ startsAt: before, lastSeenAt: since })).toBe('STALE');
    expect(await halt({ region: 'h1', startsAt: before, lastSeenAt: since })).toBe('NOT_AFFECTED');
    expect((await handle.query(liveStateQuery)).stopReason).toBeNull();
    // still firing, about the canary this rollout pushed: halts
    expect(await halt({ region: 'c1', startsAt: before, lastSeenAt: since })).toBe('HALTED');
    expect(await handle.result()).toMatchObject({ status: 'ROLLED_BACK' });
  });

  it('haltIfAffected: ignores a region not yet touched, halts for a touched one, and says when it is too late', async () => {
    const handle = await h.start({ waves: FOUR_WAVES, strategy: { ...h.input().strategy, bakeSeconds: 3_600 } });
    await h.waitFor(handle, (s) => s.wave === 1 && s.phase === 'BAKING', 'wave 1 to bake');
    const halt = (region?: string) =>
      handle.executeUpdate(haltIfAffectedUpdate, {
        args: [{ reason: 'HighErrorRate firing', source: 'alertmanager', by: 'alertmanager', region }],
      });
    const rolloutId = (await handle.query(liveStateQuery)).rolloutId;
    const refusal = async (region?: string) => {
      const err = await halt(region).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
      return { type: cause.type, details: cause.details };
    };
    expect(await refusal('h1')).toEqual({ type: 'NOT_AFFECTED', details: [{ rolloutId }] });
    expect((await handle.query(liveStateQuery)).stopReason).toBeNull();
    expect(await halt('c1')).toEqual({ outcome: 'HALTED', rolloutId, recorded: true });
    // the answer came after the halt was recorded and the state changed
    expect((await handle.query(liveStateQuery)).stopReason).toBe('halted by alertmanager: HighErrorRate firing');
    expect(await refusal()).toEqual({ type: 'NO_RUNNING_ROLLOUT', details: [{ rolloutId }] });
    expect(await handle.result()).toMatchObject({ status: 'ROLLED_BACK' });
    const events = await h.events(rolloutId);
    expect(ofType(events, 'RolloutHalted')).toHaveLength(1);
    // refused updates left nothing in the workflow's history
    const history = await handle.fetchHistory();
    const updates = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(updates).toHaveLength(1);
  });

  it('holds on pause before the next wave and continues on resume', async () => {
    const before = pushes();
    const handle = await h.start({ waves: FOUR_WAVES, strategy: { ...h.input().strategy, bakeSeconds: 1 }, gates: [] });
    await h.waitFor(handle, (s) => s.wave === 1 && s.phase === 'BAKING', 'wave 1 to bake');
    const paused = await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'watching dashboards' }] });
    expect(paused.status).toBe('PAUSED');
    await h.env.sleep('10 minutes');
    const held = await h.live(handle);
    expect(held).toMatchObject({ status: 'PAUSED', wave: 1 });
    expect(pushes().a1).toBe(before.a1);
    await expect(handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'again' }] })).rejects.toThrow(
      WorkflowUpdateFailedError,
    );

    const resumed = await handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] });
    expect(resumed.status).toBe('ROLLING');
    expect(await handle.result()).toMatchObject({ status: 'SUCCEEDED' });
    const events = await h.events((await h.live(handle)).rolloutId);
    expect(ofType(events, 'RolloutPaused')[0].data).toEqual({ by: 'bob', reason: 'watching dashboards' });
    expect(ofType(events, 'RolloutResumed')[0].data).toEqual({ by: 'bob' });
  });

  it('rejects approval by the requester and a stale wave, then accepts another approver', async () => {
    const handle = await h.start({
      waves: [
        { regions: ['c1'], requiresApproval: true, bakeSeconds: 0 },
        { regions: ['a1', 'b1', 'd1'] },
        { regions: ['h1'] },
      ],
    });
    await h.waitFor(handle, (s) => s.phase === 'AWAITING_APPROVAL', 'the approval gate');

    const refusal = (err: unknown) => (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
    const selfApproval = await handle
      .executeUpdate(approveWaveUpdate, { args: [{ wave: 1, approver: 'alice' }] })
      .catch((e) => e);
    expect(refusal(selfApproval)).toMatchObject({
      type: 'FORBIDDEN',
      message: 'alice requested this rollout and cannot also approve it',
    });
    const stale = await handle
      .executeUpdate(approveWaveUpdate, { args: [{ wave: 2, approver: 'bob' }] })
      .catch((e) => e);
    expect(refusal(stale).type).toBe('INVALID_STATE');
    expect(version('a1')).toBe(`v1-${seed}`);

    const ack = await handle.executeUpdate(approveWaveUpdate, {
      args: [{ wave: 1, approver: 'bob', comment: 'canary looks good' }],
    });
    expect(ack.wave).toBe(1);
    const result = await handle.result();
    expect(result.status).toBe('SUCCEEDED');
    const granted = ofType(await h.events(result.rolloutId), 'ApprovalGranted');
    expect(granted.map((e) => e.data)).toEqual([{ wave: 1, approver: 'bob', comment: 'canary looks good' }]);
  });

  it('rolls back everything on an abort while awaiting approval and ends ABORTED', async () => {
    const handle = await h.start({
      waves: [
        { regions: ['c1'], requiresApproval: true, bakeSeconds: 0 },
        { regions: ['a1', 'b1', 'd1'] },
        { regions: ['h1'] },
      ],
    });
    await h.waitFor(handle, (s) => s.phase === 'AWAITING_APPROVAL', 'the approval gate');
    expect(version('c1')).toBe('v2');
    await handle.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'wrong config' }] });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'ABORTED', reason: 'aborted by carol: wrong config' });
    expect(version('c1')).toBe(`v1-${seed}`);
  });

  it('rolls back what it touched when a push fails after its retries', async () => {
    h.regionSim.fleet.setFaults('b1', { failNextPushes: 5 });
    const handle = await h.start({ waves: FOUR_WAVES, gates: [] });
    const result = await handle.result();
    expect(result.status).toBe('ROLLED_BACK');
    expect(result.reason).toMatch(/push of v2 to b1 failed: .*answered 503/);
    const events = await h.events(result.rolloutId);
    // d1 was pushed in parallel with b1; b1's compensation was registered before its push
    await expectRolledBackNewestWaveFirst(handle, events, ['d1', 'b1', 'a1', 'c1']);
    for (const name of ['c1', 'a1', 'b1', 'd1', 'h1']) expect(version(name)).toBe(`v1-${seed}`);
  });

  it('ends loudly in ROLLBACK_FAILED when a region cannot be restored, and completes after retryRollback', async () => {
    const handle = await h.start({ waves: QUICK_THEN_LONG_BAKE });
    await h.waitFor(handle, (s) => s.wave === 3 && s.phase === 'BAKING', 'wave 3 to bake');
    h.regionSim.fleet.setFaults('a1', { failAllPushes: true });
    await handle.signal(haltSignal, { reason: 'ErrorBudgetBurn', source: 'alertmanager', by: 'alertmanager' });
    // skip past the rollback push retries
    let state = await h.live(handle);
    for (let i = 0; i < 20 && state.status !== 'ROLLBACK_FAILED'; i++) {
      await h.env.sleep('2 minutes');
      state = await h.live(handle);
    }
    expect(state.status).toBe('ROLLBACK_FAILED');
    expect(state.regions).toMatchObject({ a1: 'ROLLBACK_FAILED', b1: 'ROLLED_BACK', c1: 'ROLLED_BACK' });
    // loud: the search attribute an operator filters on in the Temporal UI says so too
    expect((await handle.describe()).typedSearchAttributes.get(SluiceStatus)).toBe('ROLLBACK_FAILED');
    // the live state changes before the event is stored (by the activity that follows)
    const failed = await readUntil(
      async () => ofType(await h.events(state.rolloutId), 'RollbackFailed'),
      (events) => events.length > 0,
      { what: 'RollbackFailed to be stored' },
    );
    expect(failed.map((e) => e.data.failedRegions)).toEqual([['a1']]);

    h.regionSim.fleet.setFaults('a1', { failAllPushes: false });
    const ack = await handle.executeUpdate(retryRollbackUpdate, { args: [{ by: 'oncall' }] });
    expect(ack.status).toBe('ROLLBACK_FAILED');
    const result = await handle.result();
    expect(result.status).toBe('ROLLED_BACK');
    expect(version('a1')).toBe(`v1-${seed}`);
    const started = ofType(await h.events(result.rolloutId), 'RollbackStarted');
    expect(started.map((e) => [e.data.attempt, e.data.regions, e.data.by])).toEqual([
      [1, ['d1', 'b1', 'a1', 'c1'], undefined],
      [2, ['a1'], 'oncall'],
    ]);
  });

  it('rolls back when the workflow is cancelled from Temporal', async () => {
    // No gates: the cancel then lands on the bake timer. The time-skipping server answers
    // ACTIVITY_UNKNOWN when a cancel races an activity that just completed (the real server
    // does not), which would make this spec flaky without testing anything of ours.
    const handle = await h.start({ waves: QUICK_THEN_LONG_BAKE, gates: [] });
    await h.waitFor(handle, (s) => s.wave === 3 && s.phase === 'BAKING', 'wave 3 to bake');
    await handle.cancel();
    const outcome = await handle.result().catch((e) => e);
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
    expect((outcome as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    for (const name of ['c1', 'a1', 'b1', 'd1', 'h1']) expect(version(name)).toBe(`v1-${seed}`);
    const { rolloutId } = await h.live(handle);
    const events = await h.events(rolloutId);
    expect(ofType(events, 'RolloutAborted').map((e) => e.data)).toEqual([
      { by: 'temporal', reason: 'the workflow was cancelled in Temporal' },
    ]);
    await expectRolledBackNewestWaveFirst(handle, events, ['d1', 'b1', 'a1', 'c1']);
    expect(types(events).at(-1)).toBe('RolloutRolledBack');
  });

  it('fails prechecks without touching anything: unhealthy region, schema, freeze window, no-op', async () => {
    const before = pushes();
    h.regionSim.fleet.setFaults('d1', { unhealthy: true });
    let result = await (await h.start({ waves: FOUR_WAVES })).result();
    expect(result).toMatchObject({ status: 'FAILED' });
    expect(result.reason).toMatch(/region-health: d1: health check answered 503/);
    h.regionSim.fleet.setFaults('d1', { unhealthy: false });

    result = await (
      await h.start({
        waves: FOUR_WAVES,
        configSchema: { type: 'object', required: ['limit'], properties: { limit: { type: 'number' } } },
      })
    ).result();
    expect(result.reason).toMatch(/config-schema: \(root\) must have required property 'limit'/);

    // the workflow reads the test server's clock, which earlier specs skipped ahead
    const now = await h.env.currentTimeMs();
    const year = 365 * 24 * 3_600_000;
    result = await (
      await h.start({
        waves: FOUR_WAVES,
        freezeWindows: [
          {
            start: new Date(now - year).toISOString(),
            end: new Date(now + year).toISOString(),
            reason: 'holiday',
          },
        ],
      })
    ).result();
    expect(result.reason).toMatch(/freeze-window: .*holiday/);

    result = await (await h.start({ waves: [{ regions: ['a1'] }] })).result();
    expect(result.reason).toMatch(/PLAN_CANARY_TIER: wave 1 is the canary wave but a1 is not canary-tier/);

    for (const { name } of REGIONS) h.regionSim.fleet.apply(name, 'v2', { feature: true });
    result = await (await h.start({ waves: FOUR_WAVES })).result();
    expect(result.reason).toMatch(/no-op: every region already serves v2/);
    expect(pushes()).toEqual(before);
  });

  it('lets exactly one of two concurrent starts for one service run', async () => {
    const input = h.input({ waves: FOUR_WAVES, gates: [] });
    const start = () =>
      h.env.client.workflow.start('rolloutWorkflow', {
        taskQueue: h.taskQueue,
        workflowId: `sluice-rollout-${input.service}`,
        args: [{ ...input, rolloutId: `${input.rolloutId}-${Math.random()}` }],
        workflowIdConflictPolicy: 'FAIL',
      });
    const outcomes = await Promise.allSettled([start(), start()]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    const winner = outcomes.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<
      Awaited<ReturnType<typeof start>>
    >;
    expect(await winner.value.result()).toMatchObject({ status: 'SUCCEEDED' });
  });
});
