import { Inject, Injectable } from '@nestjs/common';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { ErrorCode, SluiceError } from '../../../../libs/domain/src';
import type { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import { freezeUpdate, liftFreezeUpdate, type FreezeAck } from '../../../../workflows/rollout.messages';
import { rolloutWorkflowId } from '../../../../workflows/rollout.types';
import { PG_POOL, SERVICE_CATALOG, TEMPORAL_CLIENT } from '../gateway.tokens';
import { FreezeRepository, type StoredFreeze } from './freeze.repository';

/** How long one rollout may take to accept a freeze before it is reported unreached. */
const DELIVERY_DEADLINE_MS = 10_000;

export interface FreezeDelivery {
  freeze: StoredFreeze;
  reachedRollouts: string[];
  unreachedWorkflows: string[];
}

/**
 * Emergency freezes: stored in PostgreSQL (the record that outlives every process), then sent
 * to each running rollout they cover, which holds before its next push. Running rollouts are
 * found through Temporal visibility; a service's own rollout also by its workflow id, which
 * reaches even one started too recently for visibility to list it.
 */
@Injectable()
export class FreezeService {
  private readonly repository: FreezeRepository;

  constructor(
    @Inject(PG_POOL) pool: Pool,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(SERVICE_CATALOG) private readonly catalog: PgServiceCatalog,
  ) {
    this.repository = new FreezeRepository(pool);
  }

  async declare(request: {
    service: string | null;
    reason: string;
    until: Date | null;
    by: string;
  }): Promise<FreezeDelivery> {
    if (request.reason.trim() === '') {
      throw SluiceError.badInput('say why changes are frozen', [{ field: 'reason', message: 'must not be empty' }]);
    }
    if (request.until !== null && request.until.getTime() <= Date.now()) {
      throw SluiceError.badInput('until must be in the future', [{ field: 'until', message: 'must be in the future' }]);
    }
    if (request.service !== null) await this.catalog.get(request.service);
    const freeze = await this.repository.declare({
      id: randomUUID(),
      service: request.service,
      reason: request.reason,
      declaredBy: request.by,
      until: request.until?.toISOString() ?? null,
    });
    return {
      freeze,
      ...(await this.deliver(freeze.service, (h) => h.executeUpdate(freezeUpdate, { args: [freeze] }))),
    };
  }

  async lift(id: string, by: string): Promise<FreezeDelivery> {
    const freeze = await this.repository.lift(id, by);
    return {
      freeze,
      ...(await this.deliver(freeze.service, (h) => h.executeUpdate(liftFreezeUpdate, { args: [{ id, by }] }))),
    };
  }

  list(includeLifted: boolean): Promise<StoredFreeze[]> {
    return includeLifted ? this.repository.recent(200) : this.repository.active();
  }

  /** startRollout's check: FROZEN while an emergency freeze covers the service. */
  async refuseIfFrozen(service: string): Promise<void> {
    const [freeze] = await this.repository.active(service);
    if (!freeze) return;
    throw new SluiceError(
      ErrorCode.Frozen,
      `changes to "${service}" are frozen by ${freeze.declaredBy} since ${freeze.declaredAt}` +
        `${freeze.until ? ` until ${freeze.until}` : ''}: ${freeze.reason}. An admin lifts it with liftFreeze(id: "${freeze.id}")`,
      { service, freezeId: freeze.id, until: freeze.until },
    );
  }

  /**
   * After a rollout started: a freeze declared between the check and the start (the declare's
   * sweep may have come before the workflow existed) is handed to the new rollout here.
   */
  async holdIfFrozen(service: string): Promise<void> {
    const freezes = await this.repository.active(service);
    if (freezes.length === 0) return;
    const handle = this.temporal.workflow.getHandle(rolloutWorkflowId(service));
    for (const freeze of freezes) await handle.executeUpdate(freezeUpdate, { args: [freeze] });
  }

  private async deliver(
    service: string | null,
    send: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<FreezeAck>,
  ): Promise<Omit<FreezeDelivery, 'freeze'>> {
    const workflowIds = await this.runningRollouts(service);
    const reachedRollouts: string[] = [];
    const unreachedWorkflows: string[] = [];
    await Promise.all(
      workflowIds.map(async (workflowId) => {
        try {
          const ack = await withDeadline(send(this.temporal.workflow.getHandle(workflowId)), DELIVERY_DEADLINE_MS);
          reachedRollouts.push(ack.rolloutId);
        } catch (err) {
          // No rollout of that service runs now (or it just finished): nothing to hold.
          if (err instanceof WorkflowNotFoundError || /already completed/i.test(String(err))) return;
          if (err instanceof WorkflowUpdateFailedError) return;
          unreachedWorkflows.push(workflowId);
        }
      }),
    );
    return { reachedRollouts: reachedRollouts.sort(), unreachedWorkflows: unreachedWorkflows.sort() };
  }

  private async runningRollouts(service: string | null): Promise<string[]> {
    const filter = service === null ? '' : ` AND SluiceService = ${JSON.stringify(service)}`;
    const ids = new Set<string>();
    for await (const execution of this.temporal.workflow.list({
      query: `WorkflowType = "rolloutWorkflow" AND ExecutionStatus = "Running"${filter}`,
    })) {
      ids.add(execution.workflowId);
    }
    if (service !== null) ids.add(rolloutWorkflowId(service));
    return [...ids];
  }
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
