import { canaryGateSchema } from '../../../../libs/domain/src';
import {
  startHangingServer,
  activityEnvironment,
  inActivity,
  activitiesFor,
  REGIONS,
  refs,
  gate,
} from '../../../../test/support/gate-activities';

describe('gate evaluation against a Prometheus that does not answer', () => {
  let hanging: { url: string; close(): Promise<void> };
  beforeAll(async () => (hanging = await startHangingServer()));
  afterAll(() => hanging.close());

  // The worker's budget for one evaluation: a 10 s start-to-close, heartbeats due every 3 s.
  const env = () => activityEnvironment(10_000, 3_000);

  it('answers NO_DATA for every region of 8 within the activity’s time, following noData, heartbeating meanwhile', async () => {
    const activities = activitiesFor(hanging.url);
    const context = env();
    const beats: number[] = [];
    context.on('heartbeat', () => beats.push(Date.now()));
    const started = Date.now();
    const results = await inActivity(context, activities.evaluateGates, {
      wave: 1,
      service: 'api',
      regions: refs(REGIONS),
      gates: [
        gate({ kind: 'prometheus', name: 'errors', query: 'up{region="{{region}}"}', comparison: '<', threshold: 1 }),
        gate({ kind: 'prometheus', name: 'latency', query: 'up', comparison: '<', threshold: 1, noData: 'pass' }),
      ],
    });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(10_000);
    expect(results).toHaveLength(16);
    // 8 at a time: the first gate's 8 regions waited out the hang together; the budget was
    // gone before the second gate's turn, and they say so
    for (const r of results) expect(r.verdict).toBe('NO_DATA');
    expect(results.filter((r) => r.gate === 'errors').map((r) => r.detail)).toEqual(
      REGIONS.map(() => expect.stringMatching(/^Prometheus at .* did not answer/)),
    );
    expect(results.filter((r) => r.gate === 'latency').map((r) => r.detail)).toEqual(
      REGIONS.map(() => expect.stringMatching(/did not answer|time ran out before its turn/)),
    );
    expect(results.filter((r) => r.gate === 'errors').map((r) => r.noData)).toEqual(REGIONS.map(() => 'pause'));
    expect(results.filter((r) => r.gate === 'latency').map((r) => r.noData)).toEqual(REGIONS.map(() => 'pass'));
    expect(new Set(results.map((r) => `${r.gate}/${r.region}`)).size).toBe(16);
    // no gap between heartbeats as long as the heartbeat timeout
    const gaps = [started, ...beats, started + elapsed]
      .slice(1)
      .map((t, i, all) => t - (i === 0 ? started : all[i - 1]));
    expect(Math.max(...gaps)).toBeLessThan(3_000);
  }, 30_000);

  it('answers a whole bake tick within the activity’s time: per-region NO_DATA and the canary’s noData', async () => {
    const activities = activitiesFor(hanging.url);
    const started = Date.now();
    const tick = await inActivity(env(), activities.evaluateTick, {
      wave: 1,
      service: 'api',
      regions: refs(REGIONS),
      gates: [gate({ kind: 'prometheus', name: 'errors', query: 'up', comparison: '<', threshold: 1 })],
      canaries: [
        {
          gate: canaryGateSchema.parse({ kind: 'canary', name: 'canary' }),
          canaryRegions: ['r1'],
          baselineRegions: ['r2'],
        },
      ],
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(tick.evaluations.map((e) => e.verdict)).toEqual(REGIONS.map(() => 'NO_DATA'));
    expect(tick.canaryCounts).toEqual([{ noData: expect.stringMatching(/did not answer/) }]);
  }, 30_000);

  it('reads the canary counters as no data within the activity’s time', async () => {
    const activities = activitiesFor(hanging.url);
    const started = Date.now();
    const read = await inActivity(env(), activities.readCanaryCounts, {
      gate: canaryGateSchema.parse({ kind: 'canary', name: 'canary' }),
      service: 'api',
      canaryRegions: ['r1'],
      baselineRegions: ['r2', 'r3'],
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(read).toEqual({ noData: expect.stringMatching(/did not answer/) });
  }, 30_000);

  it('reads the baseline as no data within the activity’s time', async () => {
    const activities = activitiesFor(hanging.url);
    const started = Date.now();
    const read = await inActivity(env(), activities.readCanaryBaseline, {
      gate: canaryGateSchema.parse({ kind: 'canary', name: 'canary' }),
      service: 'api',
      canaryRegions: ['r1'],
      baselineRegions: ['r2'],
      at: Date.now(),
      windowSeconds: 3_600,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(read).toEqual({ noData: expect.stringMatching(/did not answer/) });
  }, 30_000);

  it('does not call a Prometheus it cannot reach a misconfiguration: the precheck could not be made', async () => {
    const activities = activitiesFor(hanging.url);
    const checked = inActivity(env(), activities.checkGates, {
      service: 'api',
      regions: refs(['r1']),
      gates: [
        gate({ kind: 'prometheus', name: 'errors', query: 'up', comparison: '<', threshold: 1, timeoutMs: 500 }),
        gate({ kind: 'canary', name: 'canary', timeoutMs: 500 }),
      ],
    });
    await expect(checked).rejects.toMatchObject({
      type: 'METRICS_UNAVAILABLE',
      nonRetryable: false,
      message: expect.stringMatching(/^Prometheus at .* did not answer/),
    });
  }, 30_000);

  it('lets gates whose policy passes on no data through a Prometheus it cannot reach', async () => {
    const activities = activitiesFor(hanging.url);
    const problems = await inActivity(env(), activities.checkGates, {
      service: 'api',
      regions: refs(['r1']),
      gates: [
        gate({
          kind: 'prometheus',
          name: 'errors',
          query: 'up',
          comparison: '<',
          threshold: 1,
          timeoutMs: 500,
          noData: 'pass',
        }),
        gate({ kind: 'canary', name: 'canary', timeoutMs: 500, noData: 'pass' }),
      ],
    });
    expect(problems).toEqual([]);
  }, 30_000);
});
