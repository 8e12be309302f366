import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { freePort } from '../../libs/platform/src/free-port';
import { registerService, startRollout, waitForRollout, type StackUrls } from '../support/fixtures';
import { metricTypes } from '../support/metrics-text';
import { spawnGateway, spawnWorker, type GatewayProcess, type SluiceProcess } from '../support/sluice-process';
import { OBSERVED_SDK_METRICS } from '../support/temporal-sdk-metrics';
import { testServices } from '../support/test-env';

const REGIONS = ['sdk-canary', 'sdk-west'];
const SERVICE = `sdk-metered-${Date.now().toString(36)}`;

/**
 * The Temporal SDK's own worker metrics, served by the worker process (its main.ts installs the
 * Runtime) on WORKER_SDK_METRICS_PORT, named the Prometheus way.
 */
describe('chaos: the worker process serves the Temporal SDK metrics on WORKER_SDK_METRICS_PORT', () => {
  const processes: SluiceProcess[] = [];
  let gateway: GatewayProcess;
  let sim: RegionSim;
  let sdkPort: number;

  beforeAll(async () => {
    const env = { ...testServices(), taskQueue: `sluice-sdk-metrics-${Date.now()}` };
    sdkPort = await freePort();
    sim = await startRegionSim({ regions: REGIONS, port: 0, traffic: false });
    gateway = await spawnGateway('gateway', env);
    processes.push(gateway, await spawnWorker('worker', env, { WORKER_SDK_METRICS_PORT: String(sdkPort) }));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await sim?.close();
  });

  it('exports slots, pollers, requests and task latencies once a rollout ran', async () => {
    const urls: StackUrls = { gateway, regionSim: sim };
    await registerService(urls, SERVICE, REGIONS);
    const id = await startRollout(urls, {
      service: SERVICE,
      version: 'v1',
      config: { metered: true },
      strategy: { canaryMaxShare: 0.5, growthFactor: 2, bakeSeconds: 0, approvalAfterCanary: false },
    });
    expect((await waitForRollout(urls, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED'])).status).toBe('SUCCEEDED');
    const text = await (await fetch(`http://127.0.0.1:${sdkPort}/metrics`)).text();
    const served = [...metricTypes(text).keys()];
    expect(OBSERVED_SDK_METRICS.filter((name) => !served.includes(name))).toEqual([]);
    expect(text).toMatch(/^temporal_worker_task_slots_available\{.*worker_type="ActivityWorker".*\} \d+/m);
    // Sluice's own metrics stay on the worker's /metrics port, not mixed into the SDK's
    expect(served.filter((name) => name.startsWith('sluice_'))).toEqual([]);
  });
});
