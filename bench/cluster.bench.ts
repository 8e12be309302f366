/**
 * `npm run bench:cluster [-- --quick]` (also `bench:halt -- --cluster` and
 * `bench:overhead -- --cluster`): bench:halt's and bench:overhead's measurements on a Temporal
 * cluster on PostgreSQL (frontend, two history, matching and worker processes), and the same on
 * the dev server in the same run; then faults while halts are in flight. Writes
 * bench/results/cluster-*.json with the cluster's six figures at the top level and the dev
 * server's beside them.
 */
import { Client, Connection } from '@temporalio/client';
import { projectRoot } from '../libs/platform/src/project-root';
import { machineInfo, publish, runBench, type Report } from './bench-report';
import { startBenchStack, startClusterBenchStack, type BenchStack, type ClusterBenchStack } from './bench-stack';
import { FAULTS, FAULT_SERVICES, runFaultScenario, type FaultResult } from './cluster-faults';
import { HALT_SERVICES, measureHalts, type HaltMeasurement } from './halt-trials';
import { measureOverhead, OVERHEAD_SERVICES, type OverheadMeasurement } from './overhead-runs';
import { startReferenceWorker } from './reference/reference-worker';

const quick = process.argv.includes('--quick');
const HALT_TRIALS = quick ? 10 : 200;
const OVERHEAD_ROLLOUTS = quick ? 8 : 64;
const log = (msg: string) => console.log(`[bench:cluster] ${msg}`);

interface Measured {
  temporal: string;
  halt: HaltMeasurement;
  overhead: OverheadMeasurement;
  faults: FaultResult[];
}

/** The figures the issue asks for, on one Temporal. */
function figures(m: Measured) {
  return {
    haltP50Ms: m.halt.haltLatencyMs.p50,
    haltP99Ms: m.halt.haltLatencyMs.p99,
    rawSignalQueryP50Ms: m.halt.referenceSignalQueryMs.p50,
    overheadRatio: m.overhead.ratio,
  };
}

async function measure<S extends BenchStack>(
  what: string,
  stack: S,
  runId: string,
  faults: (stack: S, client: Client) => Promise<FaultResult[]>,
): Promise<Measured> {
  let reference: { stop(): Promise<void> } | undefined;
  let connection: Connection | undefined;
  try {
    reference = await startReferenceWorker(stack.temporal.address);
    connection = await Connection.connect({ address: stack.temporal.address });
    const client = new Client({ connection });
    log(`measuring on ${what} (${stack.temporal.source})`);
    const halt = await measureHalts(stack, client, { trials: HALT_TRIALS, runId, log });
    const overhead = await measureOverhead(stack, client, { rollouts: OVERHEAD_ROLLOUTS, runId, log });
    return { temporal: stack.temporal.source, halt, overhead, faults: await faults(stack, client) };
  } finally {
    await connection?.close();
    await reference?.stop();
    await stack.stop();
  }
}

