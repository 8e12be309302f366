import { Inject, Injectable } from '@nestjs/common';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  SluiceError,
  parseStartRollout,
  foldRollout,
  touchedRegions,
  type RolloutEvent as DomainEvent,
} from '../../../../libs/domain/src';
import { eventIdFor, type PgEventStore, type RecordedEvent } from '../../../../libs/event-store/src';
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
import { EVENT_STORE, GATEWAY_SETTINGS, SERVICE_CATALOG, TEMPORAL_CLIENT } from '../gateway.tokens';
import type { Rollout } from './models/rollout.model';

/** Starts rollouts on Temporal and reads them back from the event log. */
@Injectable()
export class RolloutService {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(EVENT_STORE) private readonly eventStore: PgEventStore,
    @Inject(SERVICE_CATALOG) private readonly catalog: PgServiceCatalog,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewayConfig,
  ) {}

  async start(request: unknown, actor: string): Promise<Rollout> {
    const { service, version, config, description } = parseStartRollout(request);
    const { topology } = await this.catalog.get(service);
    const input: RolloutWorkflowInput = {
      rolloutId: randomUUID(),
      service,
      version,
      config,
      description,
      requestedBy: actor,
      requestedAt: new Date().toISOString(),
      regions: topology.regions.map(({ name, endpoint }) => ({ name, endpoint })),
    };
    const workflowId = rolloutWorkflowId(service);
    let runId: string;
    try {
      const handle = await this.temporal.workflow.start<typeof rolloutWorkflow>('rolloutWorkflow', {
        taskQueue: this.settings.temporal.taskQueue,
        workflowId,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          { key: SluiceService, value: service },
          { key: SluiceVersion, value: version },
          { key: SluiceStatus, value: 'PENDING' },
          { key: SluiceRolloutId, value: input.rolloutId },
        ],
        staticSummary: `${service} → ${version} (${input.regions.length} regions)`,
        staticDetails: [
          `**Rollout** \`${input.rolloutId}\``,
          `requested by ${actor} at ${input.requestedAt}`,
          description ? `\n${description}` : '',
        ].join('\n'),
      });
      runId = handle.firstExecutionRunId;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw await this.inProgressError(service, workflowId);
      throw err;
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
    if (events.length === 0)
      throw new SluiceError(ErrorCode.NotFound, `rollout "${rolloutId}" does not exist`, { rolloutId });
    const summary = foldRollout(events.map(toDomainEvent));
    const first = events[0];
    return {
      id: rolloutId,
      service: summary.service ?? '',
      version: summary.version ?? '',
      status: summary.status,
      requestedBy: summary.requestedBy ?? first.metadata.actor,
      workflowId: first.metadata.workflowId ?? '',
      runId: first.metadata.runId ?? '',
      pushedRegions: touchedRegions(summary),
      events: events.map((e) => ({
        position: e.streamPosition,
        globalPosition: e.globalPosition,
        eventId: e.eventId,
        type: e.type,
        data: e.data,
        metadata: e.metadata,
        recordedAt: e.recordedAt,
      })),
    };
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

function toDomainEvent(event: RecordedEvent): DomainEvent {
  return { type: event.type, data: event.data } as DomainEvent;
}
