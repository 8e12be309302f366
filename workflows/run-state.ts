import { initialRolloutState, type RolloutState } from '../libs/domain/src/rollout/rollout-state';
import type { EmergencyFreeze } from '../libs/domain/src/service/freeze-window';
import type { CanaryJudgeState } from '../libs/judge/src/canary-interval';
import type { RegionRef } from './activity-contracts';
import type { ScenarioGateState } from './scenario-evidence';

/**
 * What undoes one push: the region's config as it was just before it. Runs from the
 * `lean-history` patch on name the document by hash (its body is in `RunState.documents`);
 * earlier runs carry it inline.
 */
export interface Compensation extends RegionRef {
  /** The wave that pushed it (absent in runs before the wave was kept): rollback goes wave by wave. */
  wave?: number;
  version: string | null;
  config?: Record<string, unknown> | null;
  configHash?: string | null;
  /** The region's revision at that read: the push is conditioned on it (absent in older runs). */
  revision?: number;
  /** Whether its RegionConfigPushed had been emitted when the first restore began (kept for retries). */
  pushRecorded?: boolean;
}

/**
 * Everything a rollout run knows that its input does not, in one plain object that survives
 * JSON: the domain's state plus what only the workflow needs. A run continued as new starts
 * from it.
 */
export interface RunState {
  /** Folded from every event emitted so far: the live state, the controls' and the UI's source. */
  rollout: RolloutState;
  /** The stream's version after the last recorded batch (the next batch's expected version). */
  streamVersion: number;
  /** What undoes each push, oldest first; each is registered before the push it undoes. */
  compensations: Compensation[];
  /** Who asked to retry a failed rollback; null while no retry is pending. */
  retryRequestedBy: string | null;
  /** The regions the pending retry restores (a guarded retry leaves changed ones); null: every failed one. */
  retryRegions: string[] | null;
  /** Emergency freezes sent to this rollout and not lifted: it holds before its next push while one covers it. */
  freezes: EmergencyFreeze[];
  /** `wave/gate/region` of every pause for missing data already made (once each per wave). */
  pausedForNoData: string[];
  /** Each canary gate's judge per wave, keyed `wave/gate`: its e-processes and counter anchor. */
  canaryJudges: Record<string, CanaryJudgeState>;
  /** Each scenario gate's judge per wave, keyed `wave/gate` (absent in runs from before scenario gates). */
  scenarioJudges?: Record<string, ScenarioGateState>;
  /** When each wave's pushes began (workflow time, ms): where a canary's pre-change window ends. */
  pushesStartedAt?: Record<number, number>;
  /** When monitoring halted the rollout (workflow time); null if it was not halted. */
  haltedAt: string | null;
  /** The hash of the rollout's config document in the config store; null until it is stored. */
  configHash: string | null;
  /**
   * The body of each distinct document a compensation restores, by hash, so a rollback never
   * needs the config store. Usually one or two cover a whole fleet.
   */
  documents: Record<string, Record<string, unknown>>;
}

export function initialRunState(): RunState {
  return {
    rollout: initialRolloutState,
    streamVersion: 0,
    compensations: [],
    retryRequestedBy: null,
    retryRegions: null,
    freezes: [],
    pausedForNoData: [],
    canaryJudges: {},
    scenarioJudges: {},
    haltedAt: null,
    configHash: null,
    documents: {},
  };
}
