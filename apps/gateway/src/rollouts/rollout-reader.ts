import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode, SluiceError, foldRollout, isFinal, touchedRegions } from '../../../../libs/domain/src';
import type { PgEventStore } from '../../../../libs/event-store/src';
import { EVENT_STORE } from '../gateway.tokens';
import { toDomainEvent, toEventModel } from './models/rollout-mapper';
import type { Rollout } from './models/rollout.model';

/** A rollout as its event log tells it. */
@Injectable()
export class RolloutReader {
  constructor(@Inject(EVENT_STORE) private readonly eventStore: PgEventStore) {}

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

  /** The workflow chain a rollout started, from its first event; undefined if there is none. */
  async chainOf(rolloutId: string): Promise<{ workflowId: string; firstRunId: string } | undefined> {
    const [first] = await this.eventStore.readStream(rolloutId, { limit: 1 });
    if (!first?.metadata.workflowId || !first.metadata.runId) return undefined;
    return { workflowId: first.metadata.workflowId, firstRunId: first.metadata.runId };
  }
}
