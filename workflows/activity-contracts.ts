import type { ChangeAssessment } from '../libs/domain/src/insight/change-assessment';
import type { CanaryGate, GateEvaluation, GateSpec } from '../libs/domain/src/gates/gate-spec';
import type { RolloutEvent } from '../libs/domain/src/rollout/rollout.events';
import type { DependencyField, RedundancyPolicy } from '../libs/domain/src/service/redundancy-policy';
import type { IntervalCounts } from '../libs/judge/src/sequential-count-test';
import type { CustomerProfile } from '../libs/domain/src/service/scenarios';
import type { ScenarioTallies } from '../libs/judge/src/scenario-judge';
import type { ScenarioRef } from './rollout.types';

/**
 * What the rollout workflow asks of its activities. The workflow owns this contract and
 * `apps/worker` implements it, so the sandboxed code depends on nothing outside the domain.
 */
export interface RolloutActivities {
  /** Appends a batch of events to the rollout's stream at the expected version. */
  recordEvents(input: RecordEventsInput): Promise<RecordEventsResult>;
  /** Stores the rollout's config document once, by content hash; answers the hash. */
  storeConfig(input: StoreConfigInput): Promise<StoreConfigResult>;
  /** What a region serves now: read before each push so the compensation knows what to restore. */
  readRegionConfig(input: RegionRef): Promise<RegionConfigRead>;
  /**
   * What each region of a wave serves now, by hash; the body of each distinct document the
   * workflow does not hold yet comes once, so a rollback never needs the config store.
   */
  readRegionConfigs(input: ReadRegionConfigsInput): Promise<RegionConfigsRead>;
  /** Pushes a config, then reads it back: the push only counts once the region serves it. */
  pushRegionConfig(input: PushRegionConfigInput): Promise<PushRegionConfigResult>;
  /** Puts back what the region served before the rollout, then verifies it. */
  restoreRegionConfig(input: RestoreRegionConfigInput): Promise<RestoreRegionConfigResult>;
  /** Every region of a rollback restored at once, one attempt each: what failed is retried region by region. */
  restoreRegionConfigs(input: RestoreRegionConfigsInput): Promise<RestoreRegionConfigsResult>;
  /** Precheck: every target region answers, is healthy, and whether it already runs the target. */
  checkRegions(input: CheckRegionsInput): Promise<RegionCheck[]>;
  /** Precheck: gates that cannot work (bad templates, queries Prometheus refuses). */
  checkGates(input: CheckGatesInput): Promise<GateProblem[]>;
  /** Evaluates every per-region gate against every region of the wave once. */
  evaluateGates(input: EvaluateGatesInput): Promise<GateEvaluation[]>;
  /** One bake tick: the per-region gates and every canary gate's counters, in one activity. */
  evaluateTick(input: EvaluateTickInput): Promise<TickEvaluation>;
  /** The canary judge's counters now: requests and events, canary and baseline, cumulative. */
  readCanaryCounts(input: CanaryCountsInput): Promise<CanaryCountsResult>;
  /** The canary gate's pre-change window: read once per wave and gate, before the judge's first interval. */
  readCanaryBaseline(input: CanaryBaselineInput): Promise<CanaryBaselineResult>;
  /**
   * One interval of a scenario gate: every scenario for each customer of the wave's regions
   * and a sample of the controls', run by Playwright and stored in `scenario_runs`.
   */
  runScenarioTick(input: ScenarioTickInput): Promise<ScenarioTickResult>;
  /** The scenario runs before a wave's push: each customer's own failure rate and the controls'; null if none. */
  readScenarioBaseline(input: ScenarioBaselineInput): Promise<ScenarioTallies | null>;
  validateConfig(input: ValidateConfigInput): Promise<ConfigValidation>;
  /** Precheck: the redundancy rules on the fleet as it is now (each region read) and the config. */
  checkRedundancy(input: CheckRedundancyInput): Promise<RedundancyFinding[]>;
  /** Our change or something outside? Unreadable metrics give UNCLEAR, never an error. */
  assessHalt(input: AssessHaltInput): Promise<ChangeAssessment>;
}

export interface RegionRef {
  region: string;
  endpoint: string;
}

export interface RecordEventsInput {
  streamId: string;
  /** The rollout's service, for metrics (absent in histories recorded before it was added). */
  service?: string;
  /** The stream's version before this batch; the batch takes the next positions. */
  expectedVersion: number;
  events: RolloutEvent[];
  actor: string;
  schemaVersion: number;
}