export async function runClusterBench(): Promise<void> {
  const startedAt = new Date().toISOString();
  const regions = [...HALT_SERVICES, ...OVERHEAD_SERVICES, ...FAULT_SERVICES].flatMap((s) => s.regions);
  // Both start together (start-up is most of a quick run); the cluster then idles while the
  // dev server is measured, and the dev server is gone before the cluster is measured.
  const t0 = Date.now();
  const [devStack, clusterStack] = await Promise.allSettled([
    startBenchStack({ regions }),
    startClusterBenchStack({ regions }),
  ]);
  if (devStack.status === 'rejected' || clusterStack.status === 'rejected') {
    for (const s of [devStack, clusterStack]) if (s.status === 'fulfilled') await s.value.stop();
    throw devStack.status === 'rejected' ? devStack.reason : (clusterStack as PromiseRejectedResult).reason;
  }
  const startSeconds = (Date.now() - t0) / 1000;
  log(`both stacks up in ${Math.round(startSeconds)} s`);
  let dev: Measured;
  try {
    dev = await measure('the dev server', devStack.value, `dev-${startedAt}`, async () => []);
  } catch (err) {
    await clusterStack.value.stop();
    throw err;
  }
  const devSeconds = (Date.now() - t0) / 1000 - startSeconds;
  const cluster = await measure(
    'the cluster',
    clusterStack.value,
    `cluster-${startedAt}`,
    async (stack: ClusterBenchStack, client) => {
      for (const s of FAULT_SERVICES) await stack.registerService(s.name, s.regions);
      const results: FaultResult[] = [];
      for (const [i, fault] of FAULTS.entries()) {
        results.push(await runFaultScenario(stack, client, fault, { runId: `fault${i}`, log }));
      }
      return results;
    },
  );
  const clusterSeconds = (Date.now() - t0) / 1000 - startSeconds - devSeconds;

  const c = figures(cluster);
  const faultsSurvived = cluster.faults.filter((f) => f.passed).length;
  const eventsLost = cluster.faults.reduce((n, f) => n + f.lost, 0);
  const report: Report & ReturnType<typeof figures> & Record<string, unknown> = {
    name: quick ? 'cluster-quick' : 'cluster',
    startedAt,
    ...c,
    faultsSurvived,
    eventsLost,
    devServer: figures(dev),
    machine: machineInfo({ 'temporal (cluster)': cluster.temporal, 'temporal (dev server)': dev.temporal }),
    parameters: {
      haltTrials: HALT_TRIALS,
      overheadRollouts: OVERHEAD_ROLLOUTS,
      faultScenarios: FAULTS.map((f) => f.name),
      haltsPerFault: FAULT_SERVICES.length,
    },
    results: {
      cluster: {
        halt: cluster.halt,
        overhead: cluster.overhead,
        faults: cluster.faults,
        seconds: Math.round(clusterSeconds),
      },
      devServer: { halt: dev.halt, overhead: dev.overhead, seconds: Math.round(devSeconds) },
      startSeconds: Math.round(startSeconds),
    },
    targets: [
      { what: 'cluster halt latency p99', target: '< 250 ms', measured: `${c.haltP99Ms} ms`, met: c.haltP99Ms < 250 },
      {
        what: 'cluster halt p50 vs raw signal+query p50 on the cluster',
        target: '≤ 2×',
        measured: `${Math.round((c.haltP50Ms / c.rawSignalQueryP50Ms) * 10) / 10}× (${c.haltP50Ms} vs ${c.rawSignalQueryP50Ms} ms)`,
        met: c.haltP50Ms <= 2 * c.rawSignalQueryP50Ms,
      },
      {
        what: 'cluster: Sluice throughput vs bare workflow',
        target: '≥ 0.6×',
        measured: `${c.overheadRatio}×`,
        met: c.overheadRatio >= 0.6,
      },
      {
        what: 'fault scenarios survived',
        target: `${FAULTS.length} of ${FAULTS.length}`,
        measured: `${faultsSurvived} of ${FAULTS.length}`,
        met: faultsSurvived === FAULTS.length,
      },
      { what: 'halts or halt events lost', target: '0', measured: String(eventsLost), met: eventsLost === 0 },
      {
        what: 'pushes after a halt (cluster, dev server)',
        target: '0',
        measured: `${cluster.halt.pushesAfterHalt}, ${dev.halt.pushesAfterHalt}`,
        met: cluster.halt.pushesAfterHalt + dev.halt.pushesAfterHalt === 0,
      },
    ],
    notes: [
      'Two stacks, started together: the dev server (in memory) and the cluster, whose PostgreSQL also holds Temporal persistence and visibility. The dev server is measured first while the cluster idles, then stopped; then the cluster. Same code, same parameters, in one process.',
      'Halt latency and its reference are bench:halt measurement (bench/halt-trials.ts); the ratio is bench:overhead measurement (bench/overhead-runs.ts).',
      'Faults: per scenario 4 rollouts baking; 2 halts sent just before the SIGKILL, 2 while the process is down. A halt lands when its rollout ends HALTED or ROLLED_BACK and RolloutHalted is in the event log exactly once; eventsLost counts every halt that did not.',
    ],
  };
  publish(projectRoot(__dirname), report, log);
}

if (require.main === module) runBench(runClusterBench);
