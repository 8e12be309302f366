import type { Pool } from 'pg';
import type { RegionFleet } from '../../apps/region-sim/src/region-fleet';

/**
 * What a chaos scenario checks after the fault: the system's state, not the process's exit.
 * Each region's version and apply counter in region-sim, the event stream (no gaps, no
 * duplicates) and the Temporal status (`closedWorkflow`, which waits for the workflow to close).
 */
interface StreamEvent {
  position: number;
  type: string;
  region: string | null;
  wave: string | null;
}

export async function streamOf(pool: Pool, rolloutId: string): Promise<StreamEvent[]> {
  const { rows } = await pool.query<StreamEvent & { position: string }>(
    `SELECT stream_position AS position, type, data->>'region' AS region, data->>'wave' AS wave
     FROM events WHERE stream_id = $1 ORDER BY stream_position`,
    [rolloutId],
  );
  return rows.map((r) => ({ ...r, position: Number(r.position) }));
}

/** Facts that happen once per rollout, wave or region: a second copy would be a duplicate. */
const ONCE = new Set([
  'RolloutRequested',
  'RolloutPlanned',
  'PrecheckPassed',
  'WaveStarted',
  'RegionConfigPushed',
  'RegionConfigVerified',
  'WaveCompleted',
  'RolloutSucceeded',
  'RolloutHalted',
  'RolloutRolledBack',
]);

/** Positions 1..n with nothing missing, no fact recorded twice, and each region pushed exactly once. */
export async function expectCleanStream(pool: Pool, rolloutId: string, regions: readonly string[]): Promise<void> {
  const stream = await streamOf(pool, rolloutId);
  expect(stream.map((e) => e.position)).toEqual(stream.map((_, i) => i + 1));
  const onceKeys = stream.filter((e) => ONCE.has(e.type)).map((e) => `${e.type}/${e.wave ?? ''}/${e.region ?? ''}`);
  expect(onceKeys.filter((k, i) => onceKeys.indexOf(k) !== i)).toEqual([]);
  const pushed = stream.filter((e) => e.type === 'RegionConfigPushed').map((e) => e.region);
  expect([...pushed].sort()).toEqual([...regions].sort());
}

/** Every region serves `version`, applied exactly once (re-pushes of the same version do not count). */
export function expectAppliedOnce(fleet: RegionFleet, regions: readonly string[], version: string): void {
  for (const region of regions) {
    expect({ region, version: fleet.get(region)?.version, applied: fleet.get(region)?.applyCount }).toEqual({
      region,
      version,
      applied: 1,
    });
  }
}
