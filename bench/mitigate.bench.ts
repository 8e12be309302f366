/**
 * `npm run bench:mitigate [-- --quick]`: time to mitigation, what an incident feels. From an
 * Alertmanager webhook to every touched region restored and verified, for 1, 10 and 50
 * touched regions, region-sim answering every config and health request 50 ms late.
 *
 * A trial: a rollout whose waves push the wanted number of regions (a canary, then the rest
 * of them in one wave, one more region left for a last wave) is halted by a webhook naming a
 * region of the newest wave while that wave bakes. Mitigated is when the last restore
 * activity (PUT, then read back and checked) completed in the rollout's Temporal history.
 *
 * Floor, same region-sim, same run, one trial after each: a bare client restores the same
 * regions at once with the same requests (bench/mitigate/floor.ts). Target at every size:
 * mitigateP50Ms ≤ 1.5 × floorP50Ms + 100 ms.
 */
import { Client, Connection } from '@temporalio/client';
import { performance } from 'node:perf_hooks';
import { HttpRegionClient } from '../libs/targets/src';
import { liveStateQuery } from '../workflows/rollout.messages';
import { rolloutWorkflowId } from '../workflows/rollout.types';
import { postAlerts } from '../test/support/alertmanager-webhook';
import { machineInfo, runBench } from './bench-report';
import { sleep, startBenchStack, type BenchStack } from './bench-stack';
import { restoreBare } from './mitigate/floor';
import { publishMitigate, summarize, type SizeSamples } from './mitigate/mitigate-report';
import { readTimeline, stagesOf, type TrialStages } from './mitigate/trial-timeline';

const quick = process.argv.includes('--quick');
const SIZES = [1, 10, 50];
const TRIALS = quick ? 5 : 100;
const LATENCY_MS = 50;
const OLD = { version: 'old', config: { release: 'old', limits: { rps: 100 } } };
const log = (msg: string) => console.log(`[bench:mitigate] ${msg}`);
/** Epoch ms with sub-ms resolution, comparable with Temporal's and PostgreSQL's timestamps. */
const now = () => performance.timeOrigin + performance.now();

interface SizeSetup {
  touched: number;
  service: string;
  regions: string[];
  waves: Array<{ regions: string[]; bakeSeconds: number }>;
  /** The wave whose bake the halt meets. */
  haltWave: number;
  waveOf: Map<string, number>;
}

/** N touched regions: a canary, then N−1 in one wave, then one region the rollout never reaches. */
function sizeSetup(touched: number): SizeSetup {
  const service = `mitigate-${touched}`;
  const regions = Array.from({ length: touched + 1 }, (_, k) => `m${touched}-r${String(k).padStart(2, '0')}`);
  const bake = 3_600;
  const waves =
    touched === 1
      ? [
          { regions: [regions[0]], bakeSeconds: bake },
          { regions: [regions[1]], bakeSeconds: 0 },
        ]
      : [
          { regions: [regions[0]], bakeSeconds: 0 },
          { regions: regions.slice(1, touched), bakeSeconds: bake },
          { regions: [regions[touched]], bakeSeconds: 0 },
        ];
  const waveOf = new Map(waves.flatMap((w, i) => w.regions.map((r) => [r, i + 1] as const)));
  return { touched, service, regions, waves, haltWave: touched === 1 ? 1 : 2, waveOf };
}

/** Polls `probe` every `everyMs` until it holds; returns when it was first seen to hold (epoch ms). */
async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 1) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probe()) return now();
    await sleep(everyMs);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

const servesOld = (stack: BenchStack, regions: readonly string[]) =>
  regions.every((r) => stack.sim.fleet.get(r)?.version === OLD.version);

