import { ErrorCode, SluiceError } from '../errors';
import type { RolloutPlan } from '../plan/rollout-plan';
import type { RolloutEvent } from './rollout.events';
import { decide, type RolloutCommand } from './rollout-commands';
import { ROLLOUT_STATUSES, foldRollout, isFinal, touchedRegions } from './rollout-state';

const plan: RolloutPlan = {
  waves: [
    { index: 1, regions: ['canary'], bakeSeconds: 60, requiresApproval: true },
    { index: 2, regions: ['a', 'b'], bakeSeconds: 60, requiresApproval: false },
  ],
};
const requested: RolloutEvent = {
  type: 'RolloutRequested',
  data: {
    rolloutId: 'r1',
    service: 'svc',
    version: 'v2',
    requestedBy: 'alice',
    requestedAt: 't',
    regions: ['canary', 'a', 'b'],
  },
};
const planned: RolloutEvent = { type: 'RolloutPlanned', data: { plan, source: 'strategy' } };
const passed: RolloutEvent = { type: 'PrecheckPassed', data: { checks: ['schema'] } };
const waveStarted = (wave: number, regions: string[]): RolloutEvent => ({
  type: 'WaveStarted',
  data: { wave, regions },
});
const pushed = (region: string, wave: number): RolloutEvent => ({
  type: 'RegionConfigPushed',
  data: { region, wave, version: 'v2', previousVersion: 'v1', configHash: 'h', changed: true },
});
const verified = (region: string, wave: number): RolloutEvent => ({
  type: 'RegionConfigVerified',
  data: { region, wave, version: 'v2', configHash: 'h' },
});
const awaitingApproval: RolloutEvent[] = [
  requested,
  planned,
  passed,
  waveStarted(1, ['canary']),
  pushed('canary', 1),
  verified('canary', 1),
  { type: 'ApprovalRequested', data: { wave: 1 } },
];

