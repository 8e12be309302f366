import { ErrorCode, SluiceError } from '../errors';
import type { RolloutEvent } from './rollout.events';
import { ACTIVE_STATUSES, type RolloutState } from './rollout-state';

export type RolloutCommand =
  | { type: 'PauseRollout'; by: string; reason: string }
  | { type: 'ResumeRollout'; by: string }
  | { type: 'AbortRollout'; by: string; reason: string }
  | { type: 'HaltRollout'; by: string; reason: string; source: string; alert?: Record<string, unknown> }
  | { type: 'ApproveWave'; wave: number; approver: string; comment?: string }
  | { type: 'RetryRollback'; by: string };

function invalid(state: RolloutState, message: string): SluiceError {
  return new SluiceError(ErrorCode.InvalidState, `${message} (rollout is ${state.status})`, {
    status: state.status,
    wave: state.wave,
    phase: state.phase,
  });
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
  if (!ACTIVE_STATUSES.includes(state.status) || state.aborted || state.stopReason !== null) {
    throw invalid(state, 'the rollout is no longer moving forward, so there is nothing to abort');
  }
  return [{ type: 'RolloutAborted', data: { by, reason } }];
}

function halt(state: RolloutState, command: Extract<RolloutCommand, { type: 'HaltRollout' }>): RolloutEvent[] {
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

/**
 * Decides whether a control command is allowed now and which events it produces. Throws
 * INVALID_STATE (or FORBIDDEN for self-approval) with a message a person can act on.
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
    default: {
      const unreachable: never = command;
      return unreachable;
    }
  }
}
