/**
 * `npm run bench:scale [-- --quick]`: many rollouts in flight on one machine.
 *
 * 1. Starts 1,000 rollouts (2 regions each) whose canary bakes on a durable timer, all timed
 *    to end at one instant (the release). Reports the worker's RSS with all of them in
 *    flight, and the time from the release until every rollout has completed.
 * 2. While they are in flight, starts one more rollout and reports its time to first push;
 *    the reference is the same measurement on the idle system, earlier in the run.
 * 3. Runs short rollouts with 1, 2 and 3 worker processes and reports the throughput at
 *    each count (1 worker is the reference).
 */
import { Client, Connection } from '@temporalio/client';
import { performance } from 'node:perf_hooks';
import { machineInfo, publish, runBench, type Report } from './bench-report';
import { forEachLimited, rssMiB, sleep, startBenchStack, type BenchStack } from './bench-stack';

const quick = process.argv.includes('--quick');
const IN_FLIGHT = quick ? 100 : 1_000;
const SCALING_ROLLOUTS = quick ? 24 : 96;
const SCALING_CONCURRENCY = 12;
const RELEASE_MARGIN_S = 30;
const START_ALLOWANCE_MS = 200;
const log = (msg: string) => console.log(`[bench:scale] ${msg}`);

const regionsOf = (name: string) => [`${name}-canary`, `${name}-rest`];

/** Which worker process ran the activities of the rollouts started since `since`. */
async function activitiesByWorker(client: Client, since: Date): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for await (const execution of client.workflow.list({
    query: `WorkflowType = 'rolloutWorkflow' AND StartTime >= '${since.toISOString()}'`,
  })) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const identity = e.activityTaskStartedEventAttributes?.identity;
      if (identity) counts[identity] = (counts[identity] ?? 0) + 1;
    }
  }
  return counts;
}

/** From calling startRollout to the canary receiving its first push. */
async function timeToFirstPush(stack: BenchStack, service: string): Promise<number> {
  const canary = regionsOf(service)[0];
  const t0 = Date.now();
  await stack.startRollout({
    service,
    version: 'v1',
    config: { probe: true },
    strategy: { canaryMaxShare: 0.5, growthFactor: 2, bakeSeconds: 0, approvalAfterCanary: false },
  });
  for (;;) {
    const push = stack.sim.fleet.pushRequests(canary)[0];
    if (push) return push.at.getTime() - t0;
    await sleep(2);
  }
}

