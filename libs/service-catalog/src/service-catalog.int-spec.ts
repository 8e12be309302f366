import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { ErrorCode, parseServiceTopology } from '../../domain/src';
import { testServices } from '../../../test/support/test-env';
import { PgServiceCatalog } from './service-catalog';

describe('PostgreSQL service catalog', () => {
  let pool: Pool;
  let catalog: PgServiceCatalog;
  beforeAll(() => {
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 2 });
    catalog = new PgServiceCatalog(pool);
  });
  afterAll(() => pool.end());

  const name = () => `svc-${randomUUID().slice(0, 8)}`;

  it('registers once and refuses the same name again', async () => {
    const topology = parseServiceTopology({ name: name(), regions: [{ name: 'a', endpoint: 'http://127.0.0.1/a' }] });
    await catalog.register(topology);
    await expect(catalog.register(topology)).rejects.toMatchObject({ code: ErrorCode.AlreadyExists });
    expect((await catalog.get(topology.name)).topology).toEqual(topology);
  });

  it('upcasts a topology stored before freeze windows and tiers existed', async () => {
    const legacy = { name: name(), regions: [{ name: 'a', endpoint: 'http://127.0.0.1/a' }] };
    await pool.query('INSERT INTO services (name, topology) VALUES ($1, $2)', [legacy.name, JSON.stringify(legacy)]);
    const { topology } = await catalog.get(legacy.name);
    expect(topology.freezeWindows).toEqual([]);
    expect(topology.regions[0]).toMatchObject({ tier: 'standard', weight: 1, customers: [] });
  });

  it('names the services with a region: blame reads the alert region in other services', async () => {
    const region = `region-${randomUUID().slice(0, 8)}`;
    const at = (n: string, regions: string[]) =>
      parseServiceTopology({ name: n, regions: regions.map((r) => ({ name: r, endpoint: `http://127.0.0.1/${r}` })) });
    const [first, second, elsewhere] = [name(), name(), name()].sort();
    await catalog.register(at(second, ['x', region]));
    await catalog.register(at(first, [region]));
    await catalog.register(at(elsewhere, ['x']));
    expect(await catalog.servicesIn(region)).toEqual([first, second]);
    expect(await catalog.servicesIn(`${region}-none`)).toEqual([]);
  });

  it('answers NOT_FOUND for an unknown service', async () => {
    await expect(catalog.get('nope-nope')).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });
});
