/**
 * `npm run bench:halt [-- --quick]`: from an Alertmanager webhook arriving to the rollout
 * workflow reporting the halt through its `liveState` query, 200 trials spread over the
 * phases of a bake (during a gate evaluation and during the wait between evaluations).
 *
 * Reference, same server, same run, one trial after each halt: a signal and then queries
 * until a fresh empty workflow reports it. Targets: p99 < 250 ms, and p50 within 2× the reference's p50.
 * Also checks that no push started after any halt.
 */
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { performance } from 'node:perf_hooks';
import { liveStateQuery } from '../workflows/rollout.messages';
import { rolloutWorkflowId } from '../workflows/rollout.types';
import { postAlerts } from '../test/support/alertmanager-webhook';
import { machineInfo, percentile, publish, runBench, type Report } from './bench-report';
import { startBenchStack } from './bench-stack';
import { REFERENCE_TASK_QUEUE, startReferenceWorker } from './reference/reference-worker';
import { pokeSignal, pokesQuery } from './reference/reference.workflows';

const quick = process.argv.includes('--quick');
const TRIALS = quick ? 20 : 200;
const SERVICES = 8;
const GATE_INTERVAL_MS = 1_000;
const PROBE_DELAY_MS = 300;
const log = (msg: string) => console.log(`[bench:halt] ${msg}`);

/** Polls `probe` as fast as the server answers until it is true; returns when it was first seen true. */
async function until(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) if (await probe()) return performance.now();
  throw new Error('timed out');
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const services = Array.from({ length: SERVICES }, (_, i) => ({
    name: `halt-${i}`,
    regions: [`h${i}-canary`, `h${i}-rest`],
  }));
  const stack = await startBenchStack({ regions: services.flatMap((s) => s.regions) });
  const reference = await startReferenceWorker(stack.temporal.address);
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  try {
    for (const s of services) {
      await stack.registerService(s.name, s.regions);
      stack.sim.fleet.setFaults(s.regions[0], { probeDelayMs: PROBE_DELAY_MS });
    }

    // The reference is measured trial by trial between the halts, each on a fresh empty
    // workflow, so both see the same server, the same load and histories of the same size.
    const raw: number[] = [];
    const referenceTrial = async (i: number) => {
      const empty = await client.workflow.start('signalQueryReference', {
        taskQueue: REFERENCE_TASK_QUEUE,
        workflowId: `reference-${startedAt}-${i}`,
      });
      await empty.query(pokesQuery);
      const t0 = performance.now();
      await empty.signal(pokeSignal);
      const t1 = await until(async () => (await empty.query(pokesQuery)) > 0);
      raw.push(t1 - t0);
      await empty.terminate('reference measured');
    };

    log(`halts: ${TRIALS} trials over ${SERVICES} services`);
    const latencies: number[] = [];
    /** Until the webhook's 200: the outbox commit. */
    const answered: number[] = [];
    const phases = { evaluating: 0, waiting: 0 };
    const rollouts: string[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const service = services[i % SERVICES];
      const handle = client.workflow.getHandle(rolloutWorkflowId(service.name));
      const id = await stack.startRollout({
        service: service.name,
        version: `v${i}`,
        config: { trial: i },
        strategy: { canaryMaxShare: 0.5, growthFactor: 2, bakeSeconds: 3_600, approvalAfterCanary: false },
        gates: [{ kind: 'probe', name: 'probe', path: '/probe' }],
        gateIntervalSeconds: GATE_INTERVAL_MS / 1000,
      });
      rollouts.push(id);
      await until(async () => (await handle.query(liveStateQuery)).phase === 'BAKING', 30_000);
      // Alternate the phase of the bake the halt meets: a gate evaluation in flight (the probe
      // answers 300 ms late), or the wait between two evaluations (the next tick's activity
      // waiting in its retry for its instant; a timer in runs before ticks-wait-in-activity).
      const phase = i % 2 === 0 ? 'evaluating' : 'waiting';
      await until(async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        const evaluating = pending.some(
          (a) =>
            ['evaluateGates', 'evaluateTick'].includes(a.activityType?.name ?? '') &&
            a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
        );
        return evaluating === (phase === 'evaluating');
      });
      phases[phase]++;
      const t0 = performance.now();
      const res = await postAlerts(stack.gateway.url, [
        {
          labels: { alertname: 'BenchHalt', service: service.name, region: service.regions[0] },
          fingerprint: `bench-${i}`,
        },
      ]);
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
      answered.push(performance.now() - t0);
      const t1 = await until(async () => (await handle.query(liveStateQuery)).stopReason !== null);
      latencies.push(t1 - t0);
      await referenceTrial(i);
      await handle.result();
    }

    // no push after any halt: nothing of wave 2 was ever pushed, and no push event follows a halt
    const { rows } = await stack.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events p JOIN events h ON h.stream_id = p.stream_id
       WHERE h.type = 'RolloutHalted' AND p.type = 'RegionConfigPushed' AND p.stream_position > h.stream_position
         AND p.stream_id = ANY($1)`,
      [rollouts],
    );
    const restPushes = services.reduce(
      (n, s) => n + stack.sim.fleet.pushRequests(s.regions[1]).filter((p) => p.version !== null).length,
      0,
    );
    const pushesAfterHalt = rows[0].n + restPushes;

    const r = (x: number) => Math.round(x * 10) / 10;
    const stats = (xs: number[]) => ({
      p50: r(percentile(xs, 50)),
      p95: r(percentile(xs, 95)),
      p99: r(percentile(xs, 99)),
    });
    const halt = stats(latencies);
    const reference_ = stats(raw);
    const results = {
      haltLatencyMs: halt,
      referenceSignalQueryMs: reference_,
      webhookAnsweredMs: stats(answered),
      phases,
      pushesAfterHalt,
      trials: TRIALS,
    };
    const report: Report = {
      name: quick ? 'halt-latency-quick' : 'halt-latency',
      startedAt,
      machine: machineInfo({ temporal: stack.temporal.cli.source }),
      parameters: {
        trials: TRIALS,
        services: SERVICES,
        gateIntervalMs: GATE_INTERVAL_MS,
        probeDelayMs: PROBE_DELAY_MS,
      },
      results,
      targets: [
        { what: 'halt latency p99', target: '< 250 ms', measured: `${halt.p99} ms`, met: halt.p99 < 250 },
        {
          what: 'halt p50 vs raw signal+query p50',
          target: '≤ 2×',
          measured: `${r(halt.p50 / reference_.p50)}× (${halt.p50} vs ${reference_.p50} ms)`,
          met: halt.p50 <= 2 * reference_.p50,
        },
        { what: 'pushes after a halt', target: '0', measured: String(pushesAfterHalt), met: pushesAfterHalt === 0 },
      ],
      notes: [
        'Halt latency: from sending the webhook to the first liveState query that shows the stop reason, polling back to back.',
        'Reference: after each halt, a signal to a fresh empty workflow, then the same back-to-back queries until it reports it.',
        'The webhook path is: commit to the outbox, answer, then the dispatcher sends the haltIfAffected update (one round trip; the workflow checks the region and halts).',
      ],
    };
    publish(stack.root, report, log);
  } finally {
    await connection.close();
    await reference.stop();
    await stack.stop();
  }
}

runBench(main);