async function completed(stack: BenchStack, version: string): Promise<number> {
  const { rows } = await stack.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM events WHERE type = 'RolloutSucceeded' AND data->>'version' = $1`,
    [version],
  );
  return rows[0].n;
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const fleet = Array.from({ length: IN_FLIGHT }, (_, i) => `sc-${i}`);
  const probes = ['sc-warm', 'sc-idle', 'sc-busy'];
  const scaling = Array.from({ length: SCALING_CONCURRENCY }, (_, i) => `sw-${i}`);
  const all = [...fleet, ...probes, ...scaling];
  const stack = await startBenchStack({ regions: all.flatMap(regionsOf) });
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  try {
    log(`registering ${all.length} services`);
    await forEachLimited(all, 16, (s) => stack.registerService(s, regionsOf(s)));
    // a first rollout warms the system up (connections, JIT, the workflow bundle), so the
    // idle reference is not a cold start
    await timeToFirstPush(stack, 'sc-warm');
    const idleFirstPushMs = await timeToFirstPush(stack, 'sc-idle');

    // every canary bake ends at the same instant: the release
    // room to start them all: one worker takes about 8 new rollouts a second to their first push
    const release = Date.now() + IN_FLIGHT * START_ALLOWANCE_MS + RELEASE_MARGIN_S * 1000;
    log(`starting ${IN_FLIGHT} rollouts, released at ${new Date(release).toISOString()}`);
    const startClock = performance.now();
    await forEachLimited(fleet, 16, async (service) => {
      const bakeSeconds = Math.max(1, Math.round((release - Date.now()) / 1000));
      const [canary, rest] = regionsOf(service);
      await stack.startRollout({
        service,
        version: 'v-held',
        config: { held: true },
        strategy: { canaryMaxShare: 0.5, growthFactor: 2, bakeSeconds: 0, approvalAfterCanary: false },
        waves: [
          { regions: [canary], bakeSeconds },
          { regions: [rest], bakeSeconds: 0 },
        ],
        gateIntervalSeconds: 3_600,
      });
    });
    const startSeconds = (performance.now() - startClock) / 1000;
    let allPushedSeconds = 0;
    for (;;) {
      const { rows } = await stack.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM events WHERE type = 'RegionConfigVerified'`,
      );
      if (rows[0].n >= IN_FLIGHT + 1) {
        allPushedSeconds = (performance.now() - startClock) / 1000;
        break;
      }
      if (Date.now() > release)
        throw new Error(`only ${rows[0].n - 1} of ${IN_FLIGHT} canaries were pushed before the release`);
      await sleep(250);
    }
    const workerPid = stack.workers[0].child.pid!;
    const rssInFlight = rssMiB(workerPid);
    const busyFirstPushMs = await timeToFirstPush(stack, 'sc-busy');
    log(`all ${IN_FLIGHT} baking; worker RSS ${rssInFlight.now} MiB; waiting for the release`);

    while (Date.now() < release) await sleep(50);
    for (;;) {
      if ((await completed(stack, 'v-held')) >= IN_FLIGHT) break;
      if (Date.now() - release > 600_000) throw new Error('rollouts did not complete within 10 minutes of the release');
      await sleep(100);
    }
    const drainSeconds = (Date.now() - release) / 1000;
    const rssAfter = rssMiB(workerPid);
    log(`all completed ${drainSeconds.toFixed(1)} s after the release`);

    // throughput with 1, 2 and 3 worker processes
    const throughput: Record<string, number> = {};
    /** Activities run by each worker process during each phase, from the workflows' histories. */
    const spread: Record<string, Record<string, number>> = {};
    for (const workers of [1, 2, 3]) {
      while (stack.workers.length < workers) await stack.addWorker(`worker-${stack.workers.length + 1}`);
      const version = `v-w${workers}`;
      const phaseStart = new Date();
      const t0 = performance.now();
      const perService = SCALING_ROLLOUTS / SCALING_CONCURRENCY;
      await Promise.all(
        scaling.map(async (service) => {
          for (let k = 0; k < perService; k++) {
            await stack.startRollout({
              service,
              version: `${version}-${k}`,
              config: { workers, k },
              strategy: { canaryMaxShare: 0.5, growthFactor: 2, bakeSeconds: 0, approvalAfterCanary: false },
            });
            // one rollout per service at a time: wait for this one before the next
            for (;;) {
              const { rows } = await stack.pool.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM events e JOIN events r ON r.stream_id = e.stream_id
                 WHERE e.type IN ('RolloutSucceeded', 'RolloutRolledBack', 'RolloutFailed')
                   AND r.type = 'RolloutRequested' AND r.data->>'service' = $1 AND r.data->>'version' = $2`,
                [service, `${version}-${k}`],
              );
              if (rows[0].n > 0) break;
              await sleep(20);
            }
          }
        }),
      );
      throughput[`${workers}`] = Math.round((SCALING_ROLLOUTS / ((performance.now() - t0) / 1000)) * 60 * 10) / 10;
      spread[`${workers}`] = await activitiesByWorker(client, phaseStart);
      log(`${workers} worker(s): ${throughput[workers]} rollouts/min`);
    }

    const results = {
      inFlight: IN_FLIGHT,
      startCallsSeconds: Math.round(startSeconds * 10) / 10,
      allCanariesPushedSeconds: Math.round(allPushedSeconds * 10) / 10,
      workerRssMiB: { withAllInFlight: rssInFlight.now, afterDrain: rssAfter.now, peak: rssAfter.peak },
      releaseToAllCompletedSeconds: Math.round(drainSeconds * 10) / 10,
      timeToFirstPushMs: { idle: idleFirstPushMs, withAllInFlight: busyFirstPushMs },
      rolloutsPerMinuteByWorkers: throughput,
      activitiesByWorker: spread,
      scalingVsOneWorker: {
        two: Math.round((throughput['2'] / throughput['1']) * 100) / 100,
        three: Math.round((throughput['3'] / throughput['1']) * 100) / 100,
      },
    };
    const report: Report = {
      name: quick ? 'scale-quick' : 'scale',
      startedAt,
      machine: machineInfo({ temporal: stack.temporal.cli.source }),
      parameters: { inFlight: IN_FLIGHT, scalingRollouts: SCALING_ROLLOUTS, scalingConcurrency: SCALING_CONCURRENCY },
      results,
      targets: [
        {
          what: 'time to first push with all in flight vs idle',
          target: 'reported (no target)',
          measured: `${busyFirstPushMs} vs ${idleFirstPushMs} ms`,
          met: true,
        },
      ],
      notes: [
        'Bakes are durable timers sized at start so that every canary bake ends at the release instant (to the second).',
        'Throughput rows: short rollouts (2 regions, no bake), 12 services at a time, with 1, 2 and 3 worker processes on the same machine; activitiesByWorker counts, per phase, the activities each worker process started (from the histories).',
        'On a 2-core machine the worker processes share the cores with Temporal, PostgreSQL, the gateway and this driver.',
      ],
    };
    publish(stack.root, report, log);
  } finally {
    await connection.close();
    await stack.stop();
  }
}

runBench(main);
