import type { WorkflowHandle } from '@temporalio/client';
import { performance } from 'node:perf_hooks';
import {
  evolve,
  initialRolloutState,
  upcastEventData,
  type RolloutEvent,
  type RolloutState,
} from '../../libs/domain/src';
import { PgEventStore } from '../../libs/event-store/src';
import { approveWaveUpdate, haltSignal } from '../../workflows/rollout.messages';
import type { rolloutWorkflow } from '../../workflows/rollout.workflow';
import {
  rolloutWorkflowId,
  type RolloutWorkflowInput,
  type RolloutWorkflowResult,
} from '../../workflows/rollout.types';
import type { LongevityStack } from './longevity-stack';

type RolloutHandle = WorkflowHandle<typeof rolloutWorkflow>;

export interface DriveOptions {
  /** Seconds a "day" of the plan lasts: bakes and approval waits are one day each. */
  daySeconds: number;
  /** Simulated time between two looks at the rollout; approvals and the halt land on these. */
  stepSeconds: number;
  /** When to halt, in days from the start; the rollout runs to its end without it. */
  haltAtDay?: number;
  log(msg: string): void;
}

export interface DriveResult {
  workflowId: string;
  firstRunId: string;
  result: RolloutWorkflowResult;
  /** From the start to the final result, on the test server's clock. */
  simulatedDays: number;
  wallSeconds: number;
  approvals: Array<{ wave: number; day: number }>;
  halt: {
    day: number;
    wave: number;
    phase: string | null;
    /** Regions the workflow had touched, and regions region-sim saw serving the new version. */
    regionsTouched: number;
    regionsServing: number;
  } | null;
}

const STREAM_PAGE = 10_000;
/** Real seconds between two checks that the rollout still moves while time is skipped. */
const WATCH_SECONDS = 15;
/** A run whose history has not grown for this long (real seconds) is stuck: a tick takes milliseconds. */
const STALL_SECONDS = 120;
/** Every this many checks, the newest run's last events are read for failing workflow tasks. */
const TASK_CHECK_EVERY = 4;

/**
 * Runs one rollout on the time-skipping server as a person would steer it: time moves on in
 * steps, a wave waiting for approval is approved a day after it asked, and, if asked, the
 * rollout is halted at `haltAtDay` with the message the gateway's haltRollout sends. Prints
 * progress every simulated day. Fails as soon as the rollout cannot move (a workflow task that
 * keeps failing, a pause nobody planned, a dead worker), naming why.
 */
export async function driveRollout(
  stack: LongevityStack,
  input: RolloutWorkflowInput,
  options: DriveOptions,
): Promise<DriveResult> {
  const { workflows, rpc, now: clock } = stack.client;
  const { log } = options;
  const day = options.daySeconds * 1000;
  const workflowId = rolloutWorkflowId(input.service);
  const started = await rpc(() =>
    workflows.start<typeof rolloutWorkflow>('rolloutWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
    }),
  );
  const firstRunId = started.firstExecutionRunId;
  // the newest run of the chain, as the gateway addresses it
  const handle: RolloutHandle = workflows.getHandle(workflowId, undefined, {
    firstExecutionRunId: firstRunId,
  });
  const wallStart = performance.now();
  const t0 = await clock();
  const dayOf = (t: number) => (t - t0) / day;
  const haltAt = options.haltAtDay === undefined ? Infinity : t0 + options.haltAtDay * day;
  const approvals: DriveResult['approvals'] = [];
  let approvalDue: number | null = null;
  let halt: DriveResult['halt'] = null;
  let nextReport = t0 + day;
  const runsSeen = new Set<string>();
  const view = streamView(stack, input.rolloutId);

  for (;;) {
    const description = await rpc(() => handle.describe());
    runsSeen.add(description.runId);
    if (description.status.name !== 'RUNNING') break;
    const now = await clock();
    const state = await view();
    if (now >= nextReport) {
      log(
        `${input.service}: day ${dayOf(now).toFixed(1)}, wave ${state.wave} ${state.phase ?? state.status}, ` +
          `${runsSeen.size} runs so far, ${((performance.now() - wallStart) / 1000).toFixed(0)} s`,
      );
      nextReport = t0 + (Math.floor(dayOf(now)) + 1) * day;
    }
    if (state.status === 'PAUSED') {
      throw new Error(`${input.service} paused on day ${dayOf(now).toFixed(2)}: ${state.actions.at(-1)?.detail}`);
    }
    if (now >= haltAt) {
      await rpc(() =>
        handle.signal(haltSignal, { source: 'api', by: 'longevity-bench', reason: 'halted by the longevity bench' }),
      );
      // what region-sim serves at the halt, not only what the workflow says it touched
      const serving = input.regions.filter((r) => stack.sim.fleet.get(r.name)?.version === input.version).length;
      const touched = Object.values(state.regions).filter((s) => s !== 'PENDING').length;
      halt = {
        day: dayOf(now),
        wave: state.wave,
        phase: state.phase,
        regionsTouched: touched,
        regionsServing: serving,
      };
      log(
        `${input.service}: halted on day ${halt.day.toFixed(2)}, wave ${state.wave} ${state.phase}: ` +
          `${serving} regions serve ${input.version}`,
      );
      break;
    }
    const waiting = state.phase === 'AWAITING_APPROVAL' && !approvals.some((a) => a.wave === state.wave);
    if (waiting) {
      approvalDue ??= now + day;
      if (now >= approvalDue) {
        await rpc(() =>
          handle.executeUpdate(approveWaveUpdate, {
            args: [{ wave: state.wave, approver: 'bob', comment: 'a day later' }],
          }),
        );
        approvals.push({ wave: state.wave, day: dayOf(now) });
        approvalDue = null;
        continue;
      }
    }
    const until = Math.min(now + options.stepSeconds * 1000, approvalDue ?? Infinity, haltAt);
    await watched(stack, handle, stack.client.sleep(Math.max(1, until - now)));
  }
  // the rest (a rollback, the last hand-over) runs with time skipping on
  const result = await watched(stack, handle, handle.result());
  // On the server's clock: once nothing is left to run, time skips far ahead before result() returns.
  const { startTime } = await rpc(() => workflows.getHandle(workflowId, firstRunId).describe());
  const { closeTime } = await rpc(() => handle.describe());
  return {
    workflowId,
    firstRunId,
    result,
    simulatedDays: (closeTime!.getTime() - startTime.getTime()) / 86_400_000,
    wallSeconds: (performance.now() - wallStart) / 1000,
    approvals,
    halt,
  };
}

