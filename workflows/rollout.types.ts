import type { GateSpec } from '../libs/domain/src/gates/gate-spec';
import type { ExplicitWave } from '../libs/domain/src/plan/plan-rollout';
import type { Strategy } from '../libs/domain/src/plan/rollout-plan';
import type { RedundancyOverride, RolloutRequested } from '../libs/domain/src/rollout/rollout.events';
import type { RolloutStatus } from '../libs/domain/src/rollout/rollout-state';
import type { FreezeWindow } from '../libs/domain/src/service/freeze-window';
import type { RecurringFreeze } from '../libs/domain/src/service/recurring-freeze';
import type { DependencyField, RedundancyPolicy } from '../libs/domain/src/service/redundancy-policy';
import type { Region } from '../libs/domain/src/service/service-topology';
import type { CustomerProfile } from '../libs/domain/src/service/scenarios';
import { targetKindOf } from '../libs/domain/src/service/target-kind';
import type { RunState } from './run-state';

export interface RolloutWorkflowInput {
  rolloutId: string;
  service: string;
  version: string;
  /**
   * The config document, by hash in the config store (what the gateway sends) or inline
   * (stored by the workflow before anything else uses it). One of the two is required.
   */
  configHash?: string;
  config?: Record<string, unknown>;
  /**
   * Regions whose effective config is not the document above (per-region overrides, a
   * template), each to its own document's hash in the config store. Absent: one config for all.
   */
  regionConfigHashes?: Record<string, string>;
  description?: string;
  requestedBy: string;
  /** ISO time the request was accepted; passed in so the workflow never reads the clock for facts. */
  requestedAt: string;
  /** Snapshot of the service topology taken when the rollout was requested. */
  regions: Region[];
  configSchema?: Record<string, unknown>;
  freezeWindows: FreezeWindow[];
  /** Freezes on a schedule (cron, duration, time zone); absent in rollouts started before they existed. */
  recurringFreezes?: RecurringFreeze[];
  strategy: Strategy;
  /** An explicit plan; built from `strategy` when absent. */
  waves?: ExplicitWave[];
  gates: GateSpec[];
  gateIntervalSeconds: number;
  /** The service's dependency fields and redundancy policy when requested: the precheck's redundancy rules. */
  dependencyFields?: DependencyField[];
  redundancy?: RedundancyPolicy;
  /** An admin started it although it broke redundancy rules set to error; recorded on RolloutRequested. */
  redundancyOverride?: RedundancyOverride;
  /**
   * The customer scenarios the scenario gates run, each by the hash of its stored document
   * (`{ kind: 'scenario', name, source, timeoutSeconds }`) in the config store, and the
   * customer profiles they run as (credentials by environment variable name only).
   */
  scenarios?: ScenarioRef[];
  customerProfiles?: CustomerProfile[];
  /** Continue as new once the run's history passes this many events (default in continue-as-new.ts). */
  continueAsNewAfterEvents?: number;
  /** Set on a run continued as new: where the previous run stopped, and all it knew. */
  resume?: RolloutResume;
}

/**
 * Where a run hands over: before a wave starts, between bake ticks, while waiting for
 * approval, or in ROLLBACK_FAILED while waiting for retryRollback.
 */
export interface ResumePoint {
  wave: number;
  step: 'START' | 'BAKE' | 'APPROVAL' | 'ROLLBACK_RETRY';
  /** Workflow time (ms) at which the wave's bake ends. */
  bakeDeadline?: number;
}

/** A customer scenario as a rollout carries it: its text is in the config store by `sourceHash`. */
export interface ScenarioRef {
  name: string;
  /** The hash of its text (scenarioVersion), recorded on RolloutRequested. */
  version: string;
  sourceHash: string;
  timeoutSeconds: number;
}

export interface RolloutResume {
  run: RunState;
  at: ResumePoint;
  /** How many runs came before this one. */
  runs: number;
}

export interface RolloutWorkflowResult {
  rolloutId: string;
  status: RolloutStatus;
  reason: string | null;
}

const ROLLOUT_WORKFLOW_ID_PREFIX = 'sluice-rollout-';

/** One running rollout per service: the workflow id is derived from the service name. */
export function rolloutWorkflowId(service: string): string {
  return `${ROLLOUT_WORKFLOW_ID_PREFIX}${service}`;
}

/** The service a rollout's workflow id names; undefined for any other workflow. */
export function serviceOfWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith(ROLLOUT_WORKFLOW_ID_PREFIX)
    ? workflowId.slice(ROLLOUT_WORKFLOW_ID_PREFIX.length)
    : undefined;
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
      targets: Object.fromEntries(
        input.regions.flatMap((r) => {
          const kind = targetKindOf(r.endpoint);
          return kind ? [[r.name, kind]] : [];
        }),
      ),
      ...(input.redundancyOverride ? { redundancyOverride: input.redundancyOverride } : {}),
      ...(input.regionConfigHashes ? { regionConfigHashes: input.regionConfigHashes } : {}),
      ...(input.scenarios?.length
        ? { scenarioVersions: Object.fromEntries(input.scenarios.map((s) => [s.name, s.version])) }
        : {}),
    },
  };
}

export { CURRENT_EVENT_SCHEMA_VERSION as ROLLOUT_EVENT_SCHEMA_VERSION } from '../libs/domain/src/rollout/rollout-event-upcasters';
