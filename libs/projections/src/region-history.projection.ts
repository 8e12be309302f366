import type { PoolClient } from 'pg';
import type { RecordedEvent } from '../../event-store/src';
import type { Projection } from './projection';
import type { RegionChangeRow } from './read-models';

/** A change to what a region serves, read off a push or a restore: a future row of region_changes. */
type RegionChange = RegionChangeRow;

/** A stream's service and its regions' target kinds, as its RolloutRequested names them. */
interface StreamOrigin {
  service: string;
  targets: Record<string, string>;
}

const originOf = (data: Record<string, unknown>): StreamOrigin => ({
  service: String(data.service),
  targets: (data.targets as Record<string, string> | undefined) ?? {},
});

/** Finds the origin of each stream: from a RolloutRequested in the batch, else the events table. */
async function originsOf(client: PoolClient, events: readonly RecordedEvent[]): Promise<Map<string, StreamOrigin>> {
  const origins = new Map<string, StreamOrigin>();
  for (const e of events) if (e.type === 'RolloutRequested') origins.set(e.streamId, originOf(e.data));
  const missing = [...new Set(events.map((e) => e.streamId))].filter((id) => !origins.has(id));
  if (missing.length > 0) {
    const { rows } = await client.query<{ stream_id: string; data: Record<string, unknown> }>(
      `SELECT stream_id, jsonb_build_object('service', data->'service', 'targets', data->'targets') AS data
       FROM events WHERE stream_id = ANY($1) AND stream_position = 1 AND type = 'RolloutRequested'`,
      [missing],
    );
    for (const r of rows) origins.set(r.stream_id, originOf(r.data));
  }
  return origins;
}

/**
 * When each wave of a found push started (`stream/wave` → its WaveStarted's time). A push the
 * restore found was recorded late; it landed some time after its wave started, so it counts
 * from then: the earliest it can have reached anyone, on the same clock as every other change.
 */
async function waveStarts(client: PoolClient, pushes: readonly RecordedEvent[]): Promise<Map<string, Date>> {
  if (pushes.length === 0) return new Map();
  const { rows } = await client.query<{ stream_id: string; wave: string; recorded_at: Date }>(
    `SELECT stream_id, data->>'wave' AS wave, max(recorded_at) AS recorded_at FROM events
     WHERE stream_id = ANY($1) AND type = 'WaveStarted' GROUP BY stream_id, data->>'wave'`,
    [[...new Set(pushes.map((e) => e.streamId))]],
  );
  return new Map(rows.map((r) => [`${r.stream_id}/${r.wave}`, r.recorded_at]));
}

const found = (e: RecordedEvent) => e.type === 'RegionConfigPushed' && e.data.foundByRestore === true;

async function changesIn(client: PoolClient, events: readonly RecordedEvent[]): Promise<RegionChange[]> {
  const relevant = events.filter(
    (e) => e.type === 'RegionConfigPushed' || (e.type === 'RegionRolledBack' && e.data.outcome === 'RESTORED'),
  );
  if (relevant.length === 0) return [];
  const origins = await originsOf(client, relevant);
  const started = await waveStarts(client, relevant.filter(found));
  return relevant.map((e) => {
    const push = e.type === 'RegionConfigPushed';
    const toVersion = ((push ? e.data.version : e.data.toVersion) as string | null) ?? null;
    // A restore of a region that never served the rollout's version changed nothing: it is no
    // "rollback from v2", it reads as what the region served all along.
    const neverServed = !push && e.data.neverServedNewVersion === true;
    const origin = origins.get(e.streamId);
    const region = String(e.data.region);
    return {
      globalPosition: e.globalPosition,
      service: origin?.service ?? 'unknown',
      region,
      targetKind: origin?.targets[region] ?? null,
      rolloutId: e.streamId,
      kind: push ? 'PUSH' : 'ROLLBACK',
      fromVersion: neverServed
        ? toVersion
        : (((push ? e.data.previousVersion : e.data.fromVersion) as string | null) ?? null),
      toVersion,
      configHash: (e.data.configHash as string | null) ?? null,
      changed: push ? e.data.changed !== false : !neverServed,
      actor: e.metadata.actor,
      changedAt: (found(e) && started.get(`${e.streamId}/${String(e.data.wave)}`)) || e.recordedAt,
    };
  });
}

/** `region_changes`: every push and restore per region, keyed by global position (so replays are no-ops). */
export class RegionChangesProjection implements Projection {
  readonly name = 'region_changes';
  readonly tables = ['region_changes'];

  async apply(client: PoolClient, events: readonly RecordedEvent[]): Promise<void> {
    const changes = await changesIn(client, events);
    if (changes.length === 0) return;
    await client.query(
      `INSERT INTO region_changes (global_position, service, region, rollout_id, kind, from_version, to_version,
                                   config_hash, changed, actor, changed_at, target_kind)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS c(
         "globalPosition" bigint, service text, region text, "rolloutId" text, kind text, "fromVersion" text,
         "toVersion" text, "configHash" text, changed boolean, actor text, "changedAt" timestamptz,
         "targetKind" text)
       ON CONFLICT (global_position) DO NOTHING`,
      [JSON.stringify(changes)],
    );
  }
}

/** `region_versions`: what each region of each service serves now, and since when. */
export class RegionVersionsProjection implements Projection {
  readonly name = 'region_versions';
  readonly tables = ['region_versions'];

  async apply(client: PoolClient, events: readonly RecordedEvent[]): Promise<void> {
    const latest = new Map<string, RegionChange>();
    for (const change of await changesIn(client, events)) {
      if (change.changed) latest.set(`${change.service}/${change.region}`, change);
    }
    if (latest.size === 0) return;
    await client.query(
      `INSERT INTO region_versions (service, region, version, config_hash, rollout_id, since, target_kind)
       SELECT service, region, "toVersion", "configHash", "rolloutId", "changedAt", "targetKind"
       FROM jsonb_to_recordset($1::jsonb) AS c(
         service text, region text, "toVersion" text, "configHash" text, "rolloutId" text, "changedAt" timestamptz,
         "targetKind" text)
       ON CONFLICT (service, region) DO UPDATE SET
         version = EXCLUDED.version, config_hash = EXCLUDED.config_hash,
         rollout_id = EXCLUDED.rollout_id, since = EXCLUDED.since, target_kind = EXCLUDED.target_kind`,
      [JSON.stringify([...latest.values()])],
    );
  }
}
