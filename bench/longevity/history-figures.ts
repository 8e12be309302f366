import type { WorkflowClient } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { RolloutActivities } from '../../workflows/activity-contracts';
import { percentile } from '../bench-report';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * Temporal's own limits on one run (the server's defaults): it warns at 10,240 events or
 * 10 MiB of history, terminates the run at 51,200 events or 50 MiB, and refuses a single
 * payload over 2 MiB (warning from 512 KiB).
 */
export const TEMPORAL_LIMITS = {
  historyEventsWarn: 10_240,
  historyEventsError: 51_200,
  historyBytesWarn: 10 * 2 ** 20,
  historyBytesError: 50 * 2 ** 20,
  blobBytesWarn: 512 * 2 ** 10,
  blobBytesError: 2 * 2 ** 20,
};

/** One run of a chain, from its real history. */
export interface RunFigures {
  runId: string;
  events: number;
  /** The history as Temporal serializes it (protobuf), in bytes. */
  bytes: number;
  /** The largest single event, in bytes, and its type: what comes near the payload limit. */
  largestEvent: { bytes: number; type: string };
  /** Bytes by event type: where the history's size comes from. */
  bytesByType: Record<string, number>;
  /** Events from one bake tick's start to the next: one entry per tick of this run. */
  tickGaps: number[];
  /** The event types of this run's last whole tick, from the activity that opens it: what a tick costs. */
  lastTick: string[];
  /** How the run ended: CONTINUED_AS_NEW, COMPLETED, … */
  closedAs: string;
}

const eventType = (e: HistoryEvent) =>
  temporal.api.enums.v1.EventType[e.eventType ?? 0]?.replace(/^EVENT_TYPE_/, '') ?? String(e.eventType);

/**
 * What a bake tick may run: its reads and the recording of its evaluations. A gap between two
 * ticks that runs anything else (a push, the read before one) spans a wave boundary, not a tick.
 */
export const TICK_ACTIVITIES: ReadonlySet<string> = new Set<keyof RolloutActivities>([
  'evaluateTick',
  'evaluateGates',
  'readCanaryCounts',
  'recordEvents',
]);

/** Whether an event opens a bake tick: what delimits one tick from the next in a history. */
export type TickStart = (e: HistoryEvent) => boolean;

/**
 * A rollout's tick opens with its evaluation activity, scheduled as the tick before ends and
 * waiting for its instant (`ticks-wait-in-activity`); in older shapes, after the timer between ticks.
 */
export const ROLLOUT_TICK_START: TickStart = (e) =>
  ['evaluateTick', 'evaluateGates'].includes(e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');

/** A tick that ends by starting a timer (the reference workflows'). */
export const TIMER_TICK_START: TickStart = (e) => Boolean(e.timerStartedEventAttributes);

/**
 * Events per tick from a history, one entry per steady bake tick: the events from one tick's
 * start to the next. Gaps that also ran an activity a tick never runs (a push, the read
 * before one: a wave boundary) are left out.
 */
export function tickGaps(
  events: readonly HistoryEvent[],
  startsTick: TickStart = ROLLOUT_TICK_START,
  tickActivities = TICK_ACTIVITIES,
): number[] {
  const gaps: number[] = [];
  let start: number | null = null;
  let steady = true;
  for (const e of events) {
    if (startsTick(e)) {
      if (start !== null && steady) gaps.push(Number(e.eventId) - start);
      start = Number(e.eventId);
      steady = true;
    }
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled && !tickActivities.has(scheduled)) steady = false;
  }
  return gaps;
}

/** Events per tick over steady bake: the mean gap, so the ticks that also record their evaluations count. */
export function eventsPerTick(gaps: readonly number[]): number {
  if (gaps.length === 0) return NaN;
  return Math.round((gaps.reduce((a, b) => a + b, 0) / gaps.length) * 10) / 10;
}

function lastTick(events: readonly HistoryEvent[]): string[] {
  const starts = events.flatMap((e, i) => (ROLLOUT_TICK_START(e) ? [i] : []));
  if (starts.length < 2) return [];
  return events.slice(starts.at(-2)!, starts.at(-1)!).map(eventType);
}

/** Figures of one run from its history. */
export function runFigures(runId: string, history: temporal.api.history.v1.IHistory): RunFigures {
  const events = history.events ?? [];
  let largestEvent = { bytes: 0, type: '' };
  const bytesByType: Record<string, number> = {};
  for (const e of events) {
    const bytes = temporal.api.history.v1.HistoryEvent.encode(e).finish().byteLength;
    const type = eventType(e);
    bytesByType[type] = (bytesByType[type] ?? 0) + bytes;
    if (bytes > largestEvent.bytes) largestEvent = { bytes, type };
  }
  const last = events.at(-1);
  return {
    runId,
    events: events.length,
    bytes: temporal.api.history.v1.History.encode(history).finish().byteLength,
    largestEvent,
    bytesByType,
    tickGaps: tickGaps(events),
    lastTick: lastTick(events),
    closedAs: last ? eventType(last).replace(/^WORKFLOW_EXECUTION_/, '') : 'EMPTY',
  };
}

/**
 * Every run of a chain, oldest first: fetches each run's whole history and follows the
 * continue-as-new event to the next run, until a run that ended otherwise.
 */
export async function chainFigures(
  client: WorkflowClient,
  workflowId: string,
  firstRunId: string,
): Promise<RunFigures[]> {
  const runs: RunFigures[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.getHandle(workflowId, runId).fetchHistory();
    runs.push(runFigures(runId, history));
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}

/** A chain's totals: what the report says about one rollout. */
export function chainTotals(runs: readonly RunFigures[]) {
  const gaps = runs.flatMap((r) => r.tickGaps);
  return {
    runs: runs.length,
    totalEvents: runs.reduce((n, r) => n + r.events, 0),
    totalHistoryBytes: runs.reduce((n, r) => n + r.bytes, 0),
    maxEventsPerRun: Math.max(...runs.map((r) => r.events)),
    maxHistoryBytesPerRun: Math.max(...runs.map((r) => r.bytes)),
    largestEvent: runs.map((r) => r.largestEvent).reduce((a, b) => (b.bytes > a.bytes ? b : a)),
    ticks: gaps.length,
    eventsPerTick: eventsPerTick(gaps),
    tickGapP50: percentile(gaps, 50),
    tickGapP95: percentile(gaps, 95),
    endedAs: runs.at(-1)?.closedAs,
  };
}
