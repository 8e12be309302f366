import { startRegionSim, type RegionSim } from './region-sim';

describe('region-sim latency fault', () => {
  let sim: RegionSim;
  beforeAll(async () => {
    sim = await startRegionSim({ regions: ['slow', 'fast'], port: 0, traffic: false });
    sim.fleet.setFaults('slow', { latencyMs: 200 });
  });
  afterAll(() => sim.close());

  const timed = async (path: string, init?: RequestInit) => {
    const started = performance.now();
    const res = await fetch(`${sim.url}${path}`, init);
    await res.text();
    return { status: res.status, ms: performance.now() - started };
  };

  it('delays every config and health request of the region, and only those', async () => {
    const put = {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version: 'v1', config: { a: 1 } }),
    };
    for (const [path, init] of [
      ['/regions/slow/config', put],
      ['/regions/slow/config', undefined],
      ['/regions/slow/health', undefined],
    ] as const) {
      const { status, ms } = await timed(path, init);
      expect(status).toBe(200);
      expect(ms).toBeGreaterThanOrEqual(195);
    }
    expect((await timed('/regions/fast/config')).ms).toBeLessThan(150);
    expect((await timed('/regions/slow/probe')).ms).toBeLessThan(150);
  });
});
