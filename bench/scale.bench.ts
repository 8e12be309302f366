/**
 * `npm run bench:scale [-- --quick]`: many rollouts in flight on one machine.
 *
 * 1. Starts 1,000 rollouts (2 regions each) that hold after their canary, waiting durably for
 *    the approval of wave 1. Once every canary has been pushed and every rollout waits (as
 *    long as that takes on this machine), reports the worker's RSS with all of them in flight;
 *    then releases them all by approving them, and reports the time from the release until
 *    every rollout has completed.
 * 2. While they are in flight, starts one more rollout and reports its time to first push;
 *    the reference is the same measurement on the idle system, earlier in the run.
 * 3. Runs short rollouts with 1, 2 and 3 worker processes and reports the throughput at
 *    each count (1 worker is the reference).
 *
 * Each phase ends on what has happened (a count reached), never at an instant fixed in
 * advance; a phase fails only when its count stops moving.
 */
import { Client, Connection } from '@temporalio/client';
import { performance } from 'node:perf_hooks';
import { machineInfo, publish, runBench, type Report } from './bench-report';
import { forEachLimited, rssMiB, sleep, startBenchStack, untilCount, type BenchStack } from './bench-stack';

const quick = process.argv.includes('--quick');
const IN_FLIGHT = quick ? 100 : 1_000;
const SCALING_ROLLOUTS = quick ? 24 : 96;
const SCALING_CONCURRENCY = 12;
/** startRollout and approveWave calls in flight at once. */
const CALL_CONCURRENCY = 16;
const log = (msg: string) => console.log(`[bench:scale] ${msg}`);

const regionsOf = (name: string) => [`${name}-canary`, `${name}-rest`];

/**
 * Which worker process ran the activities of these rollouts, from their workflows' histories.
 * A workflow closes a moment after its rollout's last event; its history is read only then,
 * so its last activity is in it.
 */
async function activitiesByWorker(
  stack: BenchStack,
  client: Client,
  rolloutIds: readonly string[],
): Promise<Record<string, number>> {
  const { rows } = await stack.pool.query<{ workflow_id: string; run_id: string }>(
    `SELECT metadata->>'workflowId' AS workflow_id, metadata->>'runId' AS run_id
     FROM events WHERE stream_id = ANY($1) AND stream_position = 1`,
    [rolloutIds],
  );
  const counts: Record<string, number> = {};
  for (const { workflow_id, run_id } of rows) {
    const handle = client.workflow.getHandle(workflow_id, run_id);
    await handle.result();
    const history = await handle.fetchHistory();
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
    if (Date.now() - t0 > 120_000) throw new Error(`the first push of ${service} did not come within 120 s`);
    await sleep(2);
  }
}

