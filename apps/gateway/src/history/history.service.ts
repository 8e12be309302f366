import { TargetKindValue } from '../services/models/region.model';
import { Inject, Injectable } from '@nestjs/common';
import { SluiceError } from '../../../../libs/domain/src';
import type { PgEventStore } from '../../../../libs/event-store/src';
import type { ReadModels, RolloutCursor, RolloutFilter, RolloutSummary } from '../../../../libs/projections/src';
import { EVENT_STORE, READ_MODELS } from '../gateway.tokens';
import type { Rollout } from '../rollouts/models/rollout.model';
import { toEventModel } from '../rollouts/models/rollout-mapper';
import { decodeCursor, encodeCursor, eventCursor, positionOf } from './cursors';
import type {
  RegionChange,
  RegionChangeKind,
  RegionVersion,
  RolloutConnection,
  RolloutEventConnection,
} from './models/history.models';

/** Page sizes callers may ask for; larger pages are refused, not silently cut. */
export const MAX_PAGE_SIZE = 500;
export const MAX_CHANGES = 1_000;

function checkPageSize(first: number): void {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    const message = `first must be between 1 and ${MAX_PAGE_SIZE}`;
    throw SluiceError.badInput(message, [{ field: 'first', message }]);
  }
}

const isRolloutCursor = (v: unknown): v is { t: string; id: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { t: unknown }).t === 'string' &&
  typeof (v as { id: unknown }).id === 'string';

export function rolloutFromRow(row: RolloutSummary): Rollout {
  return {
    id: row.id,
    service: row.service,
    version: row.version,
    status: row.status,
    requestedBy: row.requestedBy,
    workflowId: row.workflowId ?? '',
    runId: row.runId ?? '',
    pushedRegions: row.regions,
    stopReason: row.stopReason,
    requestedAt: row.requestedAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
    currentWave: row.currentWave,
  };
}

/** The history API: answered from the event log and its projections, never from Temporal. */
@Injectable()
export class HistoryService {
  constructor(
    @Inject(READ_MODELS) private readonly readModels: ReadModels,
    @Inject(EVENT_STORE) private readonly eventStore: PgEventStore,
  ) {}

  async rollouts(filter: RolloutFilter, first: number, after?: string): Promise<RolloutConnection> {
    checkPageSize(first);
    let cursor: RolloutCursor | undefined;
    if (after) {
      const c = decodeCursor(after, isRolloutCursor);
      cursor = { requestedAt: new Date(c.t), id: c.id };
    }
    const page = await this.readModels.rollouts(filter, first, cursor);
    const edges = page.items.map((row) => ({
      cursor: encodeCursor({ t: row.requestedAt.toISOString(), id: row.id }),
      node: rolloutFromRow(row),
    }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  async rolloutEvents(rolloutId: string, first: number, after?: string): Promise<RolloutEventConnection> {
    checkPageSize(first);
    const afterPosition = positionOf(after);
    const events = await this.eventStore.readStream(rolloutId, { after: afterPosition, limit: first + 1 });
    if (events.length === 0 && afterPosition === 0) {
      throw new SluiceError('NOT_FOUND', `rollout "${rolloutId}" does not exist`, { rolloutId });
    }
    const edges = events.slice(0, first).map((e) => ({ cursor: eventCursor(e.streamPosition), node: toEventModel(e) }));
    return { edges, pageInfo: { hasNextPage: events.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  async regionVersions(service: string): Promise<RegionVersion[]> {
    const rows = await this.readModels.regionVersions(service);
    return rows.map((r) => ({ ...r, targetKind: r.targetKind as TargetKindValue | null }));
  }

  async changes(region: string, from: Date, to: Date, service?: string): Promise<RegionChange[]> {
    if (!(from < to)) {
      const message = 'from must be before to';
      throw SluiceError.badInput(message, [{ field: 'to', message }]);
    }
    const rows = await this.readModels.changes({ region, from, to, service, limit: MAX_CHANGES });
    return rows.map((r) => ({
      ...r,
      kind: r.kind as RegionChangeKind,
      targetKind: r.targetKind as TargetKindValue | null,
    }));
  }
}