/**
 * The rollout as its event stream tells it, folded by the domain's `evolve` (as the API's
 * rollout(id) does), each look reading on from where the last stopped. Not the liveState
 * query: on the test server a query that meets a hand-over waits for the new run's next
 * workflow task, that task waits for time to move, and time waits for the query.
 */
function streamView(stack: LongevityStack, rolloutId: string): () => Promise<RolloutState> {
  const events = new PgEventStore(stack.pool, upcastEventData);
  let state = initialRolloutState;
  let after = 0;
  return async () => {
    for (;;) {
      const batch = await events.readStream(rolloutId, { after, limit: STREAM_PAGE });
      for (const e of batch) state = evolve(state, { type: e.type, data: e.data } as RolloutEvent);
      after = batch.at(-1)?.streamPosition ?? after;
      if (batch.length < STREAM_PAGE) return state;
    }
  };
}

/** Awaits `work`, checking every few real seconds that the rollout can still move. */
async function watched<T>(stack: LongevityStack, handle: RolloutHandle, work: Promise<T>): Promise<T> {
  const outcome = work.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const moving = movementCheck(stack, handle);
  for (;;) {
    const tick = new Promise<null>((resolve) => setTimeout(() => resolve(null), WATCH_SECONDS * 1000));
    const settled = await Promise.race([outcome, tick]);
    if (settled && 'error' in settled) throw settled.error;
    if (settled) return settled.value;
    await moving();
  }
}

/**
 * Throws when the rollout cannot move: the worker died, the newest run's history stopped
 * growing, or its workflow tasks keep failing or timing out (a task the server refuses, such
 * as one over its message size limit, is retried for ever and never skips time on).
 */
function movementCheck(stack: LongevityStack, handle: RolloutHandle): () => Promise<void> {
  let last = { runId: '', length: -1, since: performance.now() };
  let checks = 0;
  return async () => {
    const { worker } = stack;
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
      const code = worker.child.exitCode ?? worker.child.signalCode;
      throw new Error(`the worker exited (${code}):\n${worker.output().slice(-4_000)}`);
    }
    const { runId, historyLength } = await stack.client.rpc(() => handle.describe());
    const stuckFor = (performance.now() - last.since) / 1000;
    if (runId !== last.runId || historyLength !== last.length) {
      last = { runId, length: historyLength, since: performance.now() };
    } else if (stuckFor >= STALL_SECONDS) {
      throw new Error(`run ${runId} has not moved for ${stuckFor.toFixed(0)} s (${historyLength} events)`);
    }
    if (++checks % TASK_CHECK_EVERY !== 0) return;
    const run = stack.client.workflows.getHandle(handle.workflowId, runId);
    const history = await stack.client.rpc(() => run.fetchHistory());
    const failed = (history.events ?? [])
      .slice(-30)
      .filter((e) => e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes);
    if (failed.length >= 2) {
      const why = failed.at(-1)?.workflowTaskFailedEventAttributes?.failure?.message ?? 'timed out';
      // the worker's own account, when the server never got the task's answer
      const logged = worker
        .output()
        .split('\n')
        .filter((line) => /error|exhausted|exceeds/i.test(line))
        .slice(-3);
      const headline = `the workflow tasks of run ${runId} keep failing (${failed.length} of its last 30 events): ${why}`;
      throw new Error([headline, ...logged].join('\n'));
    }
  };
}
