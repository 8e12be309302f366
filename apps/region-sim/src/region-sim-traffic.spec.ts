import { startRegionSim, type RegionSim } from './region-sim';

describe('region-sim natural traffic per region', () => {
  let sim: RegionSim;
  beforeAll(async () => {
    sim = await startRegionSim({
      regions: ['canary', 'control'],
      port: 0,
      traffic: false,
      baseErrorRates: { control: 0.01 },
    });
  });
  afterAll(() => sim.close());

  const put = (region: string, body: unknown) =>
    fetch(`${sim.url}/regions/${region}/traffic`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('starts with the configured natural rates and sets a region’s own over HTTP', async () => {
    expect(sim.traffic.healthOf('control').errorRate).toBeCloseTo(0.01);
    const res = await put('canary', { baseErrorRate: 0.0025, rps: 20 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ region: 'canary', traffic: { baseErrorRate: 0.0025, rps: 20 } });
    expect(sim.traffic.healthOf('canary').errorRate).toBeCloseTo(0.0025);
  });

  it('refuses a bad body or an unknown region and changes nothing', async () => {
    for (const body of [{ baseErrorRate: 2 }, { rps: -1 }, { errorRate: 0.1 }]) {
      const res = await put('canary', body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringContaining('baseErrorRate'),
      });
    }
    expect((await put('nowhere', { rps: 1 })).status).toBe(404);
    expect(sim.traffic.healthOf('canary').errorRate).toBeCloseTo(0.0025);
  });

  const incident = (body: unknown) =>
    fetch(`${sim.url}/incident`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('degrades only the regions an incident names, and refuses unknown ones without changing anything', async () => {
    const res = await incident({ errorRate: 0.2, regions: ['control'] });
    expect(res.status).toBe(200);
    expect(sim.traffic.healthOf('control').errorRate).toBeCloseTo(0.21);
    expect(sim.traffic.healthOf('canary').errorRate).toBeCloseTo(0.0025);

    for (const [body, status] of [
      [{ errorRate: 0.5, regions: ['nowhere'] }, 404],
      [{ errorRate: 0.5, regions: [] }, 400],
      [{ errorRate: 0.5, region: 'canary' }, 400],
    ] as const) {
      expect({ body, status: (await incident(body)).status }).toEqual({ body, status });
    }
    expect(sim.traffic.healthOf('control').errorRate).toBeCloseTo(0.21);

    expect((await incident({})).status).toBe(200);
    expect(sim.traffic.healthOf('control').errorRate).toBeCloseTo(0.01);
  });
});
