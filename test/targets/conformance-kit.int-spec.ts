import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { configHash, HttpRegionClient } from '../../libs/targets/src';
import { runHttpConformance } from '../../libs/targets/src/conformance-kit';

/** An endpoint that ignores If-Match: it accepts every write, the lost update the contract forbids. */
async function startCarelessRegion() {
  let state: { version: string | null; config: Record<string, unknown> | null; revision: number } = {
    version: 'v0',
    config: { keep: 'me' },
    revision: 5,
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const reply = (body: unknown, status = 200) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/health') return reply({ ok: true });
      if (req.method === 'GET') return reply(state);
      const previousVersion = state.version;
      if (req.method === 'DELETE') {
        state = { version: null, config: null, revision: state.revision + 1 };
        return reply(state);
      }
      const body = JSON.parse(raw) as { version: string; config: Record<string, unknown> };
      const changed = body.version !== state.version;
      state = { version: body.version, config: body.config, revision: state.revision + 1 };
      reply({ ...state, previousVersion, changed });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('npm run conformance: the kit a team runs against its own endpoint', () => {
  let sim: RegionSim;
  const client = new HttpRegionClient();
  beforeAll(async () => {
    sim = await startRegionSim({ regions: ['k1', 'k2'], port: 0, traffic: false });
  });
  afterAll(() => sim.close());

  it('passes region-sim, and leaves the region as it found it', async () => {
    const endpoint = `${sim.url}/regions/k1`;
    const start = await client.read(endpoint);
    await client.push(endpoint, 'v-live', { live: true }, start.revision);
    const seen: string[] = [];
    const checks = await runHttpConformance(endpoint, (c) => seen.push(c.name));
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks).toHaveLength(7);
    expect(seen).toEqual(checks.map((c) => c.name));
    expect(await client.read(endpoint)).toMatchObject({ version: 'v-live', configHash: configHash({ live: true }) });
  });

  it('puts "no config" back on a region that had none', async () => {
    const endpoint = `${sim.url}/regions/k2`;
    const checks = await runHttpConformance(endpoint);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(await client.read(endpoint)).toMatchObject({ version: null, config: null });
  });

  it('fails an endpoint that ignores If-Match, naming the check, and still puts its state back', async () => {
    const careless = await startCarelessRegion();
    try {
      const checks = await runHttpConformance(careless.url);
      expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
        'PUT with a stale If-Match is refused with 412 and changes nothing',
      ]);
      expect(checks.find((c) => !c.ok)?.detail).toMatch(/accepted a write conditioned on revision 5/);
      expect(await client.read(careless.url)).toMatchObject({ version: 'v0', config: { keep: 'me' } });
    } finally {
      await careless.close();
    }
  });

  it('stops after the first read when the endpoint answers outside the contract', async () => {
    const checks = await runHttpConformance('http://127.0.0.1:1/nowhere');
    expect(checks).toEqual([
      { name: 'GET /config answers the region state', ok: false, detail: expect.stringMatching(/^REGION_UNREACHABLE/) },
    ]);
  });
});
