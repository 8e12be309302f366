import { proxyActivities } from '@temporalio/workflow';
import type { RolloutActivities } from './activity-contracts';
import {
  BAKE_TICK,
  CONFIG_VALIDATION,
  GATE_EVALUATION,
  HALT_ASSESSMENT,
  RECORD_EVENTS,
  REGION_PUSH,
  REGION_READ,
  ROLLBACK_BATCH,
  ROLLBACK_PUSH,
  SCENARIO_TICK,
} from './activity-presets';

type Only<K extends keyof RolloutActivities> = Pick<RolloutActivities, K>;

// One proxy per preset of activity-presets.ts, named for it and holding the activities that run
// under it. A call adds only its summary (`executeWithOptions({ summary }, args)`, merged into the preset).
export const durableWrite = proxyActivities<Only<'recordEvents' | 'storeConfig'>>(RECORD_EVENTS);
export const regionRead = proxyActivities<Only<'readRegionConfig' | 'readRegionConfigs' | 'checkRegions'>>(REGION_READ);
export const regionPush = proxyActivities<Only<'pushRegionConfig'>>(REGION_PUSH);
export const rollbackPush = proxyActivities<Only<'restoreRegionConfig'>>(ROLLBACK_PUSH);
export const rollbackBatch = proxyActivities<Only<'restoreRegionConfigs'>>(ROLLBACK_BATCH);
export const gateEvaluation =
  proxyActivities<
    Only<'checkGates' | 'evaluateGates' | 'readCanaryCounts' | 'readCanaryBaseline' | 'readScenarioBaseline'>
  >(GATE_EVALUATION);
export const bakeTick = proxyActivities<Only<'evaluateTick'>>(BAKE_TICK);
export const scenarioTick = proxyActivities<Only<'runScenarioTick'>>(SCENARIO_TICK);
export const configValidation = proxyActivities<Only<'validateConfig' | 'checkRedundancy'>>(CONFIG_VALIDATION);
export const haltAssessment = proxyActivities<Only<'assessHalt'>>(HALT_ASSESSMENT);

/** The message of a failed activity a person can act on: ActivityFailure → ApplicationFailure's, innermost. */
export function failureMessage(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && (current as Error & { cause?: unknown }).cause instanceof Error) {
    current = (current as Error & { cause?: unknown }).cause;
  }
  return current instanceof Error ? current.message : String(err);
}