export interface RecordEventsResult {
  version: number;
}

export interface RegionConfigRead {
  region: string;
  version: string | null;
  config: Record<string, unknown> | null;
  configHash: string | null;
  /** The region's revision (absent in histories from before writes were conditional). */
  revision?: number;
}

/** The config document by hash (loaded from the config store), or inline as older histories carry it. */
export type ConfigRef =
  { configHash: string; config?: undefined } | { config: Record<string, unknown>; configHash?: undefined };

export type PushRegionConfigInput = RegionRef & {
  version: string;
  /** The revision read before the wave: the push lands only if the region is still there. */
  ifRevision?: number;
  /** What the region served at that read. */
  previousVersion?: string | null;
  /** The rollout and its requester, for kinds that record who changed them (absent in older histories). */
  change?: ChangeContext;
} & ConfigRef;

export interface StoreConfigInput {
  config: Record<string, unknown>;
}

export interface StoreConfigResult {
  configHash: string;
}

export interface ReadRegionConfigsInput {
  regions: RegionRef[];
  /** Hashes whose documents the workflow already holds: their bodies are not sent again. */
  knownHashes: string[];
}

export interface RegionConfigsRead {
  regions: { region: string; version: string | null; configHash: string | null; revision?: number }[];
  /** The body of each distinct document served that is not among `knownHashes`, by hash. */
  documents: Record<string, Record<string, unknown>>;
}

export interface PushRegionConfigResult {
  region: string;
  version: string;
  previousVersion: string | null;
  configHash: string;
  changed: boolean;
}

export interface RestoreRegionConfigInput extends RegionRef {
  /** null: the region had no config before the rollout; restoring means removing it. */
  version: string | null;
  /** The document to put back inline (older histories, and the fallback when the config store is down). */
  config?: Record<string, unknown> | null;
  /** The document to put back by hash, loaded from the config store. */
  configHash?: string | null;
  /** The revision read before the push: a region still there never took the change. */
  revision?: number;
  /** The rollout's version and document, to tell whether the region took the change. */
  rollout?: { version: string; configHash: string | null };
  /** The rollout and who rolled it back, for kinds that record who changed them (absent in older histories). */
  change?: ChangeContext;
}

/** Who made a change and in which rollout (libs/targets' ChangeContext). */
export interface ChangeContext {
  rolloutId: string;
  actor: string;
}

export interface RestoreRegionConfigResult {
  region: string;
  version: string | null;
  configHash: string | null;
  /** The restore found the rollout's version on the region: its push had landed. */
  tookChange?: boolean;
  /** The restore found the region at the revision read before the push: nothing was written since. */
  untouched?: boolean;
}

export interface RestoreRegionConfigsInput {
  /** In the order the rollback takes them: newest wave first. */
  restores: RestoreRegionConfigInput[];
}

/** One region's restore in a batch: restored and verified, or why not (the error's type and message). */
export type RestoreOutcome =
  { restored: RestoreRegionConfigResult } | { failed: { type: string | null; message: string } };

export interface RestoreRegionConfigsResult {
  /** One per restore, in the order of `restores`. */
  outcomes: RestoreOutcome[];
}

export type CheckRegionsInput = { regions: RegionRef[]; version: string } & RegionConfigHashes & ConfigRef;

export interface RegionCheck {
  region: string;
  reachable: boolean;
  healthy: boolean;
  /** Already serving this version with this config. */
  atTarget: boolean;
  detail: string;
}

export interface CheckGatesInput {
  service: string;
  regions: RegionRef[];
  gates: GateSpec[];
}

export interface GateProblem {
  gate: string;
  problem: string;
}

export interface EvaluateGatesInput {
  wave: number;
  service: string;
  regions: RegionRef[];
  gates: GateSpec[];
}

export interface CanaryCountsInput {
  gate: CanaryGate;
  service: string;
  canaryRegions: string[];
  baselineRegions: string[];
}

export interface EvaluateTickInput extends EvaluateGatesInput {
  /** Each canary gate judged this tick, with the regions it compares. */
  canaries: Omit<CanaryCountsInput, 'service'>[];
  /**
   * The tick's instant in workflow time (epoch ms), when it was scheduled before it: an attempt
   * scheduled earlier waits for it in Temporal's retry (see `tickIsDue`). Absent: evaluate now.
   */
  notBefore?: number;
}

