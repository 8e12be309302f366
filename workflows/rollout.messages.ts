import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RegionServed } from '../libs/domain/src/rollout/rollout.events';
import type { RolloutState } from '../libs/domain/src/rollout/rollout-state';
import type { EmergencyFreeze } from '../libs/domain/src/service/freeze-window';

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

/** Where a halt came from: an Alertmanager webhook, `POST /hooks/halt`, or the API's `haltRollout`. */
export type HaltSource = 'alertmanager' | 'hook' | 'api';

export interface HaltRequest {
  reason: string;
  source: HaltSource | string;
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
/** A region a retry left alone (code REGION_CHANGED): it changed since the failed restore. */
export interface RefusedRegion {
  region: string;
  code: 'REGION_CHANGED';
  message: string;
  serves: RegionServed;
}

/** The retry's answer: where the rollout is now, and each region it refused to overwrite (absent in older runs). */
export type RetryRollbackAck = ControlAck & { refused?: RefusedRegion[] };

/**
 * Retries the failed restores. From the `rollback-exits` patch on, each failed region is read
 * first: one that serves neither what Sluice pushed nor what the restore puts back changed by
 * hand since, and is refused unless `force`.
 */
export const retryRollbackUpdate = defineUpdate<RetryRollbackAck, [{ by: string; force?: boolean }]>('retryRollback');
/** Marks a region whose restore failed as fixed by hand; the last one ends the rollout ROLLED_BACK. */
export const resolveRegionUpdate = defineUpdate<ControlAck, [{ by: string; region: string; note: string }]>(
  'resolveRegion',
);
/** Ends a rollout in ROLLBACK_FAILED (ABANDONED) and frees its service. */
export const abandonUpdate = defineUpdate<ControlAck, [{ by: string; reason: string }]>('abandon');
/**
 * An emergency freeze reaches a running rollout: it holds before its next push until the freeze
 * is lifted or ends. Kept in the run state, so it survives a continue-as-new. Rollbacks ignore it.
 */
export const freezeUpdate = defineUpdate<FreezeAck, [EmergencyFreeze]>('freeze');
export const liftFreezeUpdate = defineUpdate<FreezeAck, [{ id: string; by: string }]>('liftFreeze');

/** A freeze or a lift reached this rollout: which one, and where it is now. */
export type FreezeAck = ControlAck & { rolloutId: string };
export const haltSignal = defineSignal<[HaltRequest]>('halt');

/** A halt from monitoring that may name the region it is about. */
export interface RegionHaltRequest extends HaltRequest {
  region?: string;
  /** When the condition began (an alert's startsAt). A halt without it is about now. */
  startsAt?: string;
  /** When monitoring last said it still holds (the latest notification of the alert). */
  lastSeenAt?: string;
}

/**
 * What became of a halt, end to end: the workflow's answer, the outbox's row, the webhook's
 * metric and the API's result all use these.
 * - HALTED: this rollout stopped and rolls back.
 * - NOT_AFFECTED: the rollout has not touched the alert's region.
 * - NO_RUNNING_ROLLOUT: nothing moves forward (none running, or it already stopped).
 * - STALE: the alert began before this rollout and has not been seen firing since, or names
 *   no region this rollout touched (it belongs to an earlier change).
 * - UNMATCHED: the alert names a service or region Sluice does not know (the gateway's call,
 *   before any workflow is asked).
 * - PAUSED: the service's onIncident policy judged the alert LIKELY_EXTERNAL and paused the
 *   running rollouts in its regions instead (the gateway's call; no workflow answers it).
 */
export const HALT_OUTCOMES = ['HALTED', 'NOT_AFFECTED', 'NO_RUNNING_ROLLOUT', 'STALE', 'UNMATCHED', 'PAUSED'] as const;
export type HaltOutcome = (typeof HALT_OUTCOMES)[number];

export interface HaltResult {
  /**
   * HALTED is the update's answer. NOT_AFFECTED, NO_RUNNING_ROLLOUT and STALE come back as the
   * validator's refusal: an ApplicationFailure of that type whose details carry `{rolloutId}`.
   * (Workers before STALE refused with NOT_RUNNING for NO_RUNNING_ROLLOUT.)
   */
  outcome: 'HALTED';
  rolloutId: string;
  /** False when the halt is in the workflow's history but PostgreSQL has not stored it yet. */
  recorded?: boolean;
}

/**
 * The halt as one round trip: the workflow itself decides whether the alert's region is one
 * it touched, halts if so, and answers once the halt is recorded. Monitoring's deliveries use
 * it; the `halt` signal stays for workflows started before it existed.
 */
export const haltIfAffectedUpdate = defineUpdate<HaltResult, [RegionHaltRequest]>('haltIfAffected');
