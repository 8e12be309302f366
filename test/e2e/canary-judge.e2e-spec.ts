import { freePort } from '../../libs/platform/src/free-port';
import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, startRollout, waitForRollout, type RolloutView } from '../support/fixtures';
import { graphql } from '../support/graphql-client';
import {
  describeWithMonitoring,
  startPrometheus,
  waitForScrapedWindow,
  type PrometheusServer,
} from '../support/prometheus';

const WORSE = 'cj-worse-1';
const BETTER = 'cj-better-1';
const CONTROLS = ['cj-west-1', 'cj-west-2'];
/** Seconds of pre-change data each canary judge compares with. */
const WINDOW = 90;

/**
 * The canary judge on real, unequal regions, through a real Prometheus scraping region-sim:
 * one canary region is naturally twice as bad as the controls, another four times better.
 * The judge asks "did the change make this region worse than it was?", comparing each with
 * its own pre-change window while the controls absorb what all regions share.
 */
describeWithMonitoring(['prometheus'], 'the canary judge on regions with different natural error rates', () => {
  let prometheus: PrometheusServer;
  let stack: AppStack;
  const stamp = Date.now();
  const worseService = `cj-worse-${stamp}`;
  const betterService = `cj-better-${stamp}`;

  beforeAll(async () => {
    const regionSimPort = await freePort();
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${regionSimPort}`] });
    stack = await startAppStack({
      regions: [WORSE, BETTER, ...CONTROLS],
      regionSimPort,
      prometheusUrl: prometheus.url,
    });
    const { traffic } = stack.regionSim;
    traffic.setRegionTraffic(WORSE, { baseErrorRate: 0.02, rps: 200 });
    // The better canary serves more: at 0.25% it needs the traffic for a pre-change window
    // precise enough to decide within seconds on a loaded machine.
    traffic.setRegionTraffic(BETTER, { baseErrorRate: 0.0025, rps: 800 });
    for (const control of CONTROLS) traffic.setRegionTraffic(control, { baseErrorRate: 0.01, rps: 400 });
    await registerService(stack, worseService, [WORSE, ...CONTROLS]);
    await registerService(stack, betterService, [BETTER, ...CONTROLS]);
    // Prometheus must hold the whole pre-change window before the first push.
    await waitForScrapedWindow(prometheus, WINDOW);
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
    await prometheus?.stop();
  });

  // alpha 0.001: the spec must not flake on the false alarms a default judge allows
  const gate = {
    kind: 'canary',
    name: 'canary-judge',
    alpha: 0.001,
    beta: 0.05,
    maxTolerated: 3,
    minRequests: 300,
    baselineWindowSeconds: WINDOW,
    // an undecided judge must not pass silently here
    noData: 'fail',
  };
  const start = (service: string, canary: string, version: string, config: Record<string, unknown>) =>
    startRollout(stack, {
      service,
      version,
      config,
      strategy: { canaryMaxShare: 0.4, growthFactor: 4, bakeSeconds: 600, approvalAfterCanary: false },
      waves: [{ regions: [canary] }, { regions: CONTROLS, bakeSeconds: 0 }],
      gates: [gate],
      gateIntervalSeconds: 3,
    });
  const verdicts = (view: RolloutView) =>
    view.events.filter((e) => e.type === 'HealthGateEvaluated' && e.data.kind === 'canary').map((e) => e.data);

  it('passes a harmless change on a canary naturally twice as bad as the controls, long before the bake ends', async () => {
    const started = Date.now();
    const id = await start(worseService, WORSE, 'v-harmless', { release: 'harmless' });
    const done = await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'PAUSED'], 200_000);
    expect({ status: done.status, stopReason: done.stopReason }).toEqual({ status: 'SUCCEEDED', stopReason: null });
    expect(Date.now() - started).toBeLessThan(200_000);
    const pass = verdicts(done).find((v) => v.verdict === 'PASS');
    const evidence = pass?.evidence as Record<string, number> | undefined;
    // the judge saw the canary's natural rate: about twice the controls'
    expect(evidence?.naturalRatio).toBeGreaterThan(1.4);
    expect(evidence?.naturalRatio).toBeLessThan(2.8);
    expect(evidence?.baselineCanaryRequests).toBeGreaterThan(WINDOW * 100);
    expect(evidence?.ePass).toBeGreaterThanOrEqual(evidence!.passThreshold);
    expect(verdicts(done).some((v) => v.verdict === 'FAIL')).toBe(false);
    // the same numbers as fields in GraphQL, for a chart
    const live = await graphql<{
      rolloutLive: { gates: Array<{ gate: string; evidence: { naturalRatio: number; passed: boolean } | null }> };
    }>(stack.gateway.url, `{ rolloutLive(id: "${id}") { gates { gate evidence { naturalRatio passed } } } }`);
    expect(live.errors).toBeUndefined();
    const judged = live.data!.rolloutLive.gates.find((g) => g.gate === 'canary-judge');
    expect(judged?.evidence).toEqual({ naturalRatio: evidence!.naturalRatio, passed: true });
  }, 240_000);

  it('fails a change that triples the errors of a canary naturally four times better, though it stays below the controls', async () => {
    const stopped = await waitForRollout(
      stack,
      await start(betterService, BETTER, 'v-worse', { faults: { errorRateFactor: 3 } }),
      ['ROLLED_BACK', 'SUCCEEDED', 'FAILED', 'PAUSED'],
      200_000,
    );
    expect(stopped.status).toBe('ROLLED_BACK');
    expect(stopped.stopReason).toMatch(/^gate canary-judge failed in cj-better-1: /);
    const fail = verdicts(stopped).find((v) => v.verdict === 'FAIL');
    const evidence = fail?.evidence as Record<string, number> | undefined;
    expect(evidence?.naturalRatio).toBeLessThan(0.45);
    expect(evidence?.eFail).toBeGreaterThanOrEqual(evidence!.failThreshold);
    // 0.75% against the controls' 1% (configured): a judge comparing the regions with each other
    // would have seen a canary better than its controls, and passed it
    expect(stack.regionSim.fleet.get(BETTER)!.version).not.toBe('v-worse');
    expect(stack.regionSim.fleet.get(CONTROLS[0])!.version).not.toBe('v-worse');
  }, 240_000);
});
