import { Inject, Injectable } from '@nestjs/common';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ErrorCode, SluiceError } from '../../../../libs/domain/src';
import type { rolloutWorkflow } from '../../../../workflows/rollout.workflow';
import { SluiceRolloutId } from '../../../../workflows/rollout.search-attributes';
import { TEMPORAL_CLIENT } from '../gateway.tokens';
import { RolloutReader } from './rollout-reader';

export type RolloutHandle = WorkflowHandle<typeof rolloutWorkflow>;

/** Rollout ids are UUIDs; anything else cannot be in a visibility query. */
const ROLLOUT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Finds the workflow of a rollout. Temporal's visibility first, by the SluiceRolloutId search
 * attribute, so controls (a halt above all) reach the workflow while PostgreSQL is down; then
 * the event log, for a rollout so new that visibility has not listed it yet.
 */
@Injectable()
export class RolloutHandles {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    private readonly reader: RolloutReader,
  ) {}

  async of(rolloutId: string): Promise<RolloutHandle> {
    const chain = (await this.fromVisibility(rolloutId)) ?? (await this.reader.chainOf(rolloutId));
    if (!chain) throw new SluiceError(ErrorCode.NotFound, `rollout "${rolloutId}" does not exist`, { rolloutId });
    // The newest run of the chain this rollout started: after a continue-as-new, queries and
    // updates must reach the run in charge, not the first one, which has closed; and never a
    // later rollout of the same service, which reuses the workflow id.
    return this.temporal.workflow.getHandle(chain.workflowId, undefined, { firstExecutionRunId: chain.firstRunId });
  }

  /** The chain's first run: the earliest run carrying the rollout's id (each hand-over copies it). */
  private async fromVisibility(rolloutId: string): Promise<{ workflowId: string; firstRunId: string } | undefined> {
    if (!ROLLOUT_ID.test(rolloutId)) return undefined;
    let first: { workflowId: string; firstRunId: string; startTime: number } | undefined;
    for await (const run of this.temporal.workflow.list({
      query: `${SluiceRolloutId.name} = '${rolloutId}'`,
      pageSize: 100,
    })) {
      if (!first || run.startTime.getTime() < first.startTime) {
        first = { workflowId: run.workflowId, firstRunId: run.runId, startTime: run.startTime.getTime() };
      }
    }
    return first && { workflowId: first.workflowId, firstRunId: first.firstRunId };
  }
}
