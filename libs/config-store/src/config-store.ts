import type { Pool } from 'pg';
import { LRUCache } from 'lru-cache';
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

/**
 * The config store as the worker uses it: documents are immutable by hash, so each one read or
 * written is kept in memory (bounded by size) and a wave of fifty pushes reads it once. A
 * document that cannot be loaded is CONFIG_UNAVAILABLE, whatever the cause.
 */
export class CachedConfigStore {
  private readonly cache: LRUCache<string, ConfigDocument>;

  constructor(
    private readonly store: PgConfigStore,
    maxBytes = 64 * 1024 * 1024,
  ) {
    this.cache = new LRUCache({ maxSize: maxBytes, sizeCalculation: (doc) => Math.max(1, canonicalJson(doc).length) });
  }

  async put(config: ConfigDocument): Promise<string> {
    const hash = await this.store.put(config);
    this.cache.set(hash, config);
    return hash;
  }

  async get(hash: string): Promise<ConfigDocument> {
    const cached = this.cache.get(hash);
    if (cached) return cached;
    let body: ConfigDocument | undefined;
    try {
      body = await this.store.find(hash);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new SluiceError(ErrorCode.ConfigUnavailable, `config document ${hash} could not be loaded: ${message}`, {
        hash,
      });
    }
    if (body === undefined) {
      throw new SluiceError(ErrorCode.ConfigUnavailable, `the config store has no document ${hash}`, { hash });
    }
    this.cache.set(hash, body);
    return body;
  }
}
