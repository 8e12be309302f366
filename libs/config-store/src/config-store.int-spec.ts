import { Pool } from 'pg';
import { ErrorCode } from '../../domain/src';
import { configHash } from '../../targets/src/config-hash';
import { testServices } from '../../../test/support/test-env';
import { CachedConfigStore, PgConfigStore } from './config-store';

describe('config documents stored once by content hash', () => {
  let pool: Pool;
  let store: PgConfigStore;
  beforeAll(() => {
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 4 });
    store = new PgConfigStore(pool);
  });
  afterAll(() => pool.end());

  it('answers the hash Sluice already computes, and the same document for it', async () => {
    const config = { greeting: `hello ${Date.now()}`, nested: { b: 2, a: [1, 'x'] } };
    const hash = await store.put(config);
    expect(hash).toBe(configHash(config));
    expect(await store.get(hash)).toEqual(config);
  });

  it('stores equal content once, whatever the key order, also when put concurrently', async () => {
    const stamp = Date.now();
    const variants = Array.from({ length: 8 }, (_, i) =>
      i % 2 ? { a: stamp, b: { y: 1, x: 2 } } : { b: { x: 2, y: 1 }, a: stamp },
    );
    const hashes = await Promise.all(variants.map((v) => store.put(v)));
    expect(new Set(hashes).size).toBe(1);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM config_documents WHERE hash = $1', [hashes[0]]);
    expect(rows[0].n).toBe(1);
  });

  it('refuses an unknown hash with NOT_FOUND, naming it', async () => {
    const unknown = 'f'.repeat(64);
    await expect(store.get(unknown)).rejects.toMatchObject({ code: ErrorCode.NotFound, details: { hash: unknown } });
    expect(await store.find(unknown)).toBeUndefined();
  });

  it('never lets a stored body answer for another hash', async () => {
    const hash = 'e'.repeat(64);
    await pool.query(
      `INSERT INTO config_documents (hash, body, size_bytes) VALUES ($1, '{"forged":true}', 15) ON CONFLICT DO NOTHING`,
      [hash],
    );
    await expect(store.get(hash)).rejects.toMatchObject({ code: ErrorCode.Internal });
  });

  it('keeps a 256 KiB document exactly', async () => {
    const big = { blob: 'x'.repeat(256 * 1024 - 32), n: Date.now() };
    const hash = await store.put(big);
    expect(await store.get(hash)).toEqual(big);
  });
});

describe("the worker's cached config store", () => {
  it('answers a document it has seen without the database, and CONFIG_UNAVAILABLE for one it has not', async () => {
    const pool = new Pool({ connectionString: testServices().databaseUrl, max: 2 });
    const cached = new CachedConfigStore(new PgConfigStore(pool));
    const seen = { cached: `seen ${Date.now()}` };
    const hash = await cached.put(seen);
    await pool.end(); // the database is gone for this store
    expect(await cached.get(hash)).toEqual(seen);
    await expect(cached.get('a'.repeat(64))).rejects.toMatchObject({
      code: ErrorCode.ConfigUnavailable,
      details: { hash: 'a'.repeat(64) },
    });
  });

  it('loads a document once and keeps it within its size bound', async () => {
    const pool = new Pool({ connectionString: testServices().databaseUrl, max: 2 });
    const store = new PgConfigStore(pool);
    const hash = await store.put({ loaded: `once ${Date.now()}` });
    const tiny = new CachedConfigStore(store, 1);
    const roomy = new CachedConfigStore(store);
    await roomy.get(hash);
    await tiny.get(hash);
    await pool.end();
    await expect(roomy.get(hash)).resolves.toMatchObject({ loaded: expect.any(String) });
    await expect(tiny.get(hash)).rejects.toMatchObject({ code: ErrorCode.ConfigUnavailable });
  });
});
