import { ErrorCode, SluiceError } from '../errors';
import type { RolloutEvent } from './rollout.events';
import { ACTIVE_STATUSES, type RolloutState } from './rollout-state';

export type RolloutCommand =
  | { type: 'PauseRollout'; by: string; reason: string }
  | { type: 'ResumeRollout'; by: string }
  | { type: 'AbortRollout'; by: string; reason: string }
  | { type: 'HaltRollout'; by: string; reason: string; source: string; alert?: Record<string, unknown> }
  | { type: 'ApproveWave'; wave: number; approver: string; comment?: string }
  | { type: 'RetryRollback'; by: string; force?: boolean }
  | { type: 'ResolveRegion'; by: string; region: string; note: string }
  | { type: 'AbandonRollout'; by: string; reason: string };

/** What a person may do with a rollout in ROLLBACK_FAILED: every refusal of another control names them. */
export const ROLLBACK_FAILED_EXITS = ['retryRollback', 'resolveRegion', 'abandonRollout'] as const;

function invalid(state: RolloutState, message: string): SluiceError {
  return new SluiceError(ErrorCode.InvalidState, `${message} (rollout is ${state.status})`, {
    status: state.status,
    wave: state.wave,
    phase: state.phase,
  });
}

function failedRegions(state: RolloutState): string[] {
  return Object.keys(state.regions)
    .filter((r) => state.regions[r] === 'ROLLBACK_FAILED')
    .sort();
}

/** A rollout in ROLLBACK_FAILED is already stopped: abort and halt answer with its exits instead. */
function rollbackFailed(state: RolloutState, refused: string): SluiceError {
  const regions = failedRegions(state);
  return new SluiceError(
    ErrorCode.RollbackFailed,
    `${refused}: the rollout already stopped and its rollback failed for ${regions.join(', ')}. ` +
      'Exits: retryRollback (force: true to overwrite a region changed since), resolveRegion for a region ' +
      'fixed by hand, abandonRollout to end the rollout and free the service',
    { status: state.status, failedRegions: regions, exits: [...ROLLBACK_FAILED_EXITS] },
  );
}

function pause(state: RolloutState, by: string, reason: string): RolloutEvent[] {
  if (state.status === 'PAUSED') throw invalid(state, 'the rollout is already paused');
  if (!ACTIVE_STATUSES.includes(state.status))
    throw invalid(state, 'only a rollout that is moving forward can be paused');
  return [{ type: 'RolloutPaused', data: { by, reason } }];
}

function resume(state: RolloutState, by: string): RolloutEvent[] {
  if (state.status !== 'PAUSED') throw invalid(state, 'only a paused rollout can be resumed');
  return [{ type: 'RolloutResumed', data: { by } }];
}

function abort(state: RolloutState, by: string, reason: string): RolloutEvent[] {
  if (state.status === 'ROLLBACK_FAILED') throw rollbackFailed(state, 'nothing to abort');
  if (!ACTIVE_STATUSES.includes(state.status) || state.aborted || state.stopReason !== null) {
    throw invalid(state, 'the rollout is no longer moving forward, so there is nothing to abort');
  }
  return [{ type: 'RolloutAborted', data: { by, reason } }];
}

function halt(state: RolloutState, command: Extract<RolloutCommand, { type: 'HaltRollout' }>): RolloutEvent[] {
  if (state.status === 'ROLLBACK_FAILED') throw rollbackFailed(state, 'nothing to halt');
  if (!ACTIVE_STATUSES.includes(state.status) || state.stopReason !== null) {
    throw invalid(state, 'the rollout is no longer moving forward, so there is nothing to halt');
  }
  const { by, reason, source, alert } = command;
  return [{ type: 'RolloutHalted', data: { by, reason, source, ...(alert ? { alert } : {}) } }];
}

function approve(state: RolloutState, wave: number, approver: string, comment?: string): RolloutEvent[] {
  if (state.phase !== 'AWAITING_APPROVAL' || state.stopReason !== null) {
    throw invalid(state, `wave ${wave} is not awaiting approval`);
  }
  if (wave !== state.wave) throw invalid(state, `wave ${wave} is not awaiting approval; wave ${state.wave} is`);
  if (approver === state.requestedBy) {
    throw new SluiceError(ErrorCode.Forbidden, `${approver} requested this rollout and cannot also approve it`, {
      approver,
      wave,
    });
  }
  return [{ type: 'ApprovalGranted', data: { wave, approver, ...(comment ? { comment } : {}) } }];
}

function retryRollback(state: RolloutState): RolloutEvent[] {
  if (state.status !== 'ROLLBACK_FAILED') throw invalid(state, 'only a failed rollback can be retried');
  return [];
}

function resolveRegion(state: RolloutState, by: string, region: string, note: string): RolloutEvent[] {
  if (state.status !== 'ROLLBACK_FAILED') throw invalid(state, 'only a region of a failed rollback can be resolved');
  if (state.regions[region] !== 'ROLLBACK_FAILED') {
    throw new SluiceError(
      ErrorCode.InvalidState,
      `region ${region} has no failed restore to resolve (it is ${state.regions[region] ?? 'not in this rollout'}); failed: ${failedRegions(state).join(', ')}`,
      { region, regionState: state.regions[region] ?? null, failedRegions: failedRegions(state) },
    );
  }
  if (note.trim() === '') {
    throw SluiceError.badInput('say what was done to the region', [{ field: 'note', message: 'must not be empty' }]);
  }
  return [{ type: 'RegionResolved', data: { region, by, note } }];
}

function abandon(state: RolloutState, by: string, reason: string): RolloutEvent[] {
  if (state.status !== 'ROLLBACK_FAILED') {
    throw invalid(state, 'only a rollout whose rollback failed can be abandoned; abort a running one instead');
  }
  return [{ type: 'RolloutAbandoned', data: { by, reason, unrestoredRegions: failedRegions(state) } }];
}

/**
 * Decides whether a control command is allowed now and which events it produces. Throws
 * INVALID_STATE (FORBIDDEN for self-approval, ROLLBACK_FAILED for an abort or a halt of a
 * failed rollback) with a message a person can act on.
 */
export function decide(command: RolloutCommand, state: RolloutState): RolloutEvent[] {
  switch (command.type) {
    case 'PauseRollout':
      return pause(state, command.by, command.reason);
    case 'ResumeRollout':
      return resume(state, command.by);
    case 'AbortRollout':
      return abort(state, command.by, command.reason);
    case 'HaltRollout':
      return halt(state, command);
    case 'ApproveWave':
      return approve(state, command.wave, command.approver, command.comment);
    case 'RetryRollback':
      return retryRollback(state);
    case 'ResolveRegion':
      return resolveRegion(state, command.by, command.region, command.note);
    case 'AbandonRollout':
      return abandon(state, command.by, command.reason);
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}
