import { Inject, Injectable } from '@nestjs/common';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  SluiceError,
  foldRollout,
  isFinal,
  parseInput,
  parseStartRollout,
  planRequestSchema,
  planRollout,
  type PlanOutcome,
  touchedRegions,
  type RolloutEvent as DomainEvent,
} from '../../../../libs/domain/src';
import type { PgConfigStore } from '../../../../libs/config-store/src';
import { eventIdFor, type PgEventStore, type RecordedEvent } from '../../../../libs/event-store/src';
import type { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import {
  abortUpdate,
  approveWaveUpdate,
  controlAck,
  haltSignal,
  liveStateQuery,
  pauseUpdate,
  resumeUpdate,
  retryRollbackUpdate,
  type ControlAck,
  type LiveState,
} from '../../../../workflows/rollout.messages';
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
import { CONFIG_STORE, EVENT_STORE, GATEWAY_SETTINGS, SERVICE_CATALOG, TEMPORAL_CLIENT } from '../gateway.tokens';
import { withoutNulls } from '../graphql-input';
import type { Rollout, RolloutEvent as RolloutEventModel } from './models/rollout.model';
import type { ControlResult, RolloutLive } from './models/rollout-live.model';
import type { PlanPreview } from './models/plan-preview.model';

export type ControlCommand =
  | { type: 'pause'; by: string; reason: string }
  | { type: 'resume'; by: string }
  | { type: 'abort'; by: string; reason: string }
  | { type: 'approve'; approver: string; wave: number; comment?: string }
  | { type: 'retryRollback'; by: string };

/** Starts and steers rollouts on Temporal; reads them back from the event log. */
@Injectable()
export class RolloutService {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(EVENT_STORE) private readonly eventStore: PgEventStore,
    @Inject(CONFIG_STORE) private readonly configs: PgConfigStore,
    @Inject(SERVICE_CATALOG) private readonly catalog: PgServiceCatalog,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewayConfig,
  ) {}

  /** The dry run: the plan a rollout would run now, with every rule it breaks. Starts nothing. */
  async plan(request: unknown): Promise<PlanPreview> {
    const req = parseInput(planRequestSchema, withoutNulls(request), 'plan request');
    const { topology } = await this.catalog.get(req.service);
    return toPlanPreview(planRollout({ regions: topology.regions, strategy: req.strategy, waves: req.waves }));
  }

  async start(request: unknown, actor: string): Promise<Rollout> {
    const req = parseStartRollout(withoutNulls(request));
    const { topology } = await this.catalog.get(req.service);
    // Refuse a plan that cannot run before any workflow exists; the workflow checks it again.
    const outcome = planRollout({ regions: topology.regions, strategy: req.strategy, waves: req.waves });
    if (outcome.violations.length > 0) {
      throw new SluiceError(
        ErrorCode.PlanInvalid,
        `the plan breaks ${outcome.violations.length} rule(s): ${outcome.violations.map((v) => `${v.rule} (${v.message})`).join('; ')}`,
        { violations: outcome.violations },
      );
    }
    const input: RolloutWorkflowInput = {
      rolloutId: randomUUID(),
      service: req.service,
      version: req.version,
      // Stored once by hash: the workflow and its activities carry the hash, never the body.
      configHash: await this.configs.put(req.config),
      description: req.description,
      requestedBy: actor,
      requestedAt: new Date().toISOString(),
      regions: topology.regions,
      configSchema: topology.configSchema,
      freezeWindows: topology.freezeWindows,
      strategy: req.strategy,
      waves: req.waves,
      gates: req.gates,
      gateIntervalSeconds: req.gateIntervalSeconds,
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
    return this.get(input.rolloutId);
  }

  async get(rolloutId: string): Promise<Rollout> {
    const events = await this.eventStore.readStream(rolloutId);
    if (events.length === 0) {
      throw new SluiceError(ErrorCode.NotFound, `rollout "${rolloutId}" does not exist`, { rolloutId });
    }
    const state = foldRollout(events.map(toDomainEvent));
    const first = events[0];
    const last = events[events.length - 1];
    return {
      id: rolloutId,
      service: state.service ?? '',
      version: state.version ?? '',
      status: state.status,
      requestedBy: state.requestedBy ?? first.metadata.actor,
      workflowId: first.metadata.workflowId ?? '',
      runId: first.metadata.runId ?? '',
      pushedRegions: touchedRegions(state),
      stopReason: state.stopReason,
      requestedAt: first.recordedAt,
      updatedAt: last.recordedAt,
      finishedAt: isFinal(state.status) ? last.recordedAt : null,
      currentWave: state.wave,
      events: events.map(toEventModel),
    };
  }

  async live(rolloutId: string): Promise<RolloutLive> {
    const handle = await this.handleOf(rolloutId);
    const state = await this.call(rolloutId, () => handle.query(liveStateQuery));
    return toLiveModel(state);
  }

  async control(rolloutId: string, command: ControlCommand): Promise<ControlResult> {
    const handle = await this.handleOf(rolloutId);
    const ack = await this.call(rolloutId, (): Promise<ControlAck> => {
      switch (command.type) {
        case 'pause':
          return handle.executeUpdate(pauseUpdate, { args: [{ by: command.by, reason: command.reason }] });
        case 'resume':
          return handle.executeUpdate(resumeUpdate, { args: [{ by: command.by }] });
        case 'abort':
          return handle.executeUpdate(abortUpdate, { args: [{ by: command.by, reason: command.reason }] });
        case 'approve':
          return handle.executeUpdate(approveWaveUpdate, {
            args: [{ wave: command.wave, approver: command.approver, comment: command.comment }],
          });
        case 'retryRollback':
          return handle.executeUpdate(retryRollbackUpdate, { args: [{ by: command.by }] });
      }
    });
    return { rolloutId, ...ack };
  }

  /** Halts are fire-and-forget signals (monitoring may repeat them); the answer is the live state after. */
  async halt(rolloutId: string, by: string, reason: string, source: string): Promise<ControlResult> {
    const handle = await this.handleOf(rolloutId);
    await this.call(rolloutId, () => handle.signal(haltSignal, { by, reason, source }));
    const state = await this.call(rolloutId, () => handle.query(liveStateQuery));
    return { rolloutId, ...controlAck(state) };
  }

  private async handleOf(rolloutId: string): Promise<WorkflowHandle<typeof rolloutWorkflow>> {
    const events = await this.eventStore.readStream(rolloutId, { limit: 1 });
    const first = events[0];
    if (!first?.metadata.workflowId) {
      throw new SluiceError(ErrorCode.NotFound, `rollout "${rolloutId}" does not exist`, { rolloutId });
    }
    // The newest run of the chain this rollout started: after a continue-as-new, queries and
    // updates must reach the run in charge, not the first one, which has closed.
    return this.temporal.workflow.getHandle(first.metadata.workflowId, undefined, {
      firstExecutionRunId: first.metadata.runId,
    });
  }

  /** Maps Temporal's answers to the API's codes: a refused update keeps the workflow's code. */
  private async call<T>(rolloutId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        const details = (err.cause.details?.[0] ?? {}) as Record<string, unknown>;
        throw new SluiceError((err.cause.type ?? ErrorCode.Internal) as ErrorCode, err.cause.message, {
          ...details,
          rolloutId,
        });
      }
      if (
        err instanceof WorkflowNotFoundError ||
        /already completed|workflow execution already completed/i.test(String(err))
      ) {
        const { status } = await this.get(rolloutId);
        throw new SluiceError(
          ErrorCode.InvalidState,
          `rollout ${rolloutId} has finished (${status}); it takes no more controls`,
          {
            rolloutId,
            status,
          },
        );
      }
      throw err;
    }
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
      `service "${service}" already has a rollout in progress (${rolloutId ?? workflowId}); wait for it to finish or abort it`,
      { service, rolloutId, workflowId, runId: running.runId },
    );
  }
}

export function toEventModel(e: RecordedEvent): RolloutEventModel {
  return {
    position: e.streamPosition,
    globalPosition: e.globalPosition,
    eventId: e.eventId,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt,
  };
}

export function toDomainEvent(event: RecordedEvent): DomainEvent {
  return { type: event.type, data: event.data } as DomainEvent;
}

function toPlanPreview(outcome: PlanOutcome): PlanPreview {
  return {
    valid: outcome.violations.length === 0,
    source: outcome.source,
    waves: (outcome.plan?.waves ?? []).map((w, i) => ({ ...w, cumulativeExposure: outcome.exposure[i] ?? 0 })),
    violations: outcome.violations.map((v) => ({ ...v, wave: v.wave ?? null })),
  };
}

function toLiveModel(state: LiveState): RolloutLive {
  return {
    rolloutId: state.rolloutId,
    status: state.status,
    wave: state.wave,
    phase: state.phase,
    plan: state.plan?.waves ?? [],
    regions: Object.entries(state.regions).map(([region, s]) => ({ region, state: s })),
    gates: state.gates.map((g) => ({ ...g, value: typeof g.value === 'number' ? g.value : null })),
    actions: state.actions,
    requestedBy: state.requestedBy,
    stopReason: state.stopReason,
  };
}
