import type { RolloutEvent } from './rollout.events';

export const ROLLOUT_STATUSES = ['PENDING', 'ROLLING', 'SUCCEEDED', 'FAILED'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

export interface RolloutSummary {
  status: RolloutStatus;
  service: string | null;
  version: string | null;
  requestedBy: string | null;
  pushedRegions: string[];
}

export const initialRolloutSummary: RolloutSummary = {
  status: 'PENDING',
  service: null,
  version: null,
  requestedBy: null,
  pushedRegions: [],
};

/** Folds one event into the summary a reader sees. */
export function evolveRolloutSummary(state: RolloutSummary, event: RolloutEvent): RolloutSummary {
  switch (event.type) {
    case 'RolloutRequested':
      return {
        ...state,
        status: 'ROLLING',
        service: event.data.service,
        version: event.data.version,
        requestedBy: event.data.requestedBy,
      };
    case 'RegionConfigPushed':
      return { ...state, pushedRegions: [...state.pushedRegions, event.data.region] };
    case 'RolloutSucceeded':
      return { ...state, status: 'SUCCEEDED' };
    case 'RolloutFailed':
      return { ...state, status: 'FAILED' };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

export function summarizeRollout(events: readonly RolloutEvent[]): RolloutSummary {
  return events.reduce(evolveRolloutSummary, initialRolloutSummary);
}