async function sluiceTrial(
  stack: BenchStack,
  client: Client,
  setup: SizeSetup,
  trial: number,
): Promise<{ stages: TrialStages; restoredMs: number }> {
  const touched = setup.waves.slice(0, setup.haltWave).flatMap((w) => w.regions);
  const handle = client.workflow.getHandle(rolloutWorkflowId(setup.service));
  const version = `v${trial + 1}`;
  const rolloutId = await stack.startRollout({
    service: setup.service,
    version,
    config: { release: version, limits: { rps: 100 + trial } },
    strategy: { canaryMaxShare: 0.5, growthFactor: 100, bakeSeconds: 0, approvalAfterCanary: false },
    waves: setup.waves,
    gates: [],
  });
  await until(
    `${rolloutId} baking wave ${setup.haltWave}`,
    async () => {
      const live = await handle.query(liveStateQuery);
      return live.wave === setup.haltWave && live.phase === 'BAKING';
    },
    120_000,
    20,
  );
  if (!touched.every((r) => stack.sim.fleet.get(r)?.version === version)) {
    throw new Error(`${rolloutId}: baking wave ${setup.haltWave} but not every touched region serves ${version}`);
  }

  const fingerprint = `mitigate-${setup.touched}-${trial}-${Date.now()}`;
  const sent = now();
  const restored = until(`${rolloutId} restored in region-sim`, () => servesOld(stack, touched), 120_000);
  const res = await postAlerts(stack.gateway.url, [
    { labels: { alertname: 'BenchMitigate', service: setup.service, region: touched.at(-1)! }, fingerprint },
  ]);
  const answered = now();
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
  const restoredAt = await restored;
  const result = await handle.result();
  if (result.status !== 'ROLLED_BACK') throw new Error(`${rolloutId} ended ${result.status}: ${result.reason}`);
  const timeline = await readTimeline({
    history: await handle.fetchHistory(),
    fleet: stack.sim.fleet,
    pool: stack.pool,
    rolloutId,
    fingerprint,
    restoredVersion: OLD.version,
    waveOf: setup.waveOf,
    sent,
    answered,
  });
  if (timeline.restores.length !== touched.length) {
    throw new Error(`${rolloutId}: ${timeline.restores.length} restores for ${touched.length} touched regions`);
  }
  return { stages: stagesOf(timeline), restoredMs: restoredAt - sent };
}

/** The floor: the touched regions put back in the state a push leaves, then restored bare. */
async function floorTrial(
  stack: BenchStack,
  regions: HttpRegionClient,
  setup: SizeSetup,
  trial: number,
): Promise<{ floorMs: number; restoredMs: number }> {
  const touched = setup.waves.slice(0, setup.haltWave).flatMap((w) => w.regions);
  for (const r of touched) stack.sim.fleet.apply(r, `floor-${trial}`, { release: `floor-${trial}` });
  const sent = now();
  const restored = until('floor restored in region-sim', () => servesOld(stack, touched), 60_000);
  await restoreBare(
    regions,
    touched.map((region) => ({ region, endpoint: `${stack.sim.url}/regions/${region}` })),
    OLD.version,
    OLD.config,
  );
  const done = now();
  return { floorMs: done - sent, restoredMs: (await restored) - sent };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const setups = SIZES.map(sizeSetup);
  const stack = await startBenchStack({ regions: setups.flatMap((s) => s.regions) });
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  const bare = new HttpRegionClient();
  try {
    for (const setup of setups) {
      await stack.registerService(setup.service, setup.regions);
      for (const r of setup.regions) {
        stack.sim.fleet.apply(r, OLD.version, OLD.config);
        stack.sim.fleet.setFaults(r, { latencyMs: LATENCY_MS });
      }
    }
    const samples: SizeSamples[] = [];
    for (const setup of setups) {
      log(`${setup.touched} touched region(s): ${TRIALS} trials, each followed by a floor trial`);
      await floorTrial(stack, bare, setup, -1); // opens the bare client's connections; not counted
      const size: SizeSamples = { regions: setup.touched, waves: setup.waves.length, sluice: [], floor: [] };
      for (let i = 0; i < TRIALS; i++) {
        size.sluice.push(await sluiceTrial(stack, client, setup, i));
        size.floor.push(await floorTrial(stack, bare, setup, i));
        if ((i + 1) % 10 === 0 || i + 1 === TRIALS) {
          const s = summarize(size);
          log(`  ${i + 1}/${TRIALS}: mitigate p50 ${s.mitigateP50Ms} ms, floor p50 ${s.floorP50Ms} ms`);
        }
      }
      samples.push(size);
    }
    const untouched = setups.map((s) => s.regions.at(-1)!);
    const pushesToUntouched = untouched.reduce((n, r) => n + stack.sim.fleet.pushRequestCount(r), 0);
    publishMitigate(stack.root, {
      name: quick ? 'mitigate-quick' : 'mitigate',
      startedAt,
      machine: machineInfo({ temporal: stack.temporal.source }),
      parameters: {
        sizes: SIZES,
        trialsPerSize: TRIALS,
        regionLatencyMs: LATENCY_MS,
        plan: 'a canary wave of 1, then the other touched regions in one wave (halted while it bakes), then 1 untouched region',
        gates: 'none (the halt comes from the webhook)',
      },
      samples,
      pushesToUntouched,
      log,
    });
  } finally {
    await connection.close();
    await stack.stop();
  }
}

runBench(main);