/** given(events).when(command).then(events) — the domain's spec form; no database, no Temporal. */
function given(...events: RolloutEvent[]) {
  const state = foldRollout(events);
  return {
    when: (command: RolloutCommand) => ({
      then: (expected: RolloutEvent[]) => expect(decide(command, state)).toEqual(expected),
      thenRejects: (code: string, message: RegExp) => {
        let error: unknown;
        try {
          decide(command, state);
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(SluiceError);
        expect((error as SluiceError).code).toBe(code);
        expect((error as SluiceError).message).toMatch(message);
      },
    }),
  };
}

describe('rollout state (evolve)', () => {
  it('leaves the state as it was for an event type it does not know (another stream’s, or a newer writer’s)', () => {
    const before = foldRollout([requested, planned]);
    const unknown = { type: 'SomethingElse', data: {} } as unknown as RolloutEvent;
    const after = foldRollout([requested, planned, unknown]);
    expect(after).toEqual(before);
    expect(touchedRegions(after)).toEqual([]);
    // a stream of nothing but unknown events folds to the initial state: no service, so no read model row
    expect(foldRollout([unknown]).service).toBeNull();
  });

  it('walks PENDING → PRECHECKING → ROLLING with wave phases PUSHING → VERIFYING → BAKING → AWAITING_APPROVAL', () => {
    const seen = [
      requested,
      planned,
      passed,
      waveStarted(1, ['canary']),
      pushed('canary', 1),
      verified('canary', 1),
    ].map((_, i, all) => {
      const s = foldRollout(all.slice(0, i + 1));
      return `${s.status}/${s.phase ?? '-'}`;
    });
    expect(seen).toEqual([
      'PENDING/-',
      'PRECHECKING/-',
      'ROLLING/-',
      'ROLLING/PUSHING',
      'ROLLING/VERIFYING',
      'ROLLING/BAKING',
    ]);
    expect(foldRollout(awaitingApproval).phase).toBe('AWAITING_APPROVAL');
  });

  it('keeps a pause made before or during the prechecks through them', () => {
    const pause: RolloutEvent = { type: 'RolloutPaused', data: { by: 'bob', reason: 'hold' } };
    expect(foldRollout([requested, pause, planned, passed]).status).toBe('PAUSED');
    expect(foldRollout([requested, planned, pause, passed]).status).toBe('PAUSED');
    const resumed: RolloutEvent = { type: 'RolloutResumed', data: { by: 'bob' } };
    expect(foldRollout([requested, planned, pause, passed, resumed]).status).toBe('ROLLING');
  });

  it('stays PUSHING until every region of the wave is pushed', () => {
    const s = foldRollout([
      requested,
      planned,
      passed,
      { type: 'WaveCompleted', data: { wave: 1 } },
      waveStarted(2, ['a', 'b']),
      pushed('a', 2),
    ]);
    expect(s.phase).toBe('PUSHING');
  });

  it('ends ABORTED after an abort and a complete rollback, ROLLED_BACK after a halt', () => {
    const rolledBack: RolloutEvent[] = [
      { type: 'RollbackStarted', data: { reason: 'x', regions: ['canary'], attempt: 1 } },
      {
        type: 'RegionRolledBack',
        data: { region: 'canary', fromVersion: 'v2', toVersion: 'v1', configHash: 'h1', outcome: 'RESTORED' },
      },
      { type: 'RolloutRolledBack', data: { regions: ['canary'], reason: 'x' } },
    ];
    const aborted = foldRollout([
      ...awaitingApproval,
      { type: 'RolloutAborted', data: { by: 'bob', reason: 'no' } },
      ...rolledBack,
    ]);
    expect(aborted.status).toBe('ABORTED');
    expect(aborted.regions.canary).toBe('ROLLED_BACK');
    const halted = foldRollout([
      ...awaitingApproval,
      { type: 'RolloutHalted', data: { by: 'alertmanager', source: 'alertmanager', reason: 'HighErrorRate' } },
      ...rolledBack,
    ]);
    expect(halted.status).toBe('ROLLED_BACK');
    expect(halted.stopReason).toBe('halted by alertmanager: HighErrorRate');
  });

  it('is ROLLBACK_FAILED, loudly, when a region cannot be restored', () => {
    const s = foldRollout([
      ...awaitingApproval,
      { type: 'RollbackStarted', data: { reason: 'gate', regions: ['canary'], attempt: 1 } },
      {
        type: 'RegionRolledBack',
        data: {
          region: 'canary',
          fromVersion: 'v2',
          toVersion: 'v1',
          configHash: null,
          outcome: 'FAILED',
          error: 'down',
        },
      },
      { type: 'RollbackFailed', data: { failedRegions: ['canary'], reason: 'gate' } },
    ]);
    expect(s.status).toBe('ROLLBACK_FAILED');
    expect(s.regions.canary).toBe('ROLLBACK_FAILED');
  });
});

describe('rollout commands (decide)', () => {
  it('approves the wave that awaits approval', () =>
    given(...awaitingApproval)
      .when({ type: 'ApproveWave', wave: 1, approver: 'bob', comment: 'lgtm' })
      .then([{ type: 'ApprovalGranted', data: { wave: 1, approver: 'bob', comment: 'lgtm' } }]));

  it('rejects approval by the requester (separation of duties)', () =>
    given(...awaitingApproval)
      .when({ type: 'ApproveWave', wave: 1, approver: 'alice' })
      .thenRejects(ErrorCode.Forbidden, /alice requested this rollout and cannot also approve it/));

  it('rejects a stale wave number', () =>
    given(...awaitingApproval)
      .when({ type: 'ApproveWave', wave: 2, approver: 'bob' })
      .thenRejects(ErrorCode.InvalidState, /wave 2 is not awaiting approval; wave 1 is/));

  it('rejects approval while nothing awaits it', () =>
    given(requested, planned, passed, waveStarted(1, ['canary']))
      .when({ type: 'ApproveWave', wave: 1, approver: 'bob' })
      .thenRejects(ErrorCode.InvalidState, /wave 1 is not awaiting approval/));

  it('pauses a rolling rollout and resumes a paused one', () => {
    given(requested, planned, passed)
      .when({ type: 'PauseRollout', by: 'bob', reason: 'lunch' })
      .then([{ type: 'RolloutPaused', data: { by: 'bob', reason: 'lunch' } }]);
    given(requested, planned, passed, { type: 'RolloutPaused', data: { by: 'bob', reason: 'lunch' } })
      .when({ type: 'ResumeRollout', by: 'bob' })
      .then([{ type: 'RolloutResumed', data: { by: 'bob' } }]);
  });

  it('refuses to resume what is not paused, and to pause twice', () => {
    given(requested, planned, passed)
      .when({ type: 'ResumeRollout', by: 'bob' })
      .thenRejects(ErrorCode.InvalidState, /only a paused rollout/);
    given(requested, planned, passed, { type: 'RolloutPaused', data: { by: 'bob', reason: 'x' } })
      .when({ type: 'PauseRollout', by: 'bob', reason: 'again' })
      .thenRejects(ErrorCode.InvalidState, /already paused/);
  });

  it('aborts an active rollout but not one that already stopped', () => {
    given(...awaitingApproval)
      .when({ type: 'AbortRollout', by: 'bob', reason: 'wrong config' })
      .then([{ type: 'RolloutAborted', data: { by: 'bob', reason: 'wrong config' } }]);
    given(...awaitingApproval, { type: 'RolloutAborted', data: { by: 'bob', reason: 'x' } })
      .when({ type: 'AbortRollout', by: 'carol', reason: 'y' })
      .thenRejects(ErrorCode.InvalidState, /nothing to abort/);
  });

  it('halts from monitoring, once', () => {
    given(...awaitingApproval)
      .when({ type: 'HaltRollout', by: 'alertmanager', source: 'alertmanager', reason: 'HighErrorRate' })
      .then([{ type: 'RolloutHalted', data: { by: 'alertmanager', source: 'alertmanager', reason: 'HighErrorRate' } }]);
    given(...awaitingApproval, { type: 'RolloutHalted', data: { by: 'am', source: 'am', reason: 'x' } })
      .when({ type: 'HaltRollout', by: 'am', source: 'am', reason: 'x' })
      .thenRejects(ErrorCode.InvalidState, /nothing to halt/);
  });

  it('retries only a failed rollback', () => {
    given(...awaitingApproval)
      .when({ type: 'RetryRollback', by: 'admin' })
      .thenRejects(ErrorCode.InvalidState, /only a failed rollback/);
    given(...awaitingApproval, { type: 'RollbackFailed', data: { failedRegions: ['canary'], reason: 'x' } })
      .when({ type: 'RetryRollback', by: 'admin' })
      .then([]);
  });
});

const rollbackFailed: RolloutEvent[] = [
  ...awaitingApproval,
  { type: 'RolloutHalted', data: { by: 'am', source: 'am', reason: 'x' } },
  { type: 'RollbackStarted', data: { reason: 'x', regions: ['canary'], attempt: 1 } },
  {
    type: 'RegionRolledBack',
    data: { region: 'canary', fromVersion: 'v2', toVersion: 'v1', configHash: null, outcome: 'FAILED', error: '422' },
  },
  { type: 'RollbackFailed', data: { failedRegions: ['canary'], reason: 'x' } },
];

describe('the exits from ROLLBACK_FAILED (decide, evolve)', () => {
  it('refuses abort and halt with ROLLBACK_FAILED, naming the failed regions and the exits', () => {
    given(...rollbackFailed)
      .when({ type: 'AbortRollout', by: 'carol', reason: 'stop' })
      .thenRejects(ErrorCode.RollbackFailed, /canary.*retryRollback.*resolveRegion.*abandonRollout/);
    given(...rollbackFailed)
      .when({ type: 'HaltRollout', by: 'am', source: 'am', reason: 'x' })
      .thenRejects(ErrorCode.RollbackFailed, /nothing to halt/);
  });

  it('resolves a failed region by hand, with the actor and a note, and only a failed one', () => {
    given(...rollbackFailed)
      .when({ type: 'ResolveRegion', by: 'oncall', region: 'canary', note: 'hotfixed' })
      .then([{ type: 'RegionResolved', data: { region: 'canary', by: 'oncall', note: 'hotfixed' } }]);
    given(...rollbackFailed)
      .when({ type: 'ResolveRegion', by: 'oncall', region: 'a', note: 'x' })
      .thenRejects(ErrorCode.InvalidState, /no failed restore to resolve/);
    given(...rollbackFailed)
      .when({ type: 'ResolveRegion', by: 'oncall', region: 'canary', note: ' ' })
      .thenRejects(ErrorCode.BadUserInput, /say what was done/);
    given(...awaitingApproval)
      .when({ type: 'ResolveRegion', by: 'oncall', region: 'canary', note: 'x' })
      .thenRejects(ErrorCode.InvalidState, /only a region of a failed rollback/);
    const s = foldRollout([
      ...rollbackFailed,
      { type: 'RegionResolved', data: { region: 'canary', by: 'oncall', note: 'hotfixed' } },
      { type: 'RolloutRolledBack', data: { regions: ['canary'], reason: 'x', resolvedRegions: ['canary'] } },
    ]);
    expect(s).toMatchObject({ status: 'ROLLED_BACK', regions: { canary: 'RESOLVED' } });
  });

  it('abandons only a failed rollback, listing what was never restored; ABANDONED is final', () => {
    given(...rollbackFailed)
      .when({ type: 'AbandonRollout', by: 'oncall', reason: 'fix forward' })
      .then([
        { type: 'RolloutAbandoned', data: { by: 'oncall', reason: 'fix forward', unrestoredRegions: ['canary'] } },
      ]);
    given(...awaitingApproval)
      .when({ type: 'AbandonRollout', by: 'oncall', reason: 'x' })
      .thenRejects(ErrorCode.InvalidState, /abort a running one instead/);
    const s = foldRollout([
      ...rollbackFailed,
      { type: 'RolloutAbandoned', data: { by: 'oncall', reason: 'x', unrestoredRegions: ['canary'] } },
    ]);
    expect(s.status).toBe('ABANDONED');
    expect(isFinal(s.status)).toBe(true);
  });
});

describe('freeze holds (evolve)', () => {
  it('shows the freeze while held, and clears it on release or when a rollback starts', () => {
    const freeze = { kind: 'WINDOW' as const, reason: 'quarter close', from: 's', until: 'e' };
    const held = foldRollout([...awaitingApproval, { type: 'RolloutHeld', data: { wave: 2, freeze } }]);
    expect(held.hold).toEqual(freeze);
    expect(foldRollout([{ type: 'RolloutReleased', data: { wave: 2 } }], held).hold).toBeNull();
    const rollingBack = foldRollout(
      [{ type: 'RollbackStarted', data: { reason: 'x', regions: ['canary'], attempt: 1 } }],
      held,
    );
    expect(rollingBack.hold).toBeNull();
  });
});

describe('touched regions', () => {
  it('follow the plan order, whatever the key order of the stored state', () => {
    const state = foldRollout([
      ...awaitingApproval,
      { type: 'WaveCompleted', data: { wave: 1 } },
      waveStarted(2, ['a', 'b']),
      pushed('b', 2),
      pushed('a', 2),
    ]);
    const reordered = { ...state, regions: { b: state.regions.b, canary: state.regions.canary, a: state.regions.a } };
    expect(touchedRegions(state)).toEqual(['canary', 'a', 'b']);
    expect(touchedRegions(reordered)).toEqual(['canary', 'a', 'b']);
  });
});

describe('finished (isFinal)', () => {
  it('is true for SUCCEEDED, ROLLED_BACK, ABORTED, FAILED and ABANDONED only; ROLLBACK_FAILED waits for a person', () => {
    expect(ROLLOUT_STATUSES.filter(isFinal)).toEqual(['SUCCEEDED', 'ROLLED_BACK', 'ABORTED', 'FAILED', 'ABANDONED']);
  });

  it('follows the events that finish a rollout, from whatever state came before', () => {
    const finishing: RolloutEvent[] = [
      { type: 'RolloutSucceeded', data: { version: 'v2', regions: ['canary', 'a', 'b'] } },
      { type: 'RolloutRolledBack', data: { regions: ['canary'], reason: 'x' } },
      { type: 'PrecheckFailed', data: { check: 'plan', code: 'PLAN_INVALID', reason: 'x' } },
      { type: 'RolloutFailed', data: { reason: 'x', code: 'X' } },
    ];
    for (const event of finishing) {
      expect(isFinal(foldRollout([event]).status)).toBe(true);
      expect(isFinal(foldRollout([...awaitingApproval, event]).status)).toBe(true);
    }
    const rollbackFailed = foldRollout([
      ...awaitingApproval,
      { type: 'RollbackFailed', data: { failedRegions: ['canary'], reason: 'x' } },
    ]);
    expect(isFinal(rollbackFailed.status)).toBe(false);
    expect(isFinal(foldRollout(awaitingApproval).status)).toBe(false);
  });
});