/** Events of `type` recorded for rollouts of `version` (RolloutRequested carries the version). */
async function eventsOf(stack: BenchStack, type: string, version: string): Promise<number> {
  const { rows } = await stack.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM events e JOIN events r ON r.stream_id = e.stream_id
     WHERE e.type = $1 AND r.type = 'RolloutRequested' AND r.data->>'version' = $2`,
    [type, version],
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

    // every rollout holds after its canary, waiting for the approval of wave 1: no timer, so
    // the release comes when every canary has been pushed, however long that takes here
    log(`starting ${IN_FLIGHT} rollouts that hold after their canary`);
    const held: string[] = [];
    const startClock = performance.now();
    await forEachLimited(fleet, CALL_CONCURRENCY, async (service) => {
      const [canary, rest] = regionsOf(service);
      const id = await stack.startRollout({
        service,
        version: 'v-held',
        config: { held: true },
        strategy: { canaryMaxShare: 0.5, growthFactor: 2, bakeSeconds: 0, approvalAfterCanary: false },
        waves: [
          { regions: [canary], bakeSeconds: 0, requiresApproval: true },
          { regions: [rest], bakeSeconds: 0 },
        ],
        gateIntervalSeconds: 3_600,
      });
      held.push(id);
    });
    const startSeconds = (performance.now() - startClock) / 1000;
    await untilCount('canaries pushed', () => eventsOf(stack, 'RegionConfigVerified', 'v-held'), IN_FLIGHT);
    const allPushedSeconds = (performance.now() - startClock) / 1000;
    await untilCount('rollouts awaiting approval', () => eventsOf(stack, 'ApprovalRequested', 'v-held'), IN_FLIGHT);
    const allHeldSeconds = (performance.now() - startClock) / 1000;
    const workerPid = stack.workers[0].child.pid!;
    const rssInFlight = rssMiB(workerPid);
    const busyFirstPushMs = await timeToFirstPush(stack, 'sc-busy');
    log(`all ${IN_FLIGHT} held after ${allHeldSeconds.toFixed(1)} s; worker RSS ${rssInFlight.now} MiB; releasing`);

    const release = performance.now();
    await forEachLimited(held, CALL_CONCURRENCY, async (id) => {
      await stack.gql(`mutation { approveWave(id: "${id}", wave: 1) { status } }`, {}, 'bob');
    });
    const approveCallsSeconds = (performance.now() - release) / 1000;
    await untilCount(
      'rollouts completed after the release',
      () => eventsOf(stack, 'RolloutSucceeded', 'v-held'),
      IN_FLIGHT,
      {
        intervalMs: 100,
      },
    );
    const drainSeconds = (performance.now() - release) / 1000;
    const rssAfter = rssMiB(workerPid);
    log(`all completed ${drainSeconds.toFixed(1)} s after the release`);

    // throughput with 1, 2 and 3 worker processes
    const throughput: Record<string, number> = {};
    /** Activities run by each worker process during each phase, from the workflows' histories. */
    const spread: Record<string, Record<string, number>> = {};
    for (const workers of [1, 2, 3]) {
      while (stack.workers.length < workers) await stack.addWorker(`worker-${stack.workers.length + 1}`);
      const version = `v-w${workers}`;
      const phaseRollouts: string[] = [];
      const t0 = performance.now();
      const perService = SCALING_ROLLOUTS / SCALING_CONCURRENCY;
      await Promise.all(
        scaling.map(async (service) => {
          for (let k = 0; k < perService; k++) {
            const id = await stack.startRollout({
              service,
              version: `${version}-${k}`,
              config: { workers, k },
              strategy: { canaryMaxShare: 0.5, growthFactor: 2, bakeSeconds: 0, approvalAfterCanary: false },
            });
            phaseRollouts.push(id);
            // one rollout per service at a time: wait for this one before the next
            await untilCount(
              `${service} ${version}-${k} finished`,
              async () => {
                const { rows } = await stack.pool.query<{ n: number }>(
                  `SELECT count(*)::int AS n FROM events e JOIN events r ON r.stream_id = e.stream_id
                   WHERE e.type IN ('RolloutSucceeded', 'RolloutRolledBack', 'RolloutFailed')
                     AND r.type = 'RolloutRequested' AND r.data->>'service' = $1 AND r.data->>'version' = $2`,
                  [service, `${version}-${k}`],
                );
                return rows[0].n;
              },
              1,
              { intervalMs: 20 },
            );
          }
        }),
      );
      throughput[`${workers}`] = Math.round((SCALING_ROLLOUTS / ((performance.now() - t0) / 1000)) * 60 * 10) / 10;
      spread[`${workers}`] = await activitiesByWorker(stack, client, phaseRollouts);
      log(`${workers} worker(s): ${throughput[workers]} rollouts/min`);
    }

    const results = {
      inFlight: IN_FLIGHT,
      startCallsSeconds: Math.round(startSeconds * 10) / 10,
      allCanariesPushedSeconds: Math.round(allPushedSeconds * 10) / 10,
      allAwaitingReleaseSeconds: Math.round(allHeldSeconds * 10) / 10,
      workerRssMiB: { withAllInFlight: rssInFlight.now, afterDrain: rssAfter.now, peak: rssAfter.peak },
      approveCallsSeconds: Math.round(approveCallsSeconds * 10) / 10,
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
      machine: machineInfo({ temporal: stack.temporal.source }),
      parameters: {
        inFlight: IN_FLIGHT,
        callConcurrency: CALL_CONCURRENCY,
        scalingRollouts: SCALING_ROLLOUTS,
        scalingConcurrency: SCALING_CONCURRENCY,
      },
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
        'The rollouts in flight hold after their canary, waiting durably for the approval of wave 1. The release comes once every canary has been pushed and every rollout waits (allCanariesPushedSeconds, allAwaitingReleaseSeconds, from the first start call): phases end on what has happened, not at an instant fixed in advance, and fail only when their count stops moving for 120 s.',
        `The release is approveWave through the gateway for every held rollout, ${CALL_CONCURRENCY} calls at a time (approveCallsSeconds until the last was answered); releaseToAllCompletedSeconds runs from the first approval to the last RolloutSucceeded.`,
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
