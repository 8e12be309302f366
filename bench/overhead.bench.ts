/**
 * `npm run bench:overhead [-- --quick] [--cluster]`: what Sluice costs on top of Temporal.
 *
 * Runs N rollouts of 8 regions through Sluice (event recording, a trivial probe gate, no
 * bake), 8 at a time, and measures rollouts per minute. Reference, same server, same run: a
 * bare workflow that executes trivial activities in the same pattern as a Sluice rollout
 * (the batch sizes read from a real rollout's history), also 8 at a time.
 * Target: Sluice reaches at least 0.6× the bare workflow's throughput.
 */
import { Client, Connection } from '@temporalio/client';
import { machineInfo, publish, runBench, type Report } from './bench-report';
import { startBenchStack } from './bench-stack';
import { runClusterBench } from './cluster.bench';
import { measureOverhead, OVERHEAD_CONCURRENCY, OVERHEAD_REGIONS, OVERHEAD_SERVICES } from './overhead-runs';
import { startReferenceWorker } from './reference/reference-worker';

const quick = process.argv.includes('--quick');
const ROLLOUTS = quick ? 16 : 64;
const log = (msg: string) => console.log(`[bench:overhead] ${msg}`);

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const stack = await startBenchStack({ regions: OVERHEAD_SERVICES.flatMap((s) => s.regions) });
  const reference = await startReferenceWorker(stack.temporal.address);
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  try {
    const { pattern, ...results } = await measureOverhead(stack, client, { rollouts: ROLLOUTS, runId: startedAt, log });
    const { ratio, sluiceRolloutsPerMinute: sluice, bareRolloutsPerMinute: bare } = results;
    const report: Report = {
      name: quick ? 'overhead-quick' : 'overhead',
      startedAt,
      machine: machineInfo({ temporal: stack.temporal.source }),
      parameters: {
        rollouts: ROLLOUTS,
        concurrency: OVERHEAD_CONCURRENCY,
        regionsPerRollout: OVERHEAD_REGIONS,
        pattern,
      },
      results,
      targets: [
        {
          what: 'Sluice throughput vs bare workflow',
          target: '≥ 0.6×',
          measured: `${ratio}× (${sluice} vs ${bare} rollouts/min)`,
          met: ratio >= 0.6,
        },
      ],
      notes: [
        'Both run on the same dev server in the same run; the bare workflow runs noop activities in the batch sizes a real Sluice rollout scheduled.',
        'Sluice rollouts do real work the reference does not: HTTP pushes, read-backs and probes against region-sim, and event appends to PostgreSQL.',
        'The Sluice worker is its own process; the bare workflow runs in a worker inside the benchmark process.',
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
