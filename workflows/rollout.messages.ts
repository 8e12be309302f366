import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ControlAction,
  GateResult,
  RegionState,
  RolloutStatus,
  WavePhase,
} from '../libs/domain/src/rollout/rollout-state';
import type { RolloutPlan } from '../libs/domain/src/plan/rollout-plan';

/**
 * The rollout workflow's messages, imported by the workflow and by every client.
 * Updates where the caller needs an answer (accepted or why not); a signal for halts from
 * monitoring, which are fire-and-forget and may arrive more than once.
 */
export interface LiveState {
  rolloutId: string;
  service: string;
  version: string;
  status: RolloutStatus;
  wave: number;
  phase: WavePhase | null;
  plan: RolloutPlan | null;
  regions: Record<string, RegionState>;
  gates: GateResult[];
  actions: ControlAction[];
  requestedBy: string;
  stopReason: string | null;
  rollbackAttempt: number;
}

export interface ControlAck {
  status: RolloutStatus;
  wave: number;
  phase: WavePhase | null;
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
