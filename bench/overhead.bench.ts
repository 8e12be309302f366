/**
 * `npm run bench:overhead [-- --quick]`: what Sluice costs on top of Temporal.
 *
 * Runs N rollouts of 8 regions through Sluice (event recording, a trivial probe gate, no
 * bake), 8 at a time, and measures rollouts per minute. Reference, same server, same run: a
 * bare workflow that executes trivial activities in the same pattern as a Sluice rollout
 * (the batch sizes read from a real rollout's history), also 8 at a time.
 * Target: Sluice reaches at least 0.6× the bare workflow's throughput.
 */
import { Client, Connection } from '@temporalio/client';
import { performance } from 'node:perf_hooks';
import { rolloutWorkflowId } from '../workflows/rollout.types';
import { machineInfo, publish, runBench, type Report } from './bench-report';
import { forEachLimited, startBenchStack } from './bench-stack';
import { REFERENCE_TASK_QUEUE, startReferenceWorker } from './reference/reference-worker';

const quick = process.argv.includes('--quick');
const ROLLOUTS = quick ? 16 : 64;
const CONCURRENCY = 8;
const REGIONS = 8;
const log = (msg: string) => console.log(`[bench:overhead] ${msg}`);

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const services = Array.from({ length: CONCURRENCY }, (_, i) => ({
    name: `over-${i}`,
    regions: Array.from({ length: REGIONS }, (_, r) => `o${i}-r${r}`),
  }));
  const stack = await startBenchStack({ regions: services.flatMap((s) => s.regions) });
  const reference = await startReferenceWorker(stack.temporal.address);
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection });
  try {
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
    await runRollout(services[0].name);
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
    log(`a rollout of ${REGIONS} regions runs ${activities} activities in ${pattern.length} batches`);

    const slots = Array.from({ length: ROLLOUTS }, (_, i) => i);
    log(`Sluice: ${ROLLOUTS} rollouts, ${CONCURRENCY} at a time`);
    const sluiceStart = performance.now();
    const queues = services.map((s) => slots.filter((i) => i % CONCURRENCY === services.indexOf(s)).map(() => s.name));
    await Promise.all(
      queues.map(async (queue) => {
        for (const service of queue) await runRollout(service);
      }),
    );
    const sluiceSeconds = (performance.now() - sluiceStart) / 1000;

    log(`bare workflow: ${ROLLOUTS} runs of the same pattern, ${CONCURRENCY} at a time`);
    const bareStart = performance.now();
    await forEachLimited(slots, CONCURRENCY, async (i) => {
      await client.workflow.execute('bareRollout', {
        taskQueue: REFERENCE_TASK_QUEUE,
        workflowId: `bare-${startedAt}-${i}`,
        args: [pattern],
      });
    });
    const bareSeconds = (performance.now() - bareStart) / 1000;

    const perMinute = (seconds: number) => Math.round((ROLLOUTS / seconds) * 60 * 10) / 10;
    const sluice = perMinute(sluiceSeconds);
    const bare = perMinute(bareSeconds);
    const ratio = Math.round((sluice / bare) * 100) / 100;
    const { rows } = await stack.pool.query<{ n: number }>(
      `SELECT round(avg(n))::int AS n FROM (SELECT count(*) AS n FROM events GROUP BY stream_id) s`,
    );
    const results = {
      sluiceRolloutsPerMinute: sluice,
      bareRolloutsPerMinute: bare,
      ratio,
      activitiesPerRollout: activities,
      batchesPerRollout: pattern.length,
      eventsPerRollout: rows[0].n,
      sluiceSeconds: Math.round(sluiceSeconds * 10) / 10,
      bareSeconds: Math.round(bareSeconds * 10) / 10,
    };
    const report: Report = {
      name: quick ? 'overhead-quick' : 'overhead',
      startedAt,
      machine: machineInfo({ temporal: stack.temporal.cli.source }),
      parameters: { rollouts: ROLLOUTS, concurrency: CONCURRENCY, regionsPerRollout: REGIONS, pattern },
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

runBench(main);
