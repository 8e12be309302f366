import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RolloutState } from '../libs/domain/src/rollout/rollout-state';

// The rollout workflow's messages, imported by the workflow and by every client.
// Updates where the caller needs an answer (accepted or why not); a signal for halts from
// monitoring, which are fire-and-forget and may arrive more than once.

/**
 * The liveState query's answer: the domain's state as the workflow holds it. Its identity is
 * never null here: the workflow records RolloutRequested before it answers anything.
 */
export type LiveState = RolloutState & { rolloutId: string; service: string; version: string; requestedBy: string };

/** The answer to an accepted control: where the rollout is now. */
export type ControlAck = Pick<RolloutState, 'status' | 'wave' | 'phase'>;

export function controlAck(state: ControlAck): ControlAck {
  return { status: state.status, wave: state.wave, phase: state.phase };
}

export interface HaltRequest {
  reason: string;
  source: string;
  by: string;
  alert?: Record<string, unknown>;
}

export const liveStateQuery = defineQuery<LiveState>('liveState');
export const pauseUpdate = defineUpdate<ControlAck, [{ by: string; reason: string }]>('pause');
export const resumeUpdate = defineUpdate<ControlAck, [{ by: string }]>('resume');
export const abortUpdate = defineUpdate<ControlAck, [{ by: string; reason: string }]>('abort');
export const approveWaveUpdate = defineUpdate<ControlAck, [{ wave: number; approver: string; comment?: string }]>(
  'approveWave',
);
export const retryRollbackUpdate = defineUpdate<ControlAck, [{ by: string }]>('retryRollback');
export const haltSignal = defineSignal<[HaltRequest]>('halt');

/** A halt from monitoring that may name the region it is about. */
export interface RegionHaltRequest extends HaltRequest {
  region?: string;
}

export interface HaltResult {
  /**
   * HALTED is the update's answer. NOT_AFFECTED (the rollout has not touched the region) and
   * NOT_RUNNING (it no longer moves forward) come back as the validator's refusal: an
   * ApplicationFailure of that type whose details carry `{rolloutId}`.
   */
  outcome: 'HALTED' | 'NOT_AFFECTED' | 'NOT_RUNNING';
  rolloutId: string;
}

/**
 * The halt as one round trip: the workflow itself decides whether the alert's region is one
 * it touched, halts if so, and answers once the halt is recorded. Monitoring's deliveries use
 * it; the `halt` signal stays for workflows started before it existed.
 */
export const haltIfAffectedUpdate = defineUpdate<HaltResult, [RegionHaltRequest]>('haltIfAffected');
