import type { CanaryEvidence, ScenarioEvidence } from '../gates/gate-spec';
import type { RolloutPlan } from '../plan/rollout-plan';
import type { FreezeHold } from '../service/freeze-window';
import type { GateVerdict, RolloutEvent } from './rollout.events';

export const ROLLOUT_STATUSES = [
  'PENDING',
  'PRECHECKING',
  'ROLLING',
  'PAUSED',
  'SUCCEEDED',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
  'ABORTED',
  'FAILED',
  'ABANDONED',
] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

export const WAVE_PHASES = ['PUSHING', 'VERIFYING', 'BAKING', 'AWAITING_APPROVAL'] as const;
export type WavePhase = (typeof WAVE_PHASES)[number];

/** RESOLVED: its restore failed and a person fixed it by hand (resolveRegion). */
export const REGION_STATES = ['PENDING', 'PUSHED', 'VERIFIED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'RESOLVED'] as const;
export type RegionState = (typeof REGION_STATES)[number];

const FINAL_STATUSES: ReadonlySet<RolloutStatus> = new Set([
  'SUCCEEDED',
  'ROLLED_BACK',
  'ABORTED',
  'FAILED',
  'ABANDONED',
]);

/**
 * Whether the rollout has finished: nothing more will happen to it. ROLLBACK_FAILED is not
 * final, it waits for a person (retryRollback, resolveRegion, abandonRollout). The one answer
 * to "is it finished?" everywhere.
 */
export function isFinal(status: RolloutStatus): boolean {
  return FINAL_STATUSES.has(status);
}

/** Statuses in which the rollout still moves forward. */
export const ACTIVE_STATUSES: readonly RolloutStatus[] = ['PENDING', 'PRECHECKING', 'ROLLING', 'PAUSED'];

export interface GateResult {
  wave: number;
  gate: string;
  region: string;
  verdict: GateVerdict;
  value?: number | string;
  detail: string;
  /** Canary gates: the numbers behind the verdict. */
  evidence?: CanaryEvidence;
  /** Scenario gates: each customer's verdict. */
  scenario?: ScenarioEvidence;
}

export interface ControlAction {
  action: 'PAUSED' | 'RESUMED' | 'APPROVED' | 'ABORTED' | 'HALTED';
  by: string;
  wave: number;
  detail: string;
}

export interface RolloutState {
  status: RolloutStatus;
  /** Phase of the current wave while ROLLING or PAUSED; null between waves. */
  phase: WavePhase | null;
  /** Current wave, 1-based; 0 before the first. */
  wave: number;
  rolloutId: string | null;
  service: string | null;
  version: string | null;
  requestedBy: string | null;
  plan: RolloutPlan | null;
  regions: Record<string, RegionState>;
  /** Latest verdict per gate and region. */
  gates: GateResult[];
  actions: ControlAction[];
  /** Why the rollout stopped moving forward (halt, abort, gate or push failure). */
  stopReason: string | null;
  aborted: boolean;
  rollbackAttempt: number;
  /** The freeze the rollout waits on before its next wave; null when nothing holds it. */
  hold: FreezeHold | null;
}

export const initialRolloutState: RolloutState = {
  status: 'PENDING',
  phase: null,
  wave: 0,
  rolloutId: null,
  service: null,
  version: null,
  requestedBy: null,
  plan: null,
  regions: {},
  gates: [],
  actions: [],
  stopReason: null,
  aborted: false,
  rollbackAttempt: 0,
  hold: null,
};

const setRegion = (state: RolloutState, region: string, value: RegionState) => ({
  ...state.regions,
  [region]: value,
});

/** Applies one event. Pure: the workflow, the gateway and projections all fold the same way. */
export function evolve(state: RolloutState, event: RolloutEvent): RolloutState {
  switch (event.type) {
    case 'RolloutRequested':
      return {
        ...state,
        status: 'PENDING',
        rolloutId: event.data.rolloutId,
        service: event.data.service,
        version: event.data.version,
        requestedBy: event.data.requestedBy,
        regions: Object.fromEntries(event.data.regions.map((r) => [r, 'PENDING' as const])),
      };
    // A pause accepted before or during the prechecks holds through them: the rollout stays
    // PAUSED and stops before its first wave.
    case 'RolloutPlanned':
      return { ...state, status: state.status === 'PAUSED' ? 'PAUSED' : 'PRECHECKING', plan: event.data.plan };
    case 'PrecheckPassed':
      return { ...state, status: state.status === 'PAUSED' ? 'PAUSED' : 'ROLLING' };
    case 'PrecheckFailed':
      return { ...state, status: 'FAILED', stopReason: `${event.data.check}: ${event.data.reason}` };
    case 'WaveStarted':
      return { ...state, wave: event.data.wave, phase: 'PUSHING' };
    case 'RegionConfigPushed': {
      const regions = setRegion(state, event.data.region, 'PUSHED');
      const wave = state.plan?.waves[state.wave - 1];
      const allPushed = wave?.regions.every((r) => regions[r] === 'PUSHED' || regions[r] === 'VERIFIED') ?? false;
      return { ...state, regions, phase: allPushed && state.phase === 'PUSHING' ? 'VERIFYING' : state.phase };
    }
    case 'RegionConfigVerified': {
      const regions = setRegion(state, event.data.region, 'VERIFIED');
      const wave = state.plan?.waves[state.wave - 1];
      const allVerified = wave?.regions.every((r) => regions[r] === 'VERIFIED') ?? false;
      return { ...state, regions, phase: allVerified ? 'BAKING' : state.phase };
    }
    case 'HealthGateEvaluated': {
      const { wave, gate, region, verdict, value, detail, evidence, scenario } = event.data;
      const others = state.gates.filter((g) => !(g.gate === gate && g.region === region));
      const latest = {
        wave,
        gate,
        region,
        verdict,
        value,
        detail,
        ...(evidence ? { evidence } : {}),
        ...(scenario ? { scenario } : {}),
      };
      return { ...state, gates: [...others, latest] };
    }
    case 'ApprovalRequested':
      return { ...state, phase: 'AWAITING_APPROVAL' };
    case 'ApprovalGranted':
      return {
        ...state,
        phase: null,
        actions: [
          ...state.actions,
          { action: 'APPROVED', by: event.data.approver, wave: event.data.wave, detail: event.data.comment ?? '' },
        ],
      };
    case 'WaveCompleted':
      return { ...state, phase: null };
    case 'RolloutPaused':
      return {
        ...state,
        status: 'PAUSED',
        actions: [
          ...state.actions,
          { action: 'PAUSED', by: event.data.by, wave: state.wave, detail: event.data.reason },
        ],
      };
    case 'RolloutResumed':
      return {
        ...state,
        status: 'ROLLING',
        actions: [...state.actions, { action: 'RESUMED', by: event.data.by, wave: state.wave, detail: '' }],
      };
    case 'RolloutHalted':
      return {
        ...state,
        stopReason: `halted by ${event.data.source}: ${event.data.reason}`,
        actions: [
          ...state.actions,
          { action: 'HALTED', by: event.data.by, wave: state.wave, detail: event.data.reason },
        ],
      };
    case 'HaltAssessed':
      return state;
    case 'RolloutAborted':
      return {
        ...state,
        aborted: true,
        stopReason: `aborted by ${event.data.by}: ${event.data.reason}`,
        actions: [
          ...state.actions,
          { action: 'ABORTED', by: event.data.by, wave: state.wave, detail: event.data.reason },
        ],
      };
    case 'RollbackStarted':
      return {
        ...state,
        status: 'ROLLING_BACK',
        phase: null,
        hold: null,
        stopReason: state.stopReason ?? event.data.reason,
        rollbackAttempt: event.data.attempt,
      };
    case 'RegionRolledBack':
      return {
        ...state,
        regions: setRegion(
          state,
          event.data.region,
          event.data.outcome === 'RESTORED' ? 'ROLLED_BACK' : 'ROLLBACK_FAILED',
        ),
      };
    case 'RolloutRolledBack':
      return { ...state, status: state.aborted ? 'ABORTED' : 'ROLLED_BACK', hold: null };
    case 'RollbackFailed':
      return { ...state, status: 'ROLLBACK_FAILED' };
    case 'RolloutSucceeded':
      return { ...state, status: 'SUCCEEDED', phase: null };
    case 'RolloutFailed':
      return { ...state, status: 'FAILED', phase: null, stopReason: state.stopReason ?? event.data.reason };
    case 'RegionRestoreRefused':
    case 'RegionRestoreForced':
      return state;
    case 'RegionResolved':
      return { ...state, regions: setRegion(state, event.data.region, 'RESOLVED') };
    case 'RolloutAbandoned':
      return { ...state, status: 'ABANDONED', phase: null, hold: null };
    case 'RolloutHeld':
      return { ...state, hold: event.data.freeze };
    case 'RolloutReleased':
      return { ...state, hold: null };
    default: {
      // Exhaustive at compile time. At run time an event type this code does not know (a newer
      // writer's, or another stream's in the same store) leaves the state as it was: returning
      // the event itself as the state stopped the rollouts projection for every stream after it.
      const unknown: never = event;
      void unknown;
      return state;
    }
  }
}

export function foldRollout(events: readonly RolloutEvent[], from: RolloutState = initialRolloutState): RolloutState {
  return events.reduce(evolve, from);
}

/**
 * Regions the new version reached, in plan order. Never relies on the key order of
 * `state.regions`: a state that went through PostgreSQL's jsonb comes back with its keys
 * re-sorted.
 */
export function touchedRegions(state: RolloutState): string[] {
  const order = state.plan?.waves.flatMap((w) => w.regions) ?? Object.keys(state.regions).sort();
  return order.filter((name) => state.regions[name] !== undefined && state.regions[name] !== 'PENDING');
}
