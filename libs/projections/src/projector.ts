import type { Pool, PoolClient } from 'pg';
import { withTransaction, type EventRow, type PgEventStore, type RecordedEvent } from '../../event-store/src';
import type { Projection } from './projection';
import { RegionChangesProjection, RegionVersionsProjection } from './region-history.projection';
import { RolloutsProjection } from './rollouts.projection';

export const DEFAULT_PROJECTIONS: readonly Projection[] = [
  new RolloutsProjection(),
  new RegionVersionsProjection(),
  new RegionChangesProjection(),
];

export interface CatchUpResult {
  /** Events applied, per projection. */
  applied: Record<string, number>;
}

/**
 * Brings projections up to the end of the event log. Each projection keeps its own
 * checkpoint; a batch and its checkpoint commit together, and the checkpoint row is locked
 * while a batch is applied, so any number of processes may call catchUp concurrently.
 */
export class Projector {
  constructor(
    private readonly pool: Pool,
    private readonly eventStore: PgEventStore,
    private readonly projections: readonly Projection[] = DEFAULT_PROJECTIONS,
    private readonly batchSize = 2_000,
  ) {}

  async catchUp(onProgress?: (name: string, position: string) => void): Promise<CatchUpResult> {
    const applied: Record<string, number> = {};
    for (const projection of this.projections) {
      applied[projection.name] = 0;
      for (;;) {
        const result = await this.applyBatch(projection);
        if (result === null) break;
        applied[projection.name] += result.count;
        onProgress?.(projection.name, result.position);
      }
    }
    return { applied };
  }

  /** Empties every projection and replays the whole log into it. */
  async rebuild(onProgress?: (name: string, position: string) => void): Promise<CatchUpResult> {
    await withTransaction(this.pool, async (client) => {
      const names = this.projections.map((p) => p.name);
      await client.query('SELECT 1 FROM projection_checkpoints WHERE name = ANY($1) FOR UPDATE', [names]);
      await client.query(`TRUNCATE ${this.projections.flatMap((p) => p.tables).join(', ')}`);
      await client.query('UPDATE projection_checkpoints SET position = 0, updated_at = now() WHERE name = ANY($1)', [
        names,
      ]);
    });
    return this.catchUp(onProgress);
  }

  private async applyBatch(projection: Projection): Promise<{ count: number; position: string } | null> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ position: string }>(
        'SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE',
        [projection.name],
      );
      if (rows.length === 0) throw new Error(`no checkpoint row for projection ${projection.name}`);
      const events = await this.readAfter(client, rows[0].position);
      if (events.length === 0) return null;
      await projection.apply(client, events);
      const position = events[events.length - 1].globalPosition;
      await client.query('UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE name = $1', [
        projection.name,
        position,
      ]);
      return { count: events.length, position };
    });
  }

  private async readAfter(client: PoolClient, position: string): Promise<RecordedEvent[]> {
    const { rows } = await client.query<EventRow>(
      'SELECT * FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2',
      [position, this.batchSize],
    );
    return rows.map((row) => this.eventStore.toRecorded(row));
  }
}
