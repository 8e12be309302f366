import type { Client } from '@temporalio/client';
import { performance } from 'node:perf_hooks';
import { liveStateQuery } from '../workflows/rollout.messages';
import { rolloutWorkflowId } from '../workflows/rollout.types';
import { postAlerts } from '../test/support/alertmanager-webhook';
import { sleep, type ClusterBenchStack } from './bench-stack';

/**
 * Faults while halts are in flight: half the halts are sent just before a Temporal process is
 * SIGKILLed, half while it is down. A scenario passes when every halt lands: the rollout ends
 * HALTED or ROLLED_BACK and its RolloutHalted event is in the event log exactly once.
 */
export const FAULT_SERVICES = Array.from({ length: 4 }, (_, i) => ({
  name: `fault-${i}`,
  regions: [`f${i}-canary`, `f${i}-rest`],
}));
const HALTED = ['HALTED', 'ROLLED_BACK'];
/** How long a halt may take to land once its fault began: a dead history's shards move when membership drops it. */
const LAND_TIMEOUT_MS = 120_000;
const DOWN_MS = 3_000;

interface Fault {
  name: string;
  /** Breaks the cluster; resolves once the halts sent during the outage may go. */
  inject(stack: ClusterBenchStack): Promise<void>;
  /** Brings the cluster back whole for the next scenario. */
  repair(stack: ClusterBenchStack): Promise<void>;
}

const killThenRestart = (process: string): Fault => ({
  name: `SIGKILL ${process}, started again after ${DOWN_MS / 1000} s`,
  async inject(stack) {
    await stack.cluster.process(process).kill();
    void sleep(DOWN_MS).then(() => stack.cluster.process(process).start());
  },
  async repair(stack) {
    await stack.cluster.process(process).start();
    await stack.cluster.waitUntilServing();
  },
});

export const FAULTS: Fault[] = [
  {
    name: 'SIGKILL history-1 (history-2 takes its shards)',
    async inject(stack) {
      await stack.cluster.process('history-1').kill();
    },
    async repair(stack) {
      await stack.cluster.process('history-1').start();
      await stack.cluster.waitUntilServing();
    },
  },
  killThenRestart('matching'),
  killThenRestart('frontend'),
];

export interface FaultResult {
  fault: string;
  halts: number;
  /** Halts whose rollout ended HALTED or ROLLED_BACK with exactly one RolloutHalted event. */
  landed: number;
  /** Halts that never landed, or whose event is in the log more than once. */
  lost: number;
  /** From the first halt sent to the last one landed. */
  seconds: number;
  passed: boolean;
  problems: string[];
}

/** Retries a call through the outage: the frontend may be down when it is made. */
async function retrying<T>(call: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

export async function runFaultScenario(
  stack: ClusterBenchStack,
  client: Client,
  fault: Fault,
  { runId, log }: { runId: string; log: (msg: string) => void },
): Promise<FaultResult> {
  const rollouts: string[] = [];
  // the previous scenario's repair may leave the cluster settling (shards moving back): retry
  const settled = performance.now() + 60_000;
  for (const [k, s] of FAULT_SERVICES.entries()) {
    const start = () =>
      stack.startRollout({
        service: s.name,
        version: `${runId}-${k}`,
        config: { fault: fault.name },
        strategy: { canaryMaxShare: 0.5, growthFactor: 2, bakeSeconds: 3_600, approvalAfterCanary: false },
        gates: [{ kind: 'probe', name: 'probe', path: '/probe' }],
        gateIntervalSeconds: 1,
      });
    rollouts.push(await retrying(start, settled));
  }
  const handles = FAULT_SERVICES.map((s) => client.workflow.getHandle(rolloutWorkflowId(s.name)));
  const baking = performance.now() + 60_000;
  for (const handle of handles) {
    while ((await retrying(() => handle.query(liveStateQuery), baking)).phase !== 'BAKING') {
      if (performance.now() > baking) throw new Error(`${handle.workflowId} did not reach BAKING`);
      await sleep(100);
    }
  }

  const halt = async (k: number) => {
    const s = FAULT_SERVICES[k];
    const res = await postAlerts(stack.gateway.url, [
      {
        labels: { alertname: 'BenchFault', service: s.name, region: s.regions[0] },
        fingerprint: `fault-${runId}-${k}`,
      },
    ]);
    if (res.status !== 200) throw new Error(`webhook answered ${res.status} for ${s.name}`);
  };
  const half = FAULT_SERVICES.length / 2;
  log(`${fault.name}: ${half} halts just before, ${half} during`);
  const t0 = performance.now();
  const before = Array.from({ length: half }, (_, k) => halt(k));
  await fault.inject(stack);
  await Promise.all(before);
  for (let k = half; k < FAULT_SERVICES.length; k++) await halt(k);

  const deadline = t0 + LAND_TIMEOUT_MS;
  const problems: string[] = [];
  const statuses = await Promise.all(
    handles.map((h) =>
      retrying(() => h.result(), deadline).then(
        (r) => r.status as string,
        (err: unknown) => `not ended (${String(err).slice(0, 120)})`,
      ),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  await fault.repair(stack);
  const { rows } = await stack.pool.query<{ stream_id: string; n: number }>(
    `SELECT stream_id, count(*)::int AS n FROM events WHERE type = 'RolloutHalted' AND stream_id = ANY($1) GROUP BY stream_id`,
    [rollouts],
  );
  let landed = 0;
  for (const [k, id] of rollouts.entries()) {
    const events = rows.find((r) => r.stream_id === id)?.n ?? 0;
    if (HALTED.includes(statuses[k]) && events === 1) landed++;
    else problems.push(`${FAULT_SERVICES[k].name}: ${statuses[k]}, RolloutHalted ${events}×`);
  }
  const result = {
    fault: fault.name,
    halts: rollouts.length,
    landed,
    lost: rollouts.length - landed,
    seconds: Math.round(seconds * 10) / 10,
    passed: landed === rollouts.length,
    problems,
  };
  log(
    `${fault.name}: ${landed}/${rollouts.length} landed in ${result.seconds} s${problems.length ? `; ${problems.join('; ')}` : ''}`,
  );
  return result;
}
