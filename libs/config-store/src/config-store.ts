import type { Pool } from 'pg';
import { canonicalJson, ErrorCode, SluiceError } from '../../domain/src';
import { configHash } from '../../targets/src/config-hash';

export type ConfigDocument = Record<string, unknown>;

/**
 * Config documents stored once by content hash. `put` is idempotent, so a retried activity or
 * two rollouts of the same config store one row. The hash is recomputed from the canonical
 * form on the way in and checked on the way out, so a stored body can never answer for
 * another hash.
 */
export class PgConfigStore {
  constructor(private readonly pool: Pool) {}

  async put(config: ConfigDocument): Promise<string> {
    const hash = configHash(config);
    const body = canonicalJson(config);
    await this.pool.query(
      `INSERT INTO config_documents (hash, body, size_bytes) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING`,
      [hash, body, Buffer.byteLength(body)],
    );
    return hash;
  }

  async find(hash: string): Promise<ConfigDocument | undefined> {
    const { rows } = await this.pool.query<{ body: ConfigDocument }>(
      'SELECT body FROM config_documents WHERE hash = $1',
      [hash],
    );
    const body = rows[0]?.body;
    if (body !== undefined && configHash(body) !== hash) {
      throw new SluiceError(ErrorCode.Internal, `config document ${hash} does not match its hash`, { hash });
    }
    return body;
  }

  async get(hash: string): Promise<ConfigDocument> {
    const body = await this.find(hash);
    if (body === undefined) {
      throw new SluiceError(ErrorCode.NotFound, `no config document with hash ${hash}`, { hash });
    }
    return body;
  }
}
