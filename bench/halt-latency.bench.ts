/**
 * `npm run bench:halt [-- --quick] [--cluster]`: from an Alertmanager webhook arriving to the rollout
 * workflow reporting the halt through its `liveState` query, 200 trials spread over the
 * phases of a bake (during a gate evaluation and during the wait between evaluations).
 *
 * Reference, same server, same run, one trial after each halt: a signal and then queries
 * until a fresh empty workflow reports it. Targets: p99 < 250 ms, and p50 within 2× the reference's p50.
 * Also checks that no push started after any halt.
 */
import { Client, Connection } from '@temporalio/client';
import { machineInfo, runBench, publish, type Report } from './bench-report';
import { startBenchStack } from './bench-stack';
import { runClusterBench } from './cluster.bench';
import { HALT_GATE_INTERVAL_MS, HALT_PROBE_DELAY_MS, HALT_SERVICES, measureHalts } from './halt-trials';
import { startReferenceWorker } from './reference/reference-worker';

const quick = process.argv.includes('--quick');
const TRIALS = quick ? 20 : 200;
const log = (msg: string) => console.log(`[bench:halt] ${msg}`);

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const stack = await startBenchStack({ regions: HALT_SERVICES.flatMap((s) => s.regions) });
  const reference = await startReferenceWorker(stack.temporal.address);
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  try {
    const results = await measureHalts(stack, client, { trials: TRIALS, runId: startedAt, log });
    const halt = results.haltLatencyMs;
    const reference_ = results.referenceSignalQueryMs;
    const { pushesAfterHalt } = results;
    const r = (x: number) => Math.round(x * 10) / 10;
    const report: Report = {
      name: quick ? 'halt-latency-quick' : 'halt-latency',
      startedAt,
      machine: machineInfo({ temporal: stack.temporal.source }),
      parameters: {
        trials: TRIALS,
        services: HALT_SERVICES.length,
        gateIntervalMs: HALT_GATE_INTERVAL_MS,
        probeDelayMs: HALT_PROBE_DELAY_MS,
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

// --cluster: the cluster's figures and the dev server's beside them, all from one run (bench/cluster.bench.ts)
runBench(process.argv.includes('--cluster') ? runClusterBench : main);
