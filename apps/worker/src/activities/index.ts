import type { PgEventStore } from '../../../../libs/event-store/src';
import type { RegionClient } from '../../../../libs/targets/src';
import { createPushRegionConfig } from './push-region-config.activity';
import { createRecordEvents } from './record-events.activity';

export interface ActivityDependencies {
  eventStore: PgEventStore;
  regions: RegionClient;
}

/** Every activity the rollout workflow calls, built from its dependencies. */
export function createActivities(deps: ActivityDependencies) {
  return {
    recordEvents: createRecordEvents(deps.eventStore),
    pushRegionConfig: createPushRegionConfig(deps.regions),
  };
}

export type RolloutActivities = ReturnType<typeof createActivities>;
export type { RecordEventsInput, RecordEventsResult } from './record-events.activity';
export type { PushRegionConfigInput, PushRegionConfigResult } from './push-region-config.activity';
