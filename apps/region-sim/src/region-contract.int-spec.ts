import { startRegionSim, type RegionSim } from './region-sim';
import { ErrorCode, SluiceError } from '../../../libs/domain/src';
import { configHash, HttpRegionClient } from '../../../libs/targets/src';

/** The region contract (docs/REGION-CONTRACT.md) between Sluice's HTTP client and a real region-sim. */
describe('the region contract, client against region-sim', () => {
  let sim: RegionSim;
  const client = new HttpRegionClient(2_000);
  const endpoint = (region: string) => `${sim.url}/regions/${region}`;
  const codeOf = async (call: Promise<unknown>) =>
    call.then(
      () => 'accepted',
      (err: unknown) => (err instanceof SluiceError ? err.code : String(err)),
    );

  beforeAll(async () => {
    sim = await startRegionSim({ regions: ['r1', 'r2', 'r3'], port: 0, traffic: false });
  });
  afterAll(() => sim?.close());

  it('answers each write with a new revision, in the body and as the ETag', async () => {
    const before = await client.read(endpoint('r1'));
    expect(before).toMatchObject({ region: 'r1', version: null, config: null, configHash: null, revision: 0 });
    const pushed = await client.push(endpoint('r1'), 'v1', { a: 1 }, before.revision);
    expect(pushed).toMatchObject({ version: 'v1', configHash: configHash({ a: 1 }), revision: 1, changed: true });
    const again = await client.push(endpoint('r1'), 'v1', { a: 1 }, pushed.revision);
    expect(again).toMatchObject({ revision: 2, changed: false });
    const res = await fetch(`${endpoint('r1')}/config`);
    expect(res.headers.get('etag')).toBe('"2"');
  });

  it('refuses a write on a revision the region no longer has with 412, REGION_CHANGED, and changes nothing', async () => {
    const read = await client.read(endpoint('r2'));
    await client.push(endpoint('r2'), 'v1', { a: 1 }, read.revision);
    await client.push(endpoint('r2'), 'v0', { a: 0 });
    expect(await codeOf(client.push(endpoint('r2'), 'v1', { a: 1 }, read.revision))).toBe(ErrorCode.RegionChanged);
    expect(await codeOf(client.clear(endpoint('r2'), read.revision))).toBe(ErrorCode.RegionChanged);
    expect(await client.read(endpoint('r2'))).toMatchObject({ version: 'v0', revision: 2 });
  });

  it('turns an answer outside the contract into REGION_PROTOCOL, never into "no config"', async () => {
    sim.fleet.apply('r3', 'v1', { a: 1 });
    sim.fleet.setFaults('r3', { answerWithoutConfig: true });
    expect(await codeOf(client.read(endpoint('r3')))).toBe(ErrorCode.RegionProtocol);
  });
});