export interface TickEvaluation {
  evaluations: GateEvaluation[];
  /** The counters of each canary gate, in the order of `canaries`. */
  canaryCounts: CanaryCountsResult[];
}

/**
 * A counter's value per series, keyed by the series' labels in canonical form
 * (`{code="500",instance="x",region="y"}`, names sorted), so a reset of one series among
 * several is seen as a reset of that series only.
 */
export type SeriesValues = Record<string, number>;

/** The four counters of a canary read, series by series. */
export interface CanarySeries {
  canaryRequests: SeriesValues;
  canaryEvents: SeriesValues;
  baselineRequests: SeriesValues;
  baselineEvents: SeriesValues;
}

/**
 * Cumulative counter values now; the workflow differences consecutive reads. `series` (from
 * the `judge-baseline` patch on) holds the same values series by series: the workflow
 * differences each series on its own, reset-aware; `totals` are their sums.
 */
export type CanaryCountsResult = { totals: IntervalCounts; series?: CanarySeries } | { noData: string };

/**
 * The canary's pre-change baseline: over the `windowSeconds` before `at` (epoch ms, when the
 * wave's first push began), the canary regions' requests and events and the controls' over
 * the same window.
 */
export interface CanaryBaselineInput extends CanaryCountsInput {
  at: number;
  windowSeconds: number;
}

/** The baseline's counts (canary and controls, the same window), or why there are none. */
export type CanaryBaselineResult = { counts: IntervalCounts; windowSeconds: number } | { noData: string };

/**
 * When regions receive different documents (per-region overrides, a template): every region to
 * its document's hash. Absent: every region receives the one document of the input.
 */
export interface RegionConfigHashes {
  regionConfigHashes?: Record<string, string>;
}

export type ValidateConfigInput = { schema?: Record<string, unknown> } & RegionConfigHashes &
  ({ configHash: string; config?: undefined } | { config: unknown; configHash?: undefined });

export interface ConfigValidation {
  valid: boolean;
  errors: string[];
}

export type CheckRedundancyInput = {
  /** The rollout's service: other services' dependencies are read too (absent in older histories). */
  service?: string;
  regions: Array<RegionRef & { weight: number; pair?: string }>;
  fields: DependencyField[];
  policy: RedundancyPolicy;
} & RegionConfigHashes &
  ({ configHash: string; config?: undefined } | { config: unknown; configHash?: undefined });

/** A redundancy rule the config breaks (docs/REDUNDANCY.md), as the precheck needs it. */
export interface RedundancyFinding {
  rule: string;
  severity: 'error' | 'warning';
  message: string;
  regions: string[];
}

export interface AssessHaltInput {
  rolloutId: string;
  service: string;
  /** Every region of the service; those the rollout had not changed are the control group. */
  serviceRegions: string[];
  /** When the halt arrived: the after window ends here, before the rollback heals anything. */
  haltedAt: string;
}

/** A customer to run scenarios as, in one region. */
export interface ScenarioTargetRef extends RegionRef {
  customer: CustomerProfile;
}

export interface ScenarioTickInput {
  rolloutId: string;
  service: string;
  wave: number;
  gate: string;
  /** The gate's tick in this wave: with the gate and wave, what keeps a retried tick's runs stored once. */
  tick: number;
  scenarios: ScenarioRef[];
  /** Playwright workers for the batch. */
  workers: number;
  changed: ScenarioTargetRef[];
  control: ScenarioTargetRef[];
  /** Workflow time (ms) the tick is due; its first attempt waits for it (see evaluateTick). */
  notBefore?: number;
}

/** One run as the workflow needs it: its error cut short. */
export interface ScenarioTickRun {
  scenario: string;
  region: string;
  customer: string;
  role: 'changed' | 'control';
  passed: boolean;
  error?: string;
}

export interface ScenarioTickResult {
  runs: ScenarioTickRun[];
  /** The Playwright process's wall time. */
  wallMs: number;
}

export interface ScenarioBaselineInput {
  service: string;
  scenarios: string[];
  changedRegions: string[];
  controlRegions: string[];
  /** Workflow time (ms): the window is `[at - windowSeconds, at)`. */
  at: number;
  windowSeconds: number;
}
