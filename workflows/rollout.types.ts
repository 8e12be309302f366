import type { RolloutRequested } from '../libs/domain/src/rollout/rollout.events';

/** A region as the workflow sees it: a snapshot of the topology taken when the rollout starts. */
export interface RolloutTarget {
  name: string;
  endpoint: string;
}

export interface RolloutWorkflowInput {
  rolloutId: string;
  service: string;
  version: string;
  config: Record<string, unknown>;
  description?: string;
  requestedBy: string;
  /** ISO time the request was accepted; passed in so the workflow never reads the clock for facts. */
  requestedAt: string;
  regions: RolloutTarget[];
}

export interface RolloutWorkflowResult {
  rolloutId: string;
  status: 'SUCCEEDED';
  regions: string[];
}

/** One running rollout per service: the workflow id is derived from the service name. */
export function rolloutWorkflowId(service: string): string {
  return `sluice-rollout-${service}`;
}

/** The first event of every rollout stream; the gateway and the workflow both build it from the input. */
export function rolloutRequested(input: RolloutWorkflowInput): RolloutRequested {
  return {
    type: 'RolloutRequested',
    data: {
      rolloutId: input.rolloutId,
      service: input.service,
      version: input.version,
      requestedBy: input.requestedBy,
      requestedAt: input.requestedAt,
      regions: input.regions.map((r) => r.name),
    },
  };
}

export const ROLLOUT_EVENT_SCHEMA_VERSION = 1;
