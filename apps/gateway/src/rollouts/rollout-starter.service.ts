import { Inject, Injectable } from '@nestjs/common';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import {
  applyTemplates,
  ErrorCode,
  SluiceError,
  foldRollout,
  isFinal,
  parseInput,
  parseStartRollout,
  planRequestSchema,
  planRollout,
  regionConfigFields,
  startRolloutConfigs,
  startRolloutSchema,
  type RedundancyOverride,
  type RegionConfigRequest,
  type ServiceTopology,
} from '../../../../libs/domain/src';
import type { PgConfigStore } from '../../../../libs/config-store/src';
import { configHash } from '../../../../libs/targets/src/config-hash';
import { eventIdFor, type PgEventStore } from '../../../../libs/event-store/src';
import type { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import type { rolloutWorkflow } from '../../../../workflows/rollout.workflow';
import {
  SluiceRolloutId,
  SluiceService,
  SluiceStatus,
  SluiceVersion,
} from '../../../../workflows/rollout.search-attributes';
import {
  ROLLOUT_EVENT_SCHEMA_VERSION,
  rolloutRequested,
  rolloutWorkflowId,
  type RolloutWorkflowInput,
} from '../../../../workflows/rollout.types';
import type { GatewayConfig } from '../gateway.config';
import {
  CONFIG_STORE,
  EVENT_STORE,
  GATEWAY_SETTINGS,
  METRICS_REGISTRY,
  SERVICE_CATALOG,
  TEMPORAL_CLIENT,
} from '../gateway.tokens';
import { withoutNulls } from '../graphql-input';
import { toDomainEvent, toPlanPreview } from './models/rollout-mapper';
import type { PlanPreview } from './models/plan-preview.model';
import type { Rollout } from './models/rollout.model';
import { RedundancyChecker } from './redundancy-check';
import { checkScenarioGates, storeScenarios } from './scenario-refs';
import { RolloutReader } from './rollout-reader';
import { hasRole, type Principal } from '../auth/principal';
import { z } from 'zod';

/** The config part of a plan request: optional, and with it, per-region overrides and the template flag. */
const planConfigSchema = z.object({ config: startRolloutSchema.shape.config.optional(), ...regionConfigFields });

/** Each region's config after the change (`perRegion`, null when all get `config`), and a lookup of it. */
function changeOf(topology: ServiceTopology, change: RegionConfigRequest) {
  const names = topology.regions.map((r) => r.name);
  const perRegion = startRolloutConfigs(change, topology.name, names);
  return { perRegion, next: (region: string): unknown => perRegion?.get(region) ?? change.config };
}

const redundancyOverrideSchema = z.object({
  reason: z.string().trim().min(1, 'must not be empty').max(1_000, 'must be at most 1,000 characters'),
});

/** Plans and starts rollouts: one workflow per service at a time, its config stored by hash first. */
@Injectable()
export class RolloutStarter {
  private readonly started: Counter<'service'>;

  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(EVENT_STORE) private readonly eventStore: PgEventStore,
    @Inject(CONFIG_STORE) private readonly configs: PgConfigStore,
    @Inject(SERVICE_CATALOG) private readonly catalog: PgServiceCatalog,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewayConfig,
    @Inject(METRICS_REGISTRY) metrics: Registry,
    private readonly reader: RolloutReader,
    private readonly redundancy: RedundancyChecker,
  ) {
    // Counted here, where every rollout starts: RolloutRequested is recorded by whichever of the
    // gateway and the workflow comes first, so no worker sees every one.
    this.started = new Counter({
      name: 'sluice_rollouts_started_total',
      help: 'Rollouts started (their workflow started by startRollout), by service. Finished ones: sluice_rollouts_finished_total on the workers.',
      labelNames: ['service'],
      registers: [metrics],
    });
  }

  /** The dry run: the plan a rollout would run now, with every rule it breaks. Starts nothing. */
  async plan(request: unknown): Promise<PlanPreview> {
    const raw = withoutNulls(request) as Record<string, unknown>;
    const { topology } = await this.catalog.get(String(raw.service ?? ''));
    const { gates: _gates, gateIntervalSeconds: _interval, ...planRequest } = applyTemplates(raw, topology);
    const { config, regionOverrides, configTemplate, ...rest } = planRequest as Record<string, unknown>;
    const req = parseInput(planRequestSchema, rest, 'plan request');
    const change = parseInput(planConfigSchema, { config, regionOverrides, configTemplate }, 'plan request');
    const outcome = planRollout({ regions: topology.regions, strategy: req.strategy, waves: req.waves });
    if (change.config === undefined) return toPlanPreview(outcome, null);
    const { next } = changeOf(topology, { ...change, config: change.config });
    return toPlanPreview(outcome, await this.redundancy.check(topology, next));
  }

  async start(request: unknown, principal: Principal): Promise<Rollout> {
    const actor = principal.name;
    const raw = withoutNulls(request) as Record<string, unknown>;
    const { topology } = await this.catalog.get(String(raw.service ?? ''));
    const req = parseStartRollout(applyTemplates(raw, topology));
    // Refuse a plan that cannot run before any workflow exists; the workflow checks it again.
    const outcome = planRollout({ regions: topology.regions, strategy: req.strategy, waves: req.waves });
    if (outcome.violations.length > 0) {
      throw new SluiceError(
        ErrorCode.PlanInvalid,
        `the plan breaks ${outcome.violations.length} rule(s): ${outcome.violations.map((v) => `${v.rule} (${v.message})`).join('; ')}`,
        { violations: outcome.violations },
      );
    }
    checkScenarioGates(req.gates, topology);
    const { perRegion, next } = changeOf(topology, req);
    const redundancyOverride = await this.redundancyGate(topology, next, raw.redundancyOverride, principal);
    // Stored once by hash: the workflow and its activities carry hashes, never bodies.
    const configHash = await this.configs.put(req.config);
    const regionConfigHashes = perRegion && (await this.storeRegionConfigs(perRegion, configHash));
    const scenarios = await storeScenarios(this.configs, req.gates, topology);
    const input: RolloutWorkflowInput = {
      rolloutId: randomUUID(),
      service: req.service,
      version: req.version,
      configHash,
      ...(regionConfigHashes ? { regionConfigHashes } : {}),
      description: req.description,
      requestedBy: actor,
      requestedAt: new Date().toISOString(),
      regions: topology.regions,
      configSchema: topology.configSchema,
      freezeWindows: topology.freezeWindows,
      recurringFreezes: topology.recurringFreezes,
      strategy: req.strategy,
      waves: req.waves,
      gates: req.gates,
      gateIntervalSeconds: req.gateIntervalSeconds,
      ...(topology.dependencyFields.length > 0
        ? { dependencyFields: topology.dependencyFields, redundancy: topology.redundancy }
        : {}),
      ...(redundancyOverride ? { redundancyOverride } : {}),
      ...(scenarios.length > 0 ? { scenarios, customerProfiles: topology.customerProfiles } : {}),
    };
    const workflowId = rolloutWorkflowId(req.service);
    const startWorkflow = () =>
      this.temporal.workflow.start<typeof rolloutWorkflow>('rolloutWorkflow', {
        taskQueue: this.settings.temporal.taskQueue,
        workflowId,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          { key: SluiceService, value: req.service },
          { key: SluiceVersion, value: req.version },
          { key: SluiceStatus, value: 'PENDING' },
          { key: SluiceRolloutId, value: input.rolloutId },
        ],
        staticSummary: `${req.service} → ${req.version} (${input.regions.length} regions)`,
        staticDetails: [
          `**Rollout** \`${input.rolloutId}\``,
          `requested by ${actor} at ${input.requestedAt}`,
          req.description ? `\n${req.description}` : '',
        ].join('\n'),
      });
    let runId: string;
    try {
      runId = (await startWorkflow()).firstExecutionRunId;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // The previous rollout may have recorded its final event and still be closing its
      // workflow; wait for that briefly instead of refusing a person who was right.
      if (!(await this.previousRolloutClosed(workflowId))) throw await this.inProgressError(req.service, workflowId);
      try {
        runId = (await startWorkflow()).firstExecutionRunId;
      } catch (retryErr) {
        if (retryErr instanceof WorkflowExecutionAlreadyStartedError)
          throw await this.inProgressError(req.service, workflowId);
        throw retryErr;
      }
    }
    this.started.inc({ service: req.service });
    // Recorded here as well as by the workflow (same event id, so whichever comes second is a
    // no-op): the caller can read the rollout back as soon as this mutation answers.
    await this.eventStore.append(
      input.rolloutId,
      [
        {
          eventId: eventIdFor(workflowId, runId, 1),
          ...rolloutRequested(input),
          metadata: {
            actor,
            correlationId: input.rolloutId,
            workflowId,
            runId,
            schemaVersion: ROLLOUT_EVENT_SCHEMA_VERSION,
          },
        },
      ],
      0,
    );
    return this.reader.get(input.rolloutId);
  }

  /**
   * The redundancy rules on the config (docs/REDUNDANCY.md): an error refuses the start
   * (PLAN_INVALID) unless an admin overrides it with a reason, which is then recorded.
   */
  private async redundancyGate(
    topology: ServiceTopology,
    next: (region: string) => unknown,
    override: unknown,
    principal: Principal,
  ): Promise<RedundancyOverride | undefined> {
    const reason = parseInput(redundancyOverrideSchema.optional(), override, 'redundancyOverride')?.reason;
    if (reason !== undefined && !hasRole(principal, 'admin')) {
      throw new SluiceError(ErrorCode.Forbidden, 'only an admin may override the redundancy rules', {
        required: 'admin',
      });
    }
    const errors = ((await this.redundancy.check(topology, next))?.violations ?? []).filter(
      (v) => v.severity === 'error',
    );
    if (errors.length === 0) return undefined;
    const listed = errors.map((v) => v.message);
    if (reason === undefined) {
      throw new SluiceError(
        ErrorCode.PlanInvalid,
        `the config breaks ${errors.length} redundancy rule(s): ${listed.join('; ')}; an admin may start it with redundancyOverride: { reason }`,
        { violations: errors },
      );
    }
    return { reason, by: principal.name, violations: listed };
  }

  /**
   * Each region's own document, stored once per distinct content; the hashes of regions whose
   * document is not the rollout's. Null when every region's is the rollout's after all.
   */
  private async storeRegionConfigs(
    perRegion: ReadonlyMap<string, Record<string, unknown>>,
    baseHash: string,
  ): Promise<Record<string, string> | null> {
    const hashes: Record<string, string> = {};
    const stored = new Set([baseHash]);
    for (const [region, config] of perRegion) {
      const hash = configHash(config);
      if (!stored.has(hash)) {
        await this.configs.put(config);
        stored.add(hash);
      }
      if (hash !== baseHash) hashes[region] = hash;
    }
    return Object.keys(hashes).length > 0 ? hashes : null;
  }

  /** True once the running rollout of this workflow id has finished and its workflow closed (within 5 s). */
  private async previousRolloutClosed(workflowId: string): Promise<boolean> {
    const handle = this.temporal.workflow.getHandle(workflowId);
    const running = await handle.describe();
    const rolloutId = running.typedSearchAttributes.get(SluiceRolloutId);
    if (!rolloutId) return false;
    const events = await this.eventStore.readStream(rolloutId);
    const status = foldRollout(events.map(toDomainEvent)).status;
    if (!isFinal(status)) return false;
    const closed = await Promise.race([
      handle.result().then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000).unref()),
    ]);
    return closed;
  }

  private async inProgressError(service: string, workflowId: string): Promise<SluiceError> {
    const running = await this.temporal.workflow.getHandle(workflowId).describe();
    const rolloutId = running.typedSearchAttributes.get(SluiceRolloutId);
    return new SluiceError(
      ErrorCode.RolloutInProgress,
      `service "${service}" already has a rollout in progress (${rolloutId ?? workflowId}); wait for it to finish or abort it ` +
        '(one in ROLLBACK_FAILED ends by retryRollback, resolveRegion or abandonRollout)',
      { service, rolloutId, workflowId, runId: running.runId },
    );
  }
}
