import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * A lock on skipping that the time-skipping test server leaked inside one rollout, released
 * while a spec waits on time. A run that stops or hands over leaves its gate evaluation to
 * finish unobserved (workflows/bake.ts); when that activity waits to retry, the test server
 * can keep its lock for good (sdk-java #1138). The harness's probe catches such a lock between
 * rollouts. Inside a rollout, the rollout's next hour of watched pause or bake waited an hour
 * of real time, and the spec timed out (gates-watch's watched pause, on a loaded machine).
 *
 * The server is stuck, not busy, when both of these hold for two windows in a row:
 * - every open workflow waits only on time: no workflow task open, no activity queued or
 *   running, and a timer or an activity's retry ahead;
 * - workflow time moved no faster than real time.
 * Then the one lock left is the leaked one, and it is released once.
 */
const WINDOW_MS = 4_000;
const WINDOWS = 2;

/** Watches the spec's waits (a sleep, a result awaited) on `env` for a leaked lock. */
export function releaseLeakedLocks(env: TestWorkflowEnvironment, openWorkflows: () => Iterable<string>): void {
  const sleep = env.sleep;
  Object.assign(env, { sleep: (duration: number | string) => watched(env, openWorkflows, sleep(duration)) });
  const workflows = env.client.workflow;
  const result = workflows.result.bind(workflows);
  workflows.result = (...args: Parameters<typeof result>) => watched(env, openWorkflows, result(...args));
}

function watched<T>(
  env: TestWorkflowEnvironment,
  openWorkflows: () => Iterable<string>,
  waiting: Promise<T>,
): Promise<T> {
  let done = false;
  waiting.then(
    () => (done = true),
    () => (done = true),
  );
  void (async () => {
    let stuck = 0;
    while (!done) {
      const started = { real: Date.now(), time: await env.currentTimeMs() };
      const idleBefore = await waitsOnlyOnTime(env, openWorkflows());
      await delay(WINDOW_MS);
      if (done) return;
      const idleAfter = await waitsOnlyOnTime(env, openWorkflows());
      const moved = (await env.currentTimeMs()) - started.time;
      stuck = idleBefore && idleAfter && moved < (Date.now() - started.real) * 1.5 ? stuck + 1 : 0;
      if (stuck >= WINDOWS && !done) {
        console.warn('the time-skipping test server leaked a lock inside a rollout: released it');
        await env.connection.testService!.unlockTimeSkipping({});
        stuck = 0;
      }
    }
  })().catch(() => undefined); // the server stopped under the watch
  return waiting;
}

/** Whether every open workflow waits only on time, with a timer or a retry ahead of it. */
async function waitsOnlyOnTime(env: TestWorkflowEnvironment, workflowIds: Iterable<string>): Promise<boolean> {
  const now = await env.currentTimeMs();
  let ahead = false;
  for (const workflowId of workflowIds) {
    const handle = env.client.workflow.getHandle(workflowId);
    const { status, raw } = await handle.describe();
    if (status.name !== 'RUNNING') continue;
    if (raw.pendingWorkflowTask) return false;
    for (const activity of raw.pendingActivities ?? []) {
      const retry = retryAt(activity);
      if (retry === undefined || retry <= now) return false;
      ahead = true;
    }
    const events = (await handle.fetchHistory()).events ?? [];
    const timers = new Set<string>();
    let taskOpen = false;
    for (const e of events) {
      const id = String(e.eventId);
      if (e.timerStartedEventAttributes) timers.add(id);
      if (e.timerFiredEventAttributes) timers.delete(String(e.timerFiredEventAttributes.startedEventId));
      if (e.timerCanceledEventAttributes) timers.delete(String(e.timerCanceledEventAttributes.startedEventId));
      if (e.workflowTaskScheduledEventAttributes) taskOpen = true;
      if (
        e.workflowTaskCompletedEventAttributes ||
        e.workflowTaskTimedOutEventAttributes ||
        e.workflowTaskFailedEventAttributes
      )
        taskOpen = false;
    }
    if (taskOpen) return false;
    if (timers.size > 0) ahead = true;
  }
  return ahead;
}

/**
 * When an activity waiting to retry tries again; undefined when it is queued or running. The
 * test server shows a retry's wait as the next attempt STARTED, with no next attempt time: the
 * attempt that failed completed after the last start, and its failure asked for the delay.
 */
function retryAt(activity: temporal.api.workflow.v1.IPendingActivityInfo): number | undefined {
  if (activity.nextAttemptScheduleTime) return tsToMs(activity.nextAttemptScheduleTime);
  const failed = activity.lastAttemptCompleteTime ? tsToMs(activity.lastAttemptCompleteTime) : undefined;
  const delay = activity.lastFailure?.applicationFailureInfo?.nextRetryDelay;
  if (failed === undefined || !delay) return undefined;
  if (activity.lastStartedTime && tsToMs(activity.lastStartedTime) > failed) return undefined;
  return failed + tsToMs(delay);
}
