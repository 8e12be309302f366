/**
 * Domain events of one rollout, past tense, one stream per rollout (stream id = rollout id).
 * `data` holds the facts a person needs later; who and where live in the event metadata.
 */
export interface RolloutRequested {
  type: 'RolloutRequested';
  data: {
    rolloutId: string;
    service: string;
    version: string;
    requestedBy: string;
    requestedAt: string;
    regions: string[];
  };
}

export interface RegionConfigPushed {
  type: 'RegionConfigPushed';
  data: {
    region: string;
    version: string;
    previousVersion: string | null;
    configHash: string;
    /** False when the region already ran this version with this config (idempotent re-push). */
    changed: boolean;
  };
}

export interface RolloutSucceeded {
  type: 'RolloutSucceeded';
  data: { version: string; regions: string[] };
}

export interface RolloutFailed {
  type: 'RolloutFailed';
  data: { reason: string; code: string; region?: string };
}

export type RolloutEvent = RolloutRequested | RegionConfigPushed | RolloutSucceeded | RolloutFailed;
export type RolloutEventType = RolloutEvent['type'];
