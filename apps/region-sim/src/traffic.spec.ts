import { RegionFleet } from './region-fleet';
import { TrafficGenerator } from './traffic';

/** A small deterministic generator (mulberry32), so the statistics below are exact for a seed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function counts(traffic: TrafficGenerator, region: string) {
  const metric = await traffic.registry.getSingleMetric('sluice_sim_requests_total')!.get();
  const of = (code: string) =>
    metric.values.find((v) => v.labels.region === region && v.labels.code === code)?.value ?? 0;
  return { ok: of('200'), failed: of('500') };
}

describe('synthetic regional traffic', () => {
  const options = () => ({ baseRps: 100, baseErrorRate: 0.005, baseLatencyMs: 40, tickMs: 100, random: seeded(42) });

  it('serves more load in later regions and almost no errors without faults', async () => {
    const fleet = new RegionFleet(['a', 'b', 'c']);
    const traffic = new TrafficGenerator(fleet, options());
    for (let i = 0; i < 100; i++) traffic.tick(); // 10 simulated seconds
    const a = await counts(traffic, 'a');
    const c = await counts(traffic, 'c');
    expect(a.ok + a.failed).toBe(1000);
    expect(c.ok + c.failed).toBe(2000);
    expect(a.failed / 1000).toBeLessThan(0.02);
  });

  it('fails the share a pushed config asks for, and heals when the config is rolled back', async () => {
    const fleet = new RegionFleet(['a']);
    const traffic = new TrafficGenerator(fleet, options());
    fleet.apply('a', 'v2', { faults: { errorRate: 0.2, extraLatencyMs: 300 } });
    expect(traffic.healthOf('a')).toEqual({ errorRate: expect.closeTo(0.205), extraLatencyMs: 300 });
    for (let i = 0; i < 100; i++) traffic.tick();
    const bad = await counts(traffic, 'a');
    expect(bad.failed / (bad.ok + bad.failed)).toBeGreaterThan(0.15);
    expect(bad.failed / (bad.ok + bad.failed)).toBeLessThan(0.26);

    fleet.apply('a', 'v1', { faults: {} });
    expect(traffic.healthOf('a')).toEqual({ errorRate: 0.005, extraLatencyMs: 0 });
  });

  it('gives each region its own natural error rate and load, and a change multiplies the natural rate', async () => {
    const fleet = new RegionFleet(['canary', 'control']);
    const traffic = new TrafficGenerator(fleet, options());
    traffic.setRegionTraffic('canary', { baseErrorRate: 0.0025, rps: 50 });
    traffic.setRegionTraffic('control', { baseErrorRate: 0.02 });
    for (let i = 0; i < 1_000; i++) traffic.tick(); // 100 simulated seconds
    const canary = await counts(traffic, 'canary');
    const control = await counts(traffic, 'control');
    expect(canary.ok + canary.failed).toBe(5_000);
    expect(control.ok + control.failed).toBe(15_000); // its share of baseRps: 100 × 1.5
    // 12.5 expected errors against 300: the canary is naturally eight times better
    expect(canary.failed).toBeLessThan(30);
    expect(control.failed / 15_000).toBeGreaterThan(0.015);

    fleet.apply('canary', 'v2', { faults: { errorRateFactor: 2 } });
    expect(traffic.healthOf('canary').errorRate).toBeCloseTo(0.005);
    expect(traffic.healthOf('control').errorRate).toBeCloseTo(0.02);
    expect(traffic.setRegionTraffic('canary', {})).toEqual({ baseErrorRate: 0.0025, rps: 50 });
  });

  it('degrades every region during a simulated dependency incident', () => {
    const fleet = new RegionFleet(['a', 'b']);
    const traffic = new TrafficGenerator(fleet, options());
    traffic.incident = { errorRate: 0.3, extraLatencyMs: 0 };
    expect(traffic.healthOf('a').errorRate).toBeCloseTo(0.305);
    expect(traffic.healthOf('b').errorRate).toBeCloseTo(0.305);
  });

  it('degrades only the regions an incident names', () => {
    const fleet = new RegionFleet(['a', 'b']);
    const traffic = new TrafficGenerator(fleet, options());
    traffic.incident = { errorRate: 0.3, extraLatencyMs: 40, regions: ['b'] };
    expect(traffic.healthOf('a')).toEqual({ errorRate: expect.closeTo(0.005), extraLatencyMs: 0 });
    expect(traffic.healthOf('b')).toEqual({ errorRate: expect.closeTo(0.305), extraLatencyMs: 40 });
  });

  it('exports the request counter and the latency histogram in Prometheus format', async () => {
    const fleet = new RegionFleet(['a']);
    const traffic = new TrafficGenerator(fleet, options());
    traffic.tick();
    const text = await traffic.registry.metrics();
    expect(text).toContain('sluice_sim_requests_total{region="a",code="200"}');
    expect(text).toContain('sluice_sim_request_duration_seconds_bucket{le="0.1",region="a"}');
  });
});
