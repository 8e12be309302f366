import type { CanaryEvidence, ScenarioEvidence } from '../gates/gate-spec';
import type { ChangeAssessment } from '../insight/change-assessment';
import type { RolloutPlan } from '../plan/rollout-plan';
import type { FreezeHold } from '../service/freeze-window';
import type { TargetKind } from '../service/target-kind';

/**
 * Domain events of one rollout, past tense, one stream per rollout (stream id = rollout id).
 * `data` holds the facts a person needs later; the actor and Temporal ids live in the metadata.
 */
type Event<T extends string, D> = { type: T; data: D };

/** CONTINUE: a sequential judge has no verdict yet. */
export type GateVerdict = 'PASS' | 'FAIL' | 'NO_DATA' | 'CONTINUE';

export type RolloutRequested = Event<
  'RolloutRequested',
  {
    rolloutId: string;
    service: string;
    version: string;
    requestedBy: string;
    requestedAt: string;
    regions: string[];
    /** Each region's kind of deployment target (absent on events recorded before kinds were). */
    targets?: Record<string, TargetKind>;
    /** An admin started the change although it broke redundancy rules set to error (docs/REDUNDANCY.md). */
    redundancyOverride?: RedundancyOverride;
    /** Regions given their own config (overrides, a template), each to its document's hash. */
    regionConfigHashes?: Record<string, string>;
    /** The versions (hashes of their text) of the customer scenarios its scenario gates run. */
    scenarioVersions?: Record<string, string>;
  }
>;
export interface RedundancyOverride {
  reason: string;
  by: string;
  /** The rules it broke, as `RULE: message`. */
  violations: string[];
}
export type RolloutPlanned = Event<'RolloutPlanned', { plan: RolloutPlan; source: 'strategy' | 'explicit' }>;
export type PrecheckPassed = Event<'PrecheckPassed', { checks: string[] }>;
export type PrecheckFailed = Event<
  'PrecheckFailed',
  { check: string; code: string; reason: string; regions?: string[] }
>;
export type WaveStarted = Event<'WaveStarted', { wave: number; regions: string[] }>;
export type RegionConfigPushed = Event<
  'RegionConfigPushed',
  {
    region: string;
    /** 0 for events recorded before plans had waves (schema version 1). */
    wave: number;
    version: string;
    previousVersion: string | null;
    configHash: string;
    /** False when the region already ran this version with this config (idempotent re-push). */
    changed: boolean;
    /**
     * The push's activity failed, but the rollback found this version on the region: the push
     * had landed. Recorded then, just before the region's restore (absent on ordinary pushes).
     */
    foundByRestore?: boolean;
  }
>;
export type RegionConfigVerified = Event<
  'RegionConfigVerified',
  { region: string; wave: number; version: string; configHash: string }
>;
export type HealthGateEvaluated = Event<
  'HealthGateEvaluated',
  {
    wave: number;
    gate: string;
    kind: string;
    region: string;
    verdict: GateVerdict;
    value?: number | string;
    detail: string;
    /** What was evaluated, e.g. the PromQL with the region filled in. */
    query?: string;
    /** For NO_DATA: the gate's policy (fail, pause, pass). */
    noData?: string;
    /** Prometheus gates: `value <comparison> threshold` passes (absent before they were recorded). */
    comparison?: string;
    threshold?: number;
    /** Canary gates: the numbers behind the verdict. */
    evidence?: CanaryEvidence;
    /** Scenario gates: each customer's verdict, the scenario versions and the runs' cost. */
    scenario?: ScenarioEvidence;
  }
>;
export type WaveCompleted = Event<'WaveCompleted', { wave: number }>;
export type ApprovalRequested = Event<'ApprovalRequested', { wave: number }>;
export type ApprovalGranted = Event<'ApprovalGranted', { wave: number; approver: string; comment?: string }>;
export type RolloutPaused = Event<'RolloutPaused', { by: string; reason: string }>;
export type RolloutResumed = Event<'RolloutResumed', { by: string }>;
export type RolloutHalted = Event<
  'RolloutHalted',
  { reason: string; source: string; by: string; alert?: Record<string, unknown> }
