import { proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { ReferenceActivities } from '../reference/reference.activities';

// The longevity bench's references: what one bake tick costs in a Temporal history when a
// workflow does nothing but read something and wait, measured on the same server and run.
const remote = proxyActivities<ReferenceActivities>({ startToCloseTimeout: '30 seconds' });
const local = proxyLocalActivities<ReferenceActivities>({ startToCloseTimeout: '30 seconds' });

/** Each tick: one activity (the reading), then a durable timer until the next. */
export async function activityTicks(ticks: number, intervalSeconds: number): Promise<void> {
  for (let i = 0; i < ticks; i++) {
    await remote.noop();
    await sleep(intervalSeconds * 1000);
  }
}

/** Each tick: one local activity (recorded as a marker), then a durable timer until the next. */
export async function localActivityTicks(ticks: number, intervalSeconds: number): Promise<void> {
  for (let i = 0; i < ticks; i++) {
    await local.noop();
    await sleep(intervalSeconds * 1000);
  }
}
