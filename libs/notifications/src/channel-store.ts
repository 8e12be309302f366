import type { Pool, PoolClient } from 'pg';
import { ErrorCode, SluiceError, type ChannelSpec } from '../../domain/src';
import { withTransaction } from '../../event-store/src';

export interface StoredChannel {
  spec: ChannelSpec;
  managedBy: 'api' | 'file';
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Notification channels in PostgreSQL, from the API or the channels file. A channel the file
 * owns is changed only by the file, so the next start does not silently undo an API edit.
 */
export class ChannelStore {
  constructor(private readonly pool: Pool) {}

  async channels(): Promise<StoredChannel[]> {
    const { rows } = await this.pool.query<{
      spec: ChannelSpec;
      managed_by: 'api' | 'file';
      created_at: Date;
      updated_at: Date;
    }>('SELECT spec, managed_by, created_at, updated_at FROM notification_channels ORDER BY name');
    return rows.map((r) => ({
      spec: r.spec,
      managedBy: r.managed_by,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  /**
   * Creates or replaces a channel. A channel the file owns is changed only by the file
   * (`managedBy: 'file'`), so the next start does not silently undo an API edit.
   */
  async upsert(spec: ChannelSpec, managedBy: 'api' | 'file'): Promise<{ channel: StoredChannel; created: boolean }> {
    return withTransaction(this.pool, async (client) => {
      const existing = await client.query<{ managed_by: string }>(
        'SELECT managed_by FROM notification_channels WHERE name = $1 FOR UPDATE',
        [spec.name],
      );
      if (existing.rows[0] && existing.rows[0].managed_by !== managedBy && managedBy === 'api')
        throw new SluiceError(
          ErrorCode.InvalidState,
          `Channel ${spec.name} is defined in the notifications file; change it there`,
          { channel: spec.name },
        );
      return this.write(client, spec, managedBy);
    });
  }

  /**
   * Makes the file's channels what the database holds for the file, in one transaction:
   * each written (the file takes over a same-named API channel), and channels the file
   * no longer names deleted. API channels are left alone.
   */
  async syncFile(specs: readonly ChannelSpec[]): Promise<{ written: number; deleted: string[] }> {
    return withTransaction(this.pool, async (client) => {
      for (const spec of specs) await this.write(client, spec, 'file');
      const { rows } = await client.query<{ name: string }>(
        `DELETE FROM notification_channels WHERE managed_by = 'file' AND NOT (name = ANY($1)) RETURNING name`,
        [specs.map((s) => s.name)],
      );
      return { written: specs.length, deleted: rows.map((r) => r.name) };
    });
  }

  private async write(
    client: PoolClient,
    spec: ChannelSpec,
    managedBy: 'api' | 'file',
  ): Promise<{ channel: StoredChannel; created: boolean }> {
    const { rows } = await client.query<{ created_at: Date; updated_at: Date; inserted: boolean }>(
      `INSERT INTO notification_channels (name, kind, spec, managed_by, from_position)
       VALUES ($1, $2, $3, $4, (SELECT coalesce(max(global_position), 0) FROM events))
       ON CONFLICT (name) DO UPDATE SET kind = $2, spec = $3, managed_by = $4, updated_at = now()
       RETURNING created_at, updated_at, (xmax = 0) AS inserted`,
      [spec.name, spec.kind, JSON.stringify(spec), managedBy],
    );
    const row = rows[0];
    return {
      channel: { spec, managedBy, createdAt: row.created_at, updatedAt: row.updated_at },
      created: row.inserted,
    };
  }

  /** Deletes a channel and its undelivered notifications. NOT_FOUND when there is none. */
  async delete(name: string, managedBy: 'api' | 'file'): Promise<void> {
    const { rows } = await this.pool.query<{ managed_by: string }>(
      'SELECT managed_by FROM notification_channels WHERE name = $1',
      [name],
    );
    if (!rows[0]) throw new SluiceError(ErrorCode.NotFound, `No notification channel ${name}`, { channel: name });
    if (rows[0].managed_by !== managedBy)
      throw new SluiceError(
        ErrorCode.InvalidState,
        `Channel ${name} is defined in the notifications file; remove it there`,
        {
          channel: name,
        },
      );
    await this.pool.query('DELETE FROM notification_channels WHERE name = $1', [name]);
  }
}