>;
/**
 * Why a halt happened, judged after the fact: the regions the rollout had changed against
 * those it had not, from the first push to the halt. Recorded while the rollback runs, before
 * it ends, so the halt never waits for metrics.
 */
export type HaltAssessed = Event<'HaltAssessed', ChangeAssessment>;
export type RolloutAborted = Event<'RolloutAborted', { by: string; reason: string }>;
export type RollbackStarted = Event<
  'RollbackStarted',
  { reason: string; regions: string[]; attempt: number; /** Who asked for a retry (attempt > 1). */ by?: string }
>;
export type RegionRolledBack = Event<
  'RegionRolledBack',
  {
    region: string;
    fromVersion: string;
    toVersion: string | null;
    /** Hash of the config restored; null when the region was cleared or the restore failed. */
    configHash: string | null;
    outcome: 'RESTORED' | 'FAILED';
    error?: string;
    /**
     * The region never served the rollout's version (its push never landed): the restore only
     * fenced late writes, `fromVersion` is what the rollout would have pushed, not what it served.
     * Absent on older events and on regions that took the change.
     */
    neverServedNewVersion?: boolean;
  }
>;
export type RolloutRolledBack = Event<
  'RolloutRolledBack',
  {
    regions: string[];
    reason: string;
    /** Regions a person marked resolved instead of a restore (resolveRegion); absent when none. */
    resolvedRegions?: string[];
  }
>;
/** What a region served when a retry read it: neither what Sluice pushed nor what the restore puts back. */
export interface RegionServed {
  version: string | null;
  configHash: string | null;
}
/**
 * A retry left a region alone: it changed since the failed restore (someone fixed it by
 * hand), and the retry was not forced. The region stays ROLLBACK_FAILED.
 */
export type RegionRestoreRefused = Event<
  'RegionRestoreRefused',
  { region: string; code: 'REGION_CHANGED'; serves: RegionServed; by: string }
>;
/** A forced retry restores a region that changed since the failed restore, overwriting what it served. */
export type RegionRestoreForced = Event<'RegionRestoreForced', { region: string; serves: RegionServed; by: string }>;
/** A person says a region whose restore failed is fixed by hand; no restore runs for it any more. */
export type RegionResolved = Event<'RegionResolved', { region: string; by: string; note: string }>;
/** A rollout in ROLLBACK_FAILED given up by a person: final, the service is free for a fix-forward. */
export type RolloutAbandoned = Event<
  'RolloutAbandoned',
  { by: string; reason: string; /** Regions left as they were, never restored. */ unrestoredRegions: string[] }
>;
/** The rollout waits before a wave's push: a freeze window or an emergency freeze covers it. */
export type RolloutHeld = Event<'RolloutHeld', { wave: number; freeze: FreezeHold }>;
/** The freeze that held the rollout ended or was lifted: the wave's push goes ahead. */
export type RolloutReleased = Event<'RolloutReleased', { wave: number }>;
export type RollbackFailed = Event<'RollbackFailed', { failedRegions: string[]; reason: string }>;
export type RolloutSucceeded = Event<'RolloutSucceeded', { version: string; regions: string[] }>;
/** A failure with nothing left to undo (nothing was changed). */
export type RolloutFailed = Event<'RolloutFailed', { reason: string; code: string; region?: string }>;

export type RolloutEvent =
  | RolloutRequested
  | RolloutPlanned
  | PrecheckPassed
  | PrecheckFailed
  | WaveStarted
  | RegionConfigPushed
  | RegionConfigVerified
  | HealthGateEvaluated
  | WaveCompleted
  | ApprovalRequested
  | ApprovalGranted
  | RolloutPaused
  | RolloutResumed
  | RolloutHalted
  | HaltAssessed
  | RolloutAborted
  | RollbackStarted
  | RegionRolledBack
  | RolloutRolledBack
  | RollbackFailed
  | RolloutSucceeded
  | RolloutFailed
  | RegionRestoreRefused
  | RegionRestoreForced
  | RegionResolved
  | RolloutAbandoned
  | RolloutHeld
  | RolloutReleased;
export type RolloutEventType = RolloutEvent['type'];
