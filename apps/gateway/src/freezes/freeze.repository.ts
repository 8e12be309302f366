import type { Pool } from 'pg';
import { ErrorCode, SluiceError, type EmergencyFreeze } from '../../../../libs/domain/src';

/** An emergency freeze as stored: the domain's, plus when and by whom it was lifted. */
export interface StoredFreeze extends EmergencyFreeze {
  liftedAt: string | null;
  liftedBy: string | null;
}

interface Row {
  id: string;
  service: string | null;
  reason: string;
  declared_by: string;
  declared_at: Date;
  until: Date | null;
  lifted_at: Date | null;
  lifted_by: string | null;
}

const toFreeze = (r: Row): StoredFreeze => ({
  id: r.id,
  service: r.service,
  reason: r.reason,
  declaredBy: r.declared_by,
  declaredAt: r.declared_at.toISOString(),
  until: r.until?.toISOString() ?? null,
  liftedAt: r.lifted_at?.toISOString() ?? null,
  liftedBy: r.lifted_by,
});

/** Emergency freezes in PostgreSQL (`emergency_freezes`). */
export class FreezeRepository {
  constructor(private readonly pool: Pool) {}

  async declare(freeze: Omit<EmergencyFreeze, 'declaredAt'>): Promise<StoredFreeze> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO emergency_freezes (id, service, reason, declared_by, until) VALUES ($1, $2, $3, $4, $5)
       RETURNING *`,
      [freeze.id, freeze.service, freeze.reason, freeze.declaredBy, freeze.until],
    );
    return toFreeze(rows[0]);
  }

  /** Lifts a freeze once; NOT_FOUND for an unknown id, INVALID_STATE for one lifted already. */
  async lift(id: string, by: string): Promise<StoredFreeze> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE emergency_freezes SET lifted_at = now(), lifted_by = $2 WHERE id = $1 AND lifted_at IS NULL RETURNING *`,
      [id, by],
    );
    if (rows[0]) return toFreeze(rows[0]);
    const existing = await this.pool.query<Row>('SELECT * FROM emergency_freezes WHERE id = $1', [id]);
    if (!existing.rows[0]) throw new SluiceError(ErrorCode.NotFound, `freeze "${id}" does not exist`, { id });
    throw new SluiceError(ErrorCode.InvalidState, `freeze "${id}" was lifted already`, {
      id,
      liftedAt: existing.rows[0].lifted_at,
    });
  }

  /** Freezes in force now (not lifted, not past `until`), oldest first; of one service (and all-service ones) if given. */
  async active(service?: string): Promise<StoredFreeze[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM emergency_freezes
        WHERE lifted_at IS NULL AND (until IS NULL OR until > now())
          AND ($1::text IS NULL OR service IS NULL OR service = $1)
        ORDER BY declared_at, id`,
      [service ?? null],
    );
    return rows.map(toFreeze);
  }

  /** The most recent freezes, lifted or not, newest first. */
  async recent(limit: number): Promise<StoredFreeze[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM emergency_freezes ORDER BY declared_at DESC, id DESC LIMIT $1',
      [limit],
    );
    return rows.map(toFreeze);
  }
}
