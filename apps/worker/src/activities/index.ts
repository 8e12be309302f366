import type { FleetConfigs } from '../../../../libs/redundancy/src';
import type { RolloutEvent } from '../../../../libs/domain/src';
import type { CachedConfigStore } from '../../../../libs/config-store/src';
import type { PgEventStore } from '../../../../libs/event-store/src';
import type { AlertSource, MetricsSource, RegionClient } from '../../../../libs/targets/src';
import { createConfigActivities } from './config.activities';
import { createGateActivities } from './gate.activities';
import { createRecordEvents } from './record-events.activity';
import { createRegionActivities, type OnRegionPushed } from './region.activities';
import { createInsightActivities } from './insight.activities';
import { createScenarioActivities, type ScenarioActivityOptions } from './scenario.activities';
import type { PgScenarioRuns } from '../../../../libs/scenarios/src/scenario-runs-store';
import { DEFAULT_INSIGHT, IncidentAnalyzer, type InsightOptions } from '../../../../libs/insight/src';
import type { RolloutActivities } from '../../../../workflows/activity-contracts';

export interface ActivityDependencies {
  eventStore: PgEventStore;
  /** Config documents by hash: what pushes load, and where a rollout's document is stored. */
  configs: CachedConfigStore;
  regions: RegionClient;
  /** Other services' dependencies, for the redundancy precheck's SPOF_CROSS_SERVICE. */
  fleet: FleetConfigs;
  /** Where Prometheus gates read metrics. */
  metrics: MetricsSource;
  /** Where `alerts` gates look for firing alerts. */
  alerts: AlertSource;
  /** Where scenario gates store their runs and read their baselines. */
  scenarioRuns: PgScenarioRuns;
  /** How scenario runs are made (Chromium's path, the credentials' environment). */
  scenarios?: ScenarioActivityOptions;
  /** How halts are assessed from the metrics (default: DEFAULT_INSIGHT). */
  insight?: InsightOptions;
  /** Called after events were appended (not on a retried no-op): projections and metrics follow. */
  onEventsAppended?: (service: string, events: RolloutEvent[]) => void;
  /** Called after each push to a region, whether it applied the config or failed. */
  onRegionPushed?: OnRegionPushed;
}

/** Every activity the rollout workflow calls, built from its dependencies. */
export function createActivities(deps: ActivityDependencies) {
  return {
    recordEvents: createRecordEvents(deps.eventStore, deps.onEventsAppended),
    ...createRegionActivities(deps.regions, deps.configs, deps.onRegionPushed),
    ...createGateActivities(deps.regions, deps.metrics, deps.alerts),
    ...createConfigActivities(deps.configs, deps.regions, deps.fleet),
    ...createScenarioActivities(deps.configs, deps.scenarioRuns, deps.scenarios),
    ...createInsightActivities(deps.eventStore, new IncidentAnalyzer(deps.metrics, deps.insight ?? DEFAULT_INSIGHT)),
  } satisfies RolloutActivities;
}
