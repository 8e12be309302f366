import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
import type { Pool } from 'pg';
import type { RegionFleet } from '../../apps/region-sim/src/region-fleet';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One region's restore as the rollout's Temporal history and region-sim saw it (epoch ms). */
export interface RestoreTimes {
  region: string;
  wave: number;
  scheduled: number;
  started: number;
  /** region-sim applied the restoring PUT (after its latency). */
  put: number;
  /** The activity (PUT, then read back and verified) reported done to Temporal. */
  completed: number;
}

/** Where one trial's time went, from the webhook being sent (epoch ms throughout). */
export interface TrialTimeline {
  sent: number;
  answered: number;
  /** A gateway claimed the halt request from the outbox (halt_requests.claimed_at). */
  deliveryBegan: number;
  /** The haltIfAffected update accepted: the halt is in the workflow. */
  haltAccepted: number;
  restores: RestoreTimes[];
  /** RolloutHalted and the last RegionRolledBack stored in PostgreSQL. */
  haltRecorded: number;
  lastRegionEventRecorded: number;
}

const decode = (payload: temporal.api.common.v1.IPayload | undefined): unknown =>
  payload?.data ? JSON.parse(Buffer.from(payload.data).toString('utf8')) : undefined;

const timeOf = (e: HistoryEvent): number => tsToMs(e.eventTime);

/**
 * Reads a finished trial back from the three witnesses: the workflow's history (update
 * accepted, restore activities scheduled, started, completed), region-sim's push log (when
 * each restoring PUT was applied) and the event store (when the events were stored).
 */
export async function readTimeline(options: {
  history: temporal.api.history.v1.IHistory;
  fleet: RegionFleet;
  pool: Pool;
  rolloutId: string;
  fingerprint: string;
  restoredVersion: string;
  waveOf: ReadonlyMap<string, number>;
  sent: number;
  answered: number;
}): Promise<TrialTimeline> {
  const events = options.history.events ?? [];
  const accepted = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  if (!accepted) throw new Error(`${options.rolloutId}: no update accepted in the history`);
  // Each region's last restore activity: one per region, or one for all (`restoreRegionConfigs`,
  // whose completion is every region's) followed by a region's own where the batch failed it.
  const scheduled = new Map<string, { id: string; at: number }>();
  const started = new Map<string, number>();
  const completed = new Map<string, number>();
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    const type = s?.activityType?.name;
    if (type === 'restoreRegionConfig') {
      const input = decode(s!.input?.payloads?.[0]) as { region: string };
      scheduled.set(input.region, { id: String(e.eventId), at: timeOf(e) });
    }
    if (type === 'restoreRegionConfigs') {
      const input = decode(s!.input?.payloads?.[0]) as { restores: { region: string }[] };
      for (const { region } of input.restores) scheduled.set(region, { id: String(e.eventId), at: timeOf(e) });
    }
    const st = e.activityTaskStartedEventAttributes;
    if (st) started.set(String(st.scheduledEventId), timeOf(e));
    const c = e.activityTaskCompletedEventAttributes;
    if (c) completed.set(String(c.scheduledEventId), timeOf(e));
  }
  const restores = [...scheduled].map(([region, { id, at }]): RestoreTimes => {
    const puts = options.fleet.pushRequests(region).filter((p) => p.version === options.restoredVersion);
    const put = puts.at(-1)?.at.getTime();
    if (put === undefined || !completed.has(id)) throw new Error(`${options.rolloutId}: ${region} was not restored`);
    return {
      region,
      wave: options.waveOf.get(region) ?? 0,
      scheduled: at,
      started: started.get(id) ?? NaN,
      put,
      completed: completed.get(id)!,
    };
  });

  const { rows } = await options.pool.query<{ type: string; at: Date }>(
    `SELECT type, recorded_at AS at FROM events
     WHERE stream_id = $1 AND type IN ('RolloutHalted', 'RegionRolledBack') ORDER BY stream_position`,
    [options.rolloutId],
  );
  const delivery = await options.pool.query<{ at: Date }>(
    'SELECT claimed_at AS at FROM halt_requests WHERE fingerprint = $1',
    [options.fingerprint],
  );
  const recorded = (type: string) => rows.filter((r) => r.type === type).map((r) => r.at.getTime());
  return {
    sent: options.sent,
    answered: options.answered,
    deliveryBegan: delivery.rows[0]?.at.getTime() ?? NaN,
    haltAccepted: timeOf(accepted),
    restores,
    haltRecorded: Math.max(...recorded('RolloutHalted')),
    lastRegionEventRecorded: Math.max(...recorded('RegionRolledBack')),
  };
}

/** A trial's stages in ms. The critical-path stages add up to `mitigateMs`. */
export interface TrialStages {
  mitigateMs: number;
  /** Critical path. */
  webhookToOutboxMs: number;
  outboxToHaltAcceptedMs: number;
  haltToRestoresScheduledMs: number;
  restoreDispatchMs: number;
  restorePutMs: number;
  verifyAndReportMs: number;
  olderWavesMs: number;
  /** Beside the critical path. */
  outboxPickupMs: number;
  olderWaveGapMs: number;
  eventsRecordedAfterMs: number;
  haltRecordedMs: number;
}

/**
 * Cuts a timeline into stages along its critical path: the webhook, the outbox, the update,
 * then the last region of the newest wave (dispatched, PUT applied, read back and reported),
 * then whatever older waves added after it.
 */
export function stagesOf(t: TrialTimeline): TrialStages {
  const newestWave = Math.max(...t.restores.map((r) => r.wave));
  const newest = t.restores.filter((r) => r.wave === newestWave);
  const older = t.restores.filter((r) => r.wave !== newestWave);
  const last = newest.reduce((a, b) => (b.completed > a.completed ? b : a));
  const firstScheduled = Math.min(...newest.map((r) => r.scheduled));
  const done = Math.max(...t.restores.map((r) => r.completed));
  return {
    mitigateMs: done - t.sent,
    webhookToOutboxMs: t.answered - t.sent,
    outboxToHaltAcceptedMs: t.haltAccepted - t.answered,
    haltToRestoresScheduledMs: firstScheduled - t.haltAccepted,
    restoreDispatchMs: last.started - firstScheduled,
    restorePutMs: last.put - last.started,
    verifyAndReportMs: last.completed - last.put,
    olderWavesMs: done - last.completed,
    outboxPickupMs: t.deliveryBegan - t.answered,
    olderWaveGapMs: older.length === 0 ? 0 : Math.min(...older.map((r) => r.scheduled)) - last.completed,
    eventsRecordedAfterMs: t.lastRegionEventRecorded - done,
    haltRecordedMs: t.haltRecorded - t.sent,
  };
}
