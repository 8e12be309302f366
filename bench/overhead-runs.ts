import type { Client } from '@temporalio/client';
import { performance } from 'node:perf_hooks';
import { rolloutWorkflowId } from '../workflows/rollout.types';
import { forEachLimited, type BenchStack } from './bench-stack';
import { REFERENCE_TASK_QUEUE } from './reference/reference-worker';

/**
 * bench:overhead's measurement, on whatever Temporal the stack runs: Sluice rollouts, then a
 * bare workflow in the same activity pattern on the same server, rollouts per minute of each.
 */
export const OVERHEAD_CONCURRENCY = 8;
export const OVERHEAD_REGIONS = 8;
export const OVERHEAD_SERVICES = Array.from({ length: OVERHEAD_CONCURRENCY }, (_, i) => ({
  name: `over-${i}`,
  regions: Array.from({ length: OVERHEAD_REGIONS }, (_, r) => `o${i}-r${r}`),
}));

export interface OverheadMeasurement {
  sluiceRolloutsPerMinute: number;
  bareRolloutsPerMinute: number;
  ratio: number;
  activitiesPerRollout: number;
  batchesPerRollout: number;
  eventsPerRollout: number;
  sluiceSeconds: number;
  bareSeconds: number;
  /** The activity batches of one Sluice rollout, which the bare workflow repeats. */
  pattern: number[];
}

/** Registers OVERHEAD_SERVICES (their regions must be in the stack's region-sim) and runs `rollouts` of each kind. */
export async function measureOverhead(
  stack: BenchStack,
  client: Client,
  { rollouts, runId, log }: { rollouts: number; runId: string; log: (msg: string) => void },
): Promise<OverheadMeasurement> {
  const services = OVERHEAD_SERVICES;
  for (const s of services) await stack.registerService(s.name, s.regions);
  let version = 0;
  const runRollout = async (service: string) => {
    const id = await stack.startRollout({
      service,
      version: `v${++version}`,
      config: { n: version },
      strategy: { canaryMaxShare: 0.2, growthFactor: 2, bakeSeconds: 0, approvalAfterCanary: false },
      gates: [{ kind: 'probe', name: 'probe', path: '/probe' }],
    });
    const result = await client.workflow.getHandle(rolloutWorkflowId(service)).result();
    if (result.status !== 'SUCCEEDED') throw new Error(`rollout ${id} ended ${result.status}`);
    return id;
  };

  // the activity pattern of one Sluice rollout: activities scheduled together form a batch
  const first = await runRollout(services[0].name);
  const history = await client.workflow.getHandle(rolloutWorkflowId(services[0].name)).fetchHistory();
  const batches = new Map<string, number>();
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (!scheduled) continue;
    const key = String(scheduled.workflowTaskCompletedEventId);
    batches.set(key, (batches.get(key) ?? 0) + 1);
  }
  const pattern = [...batches.values()];
  const activities = pattern.reduce((a, b) => a + b, 0);
  log(`a rollout of ${OVERHEAD_REGIONS} regions runs ${activities} activities in ${pattern.length} batches`);

  const slots = Array.from({ length: rollouts }, (_, i) => i);
  log(`Sluice: ${rollouts} rollouts, ${OVERHEAD_CONCURRENCY} at a time`);
  const measured: string[] = [];
  const sluiceStart = performance.now();
  const queues = services.map((s, k) => slots.filter((i) => i % OVERHEAD_CONCURRENCY === k).map(() => s.name));
  await Promise.all(
    queues.map(async (queue) => {
      for (const service of queue) measured.push(await runRollout(service));
    }),
  );
  const sluiceSeconds = (performance.now() - sluiceStart) / 1000;

  log(`bare workflow: ${rollouts} runs of the same pattern, ${OVERHEAD_CONCURRENCY} at a time`);
  const bareStart = performance.now();
  await forEachLimited(slots, OVERHEAD_CONCURRENCY, async (i) => {
    await client.workflow.execute('bareRollout', {
      taskQueue: REFERENCE_TASK_QUEUE,
      workflowId: `bare-${runId}-${i}`,
      args: [pattern],
    });
  });
  const bareSeconds = (performance.now() - bareStart) / 1000;

  const perMinute = (seconds: number) => Math.round((rollouts / seconds) * 60 * 10) / 10;
  const sluice = perMinute(sluiceSeconds);
  const bare = perMinute(bareSeconds);
  const { rows } = await stack.pool.query<{ n: number }>(
    `SELECT round(avg(n))::int AS n FROM (SELECT count(*) AS n FROM events WHERE stream_id = ANY($1) GROUP BY stream_id) s`,
    [[first, ...measured]],
  );
  return {
    sluiceRolloutsPerMinute: sluice,
    bareRolloutsPerMinute: bare,
    ratio: Math.round((sluice / bare) * 100) / 100,
    activitiesPerRollout: activities,
    batchesPerRollout: pattern.length,
    eventsPerRollout: rows[0].n,
    sluiceSeconds: Math.round(sluiceSeconds * 10) / 10,
    bareSeconds: Math.round(bareSeconds * 10) / 10,
    pattern,
  };
}
