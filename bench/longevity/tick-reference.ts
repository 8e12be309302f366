import { Worker } from '@temporalio/worker';
import { referenceActivities } from '../reference/reference.activities';
import { eventsPerTick, tickGaps, TIMER_TICK_START } from './history-figures';
import type { LongevityStack } from './longevity-stack';
import type { activityTicks } from './tick-reference.workflows';

const TASK_QUEUE = 'longevity-reference';

export interface TickReference {
  /** Events per tick of a workflow that runs one activity, then waits on a timer. */
  activityTick: number;
  /** The same with a local activity: the least a tick that reads something can cost. */
  localActivityTick: number;
}

/**
 * The reference for eventsPerTick, measured on the same time-skipping server in the same run,
 * by the same count (events from one tick's start to the next): bare workflows that only read
 * something and wait, with a worker in this process.
 */
export async function measureTickReference(
  stack: Pick<LongevityStack, 'env' | 'client'>,
  ticks: number,
  intervalSeconds: number,
): Promise<TickReference> {
  const worker = await Worker.create({
    connection: stack.env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowsPath: require.resolve('./tick-reference.workflows'),
    activities: referenceActivities,
  });
  const measure = async (workflow: 'activityTicks' | 'localActivityTicks') => {
    const handle = await stack.client.workflows.start<typeof activityTicks>(workflow, {
      taskQueue: TASK_QUEUE,
      workflowId: `reference-${workflow}`,
      args: [ticks, intervalSeconds],
    });
    await handle.result();
    return eventsPerTick(tickGaps((await handle.fetchHistory()).events ?? [], TIMER_TICK_START, new Set(['noop'])));
  };
  return worker.runUntil(async () => ({
    activityTick: await measure('activityTicks'),
    localActivityTick: await measure('localActivityTicks'),
  }));
}
