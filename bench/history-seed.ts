/**
 * The event history the benchmarks run against: plausible rollouts (request, plan, prechecks,
 * push + verify + gate per region, success or rollback) across 50 regions and 40 services over
 * 90 days, with one big rollout. Used by bench:history and bench:api.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import { CURRENT_EVENT_SCHEMA_VERSION } from '../libs/domain/src';

export interface SeedOptions {
  totalEvents: number;
  rollouts: number;
  log: (msg: string) => void;
}

export const REGIONS = Array.from({ length: 50 }, (_, i) => `region-${String(i).padStart(2, '0')}`);
export const SERVICES = Array.from({ length: 40 }, (_, i) => `service-${i}`);
export const BIG_ROLLOUT_EVENTS = 2_000;
export const SPAN_DAYS = 90;

interface SeedRow {
  streamId: string;
  position: number;
  type: string;
  data: Record<string, unknown>;
  actor: string;
  at: Date;
}

/** A plausible rollout: request, plan, prechecks, then push + verify + gate per region, then success or rollback. */
function rolloutEvents(index: number, eventsWanted: number, start: Date): SeedRow[] {
  const id = `bench-${index}`;
  const service = SERVICES[index % SERVICES.length];
  const regions = Array.from({ length: 8 }, (_, k) => REGIONS[(index * 7 + k * 3) % REGIONS.length]);
  const version = `v${index}`;
  const actor = `user-${index % 37}`;
  const rows: SeedRow[] = [];
  let t = start.getTime();
  const add = (type: string, data: Record<string, unknown>) => {
    t += 1_000;
    rows.push({ streamId: id, position: rows.length + 1, type, data, actor, at: new Date(t) });
  };
  add('RolloutRequested', {
    rolloutId: id,
    service,
    version,
    requestedBy: actor,
    requestedAt: new Date(t).toISOString(),
    regions,
  });
  add('RolloutPlanned', {
    plan: { waves: regions.map((r, w) => ({ index: w + 1, regions: [r], bakeSeconds: 60, requiresApproval: false })) },
    source: 'strategy',
  });
  add('PrecheckPassed', { checks: ['plan'] });
  const rollback = index % 5 === 0;
  const closing = rollback ? 3 : 1;
  let wave = 0;
  while (rows.length + 4 <= eventsWanted - closing) {
    const region = regions[wave % regions.length];
    wave += 1;
    add('WaveStarted', { wave, regions: [region] });
    add('RegionConfigPushed', {
      region,
      wave,
      version,
      previousVersion: `v${index - 1}`,
      configHash: 'h',
      changed: true,
    });
    add('RegionConfigVerified', { region, wave, version, configHash: 'h' });
    add('HealthGateEvaluated', {
      wave,
      gate: 'probe',
      kind: 'probe',
      region,
      verdict: 'PASS',
      value: 200,
      detail: 'ok',
    });
  }
  while (rows.length < eventsWanted - closing) {
    add('HealthGateEvaluated', {
      wave,
      gate: 'probe',
      kind: 'probe',
      region: regions[0],
      verdict: 'PASS',
      value: 200,
      detail: 'ok',
    });
  }
  if (rollback) {
    add('RollbackStarted', { reason: 'gate', regions: [regions[0]], attempt: 1 });
    add('RegionRolledBack', {
      region: regions[0],
      fromVersion: version,
      toVersion: `v${index - 1}`,
      configHash: 'h0',
      outcome: 'RESTORED',
    });
    add('RolloutRolledBack', { regions: [regions[0]], reason: 'gate' });
  } else {
    add('RolloutSucceeded', { version, regions });
  }
  return rows;
}

async function insertRows(pool: Pool, rows: SeedRow[]): Promise<void> {
  await pool.query(
    `INSERT INTO events (stream_id, stream_position, event_id, type, data, metadata, recorded_at)
     SELECT * FROM unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[])`,
    [
      rows.map((r) => r.streamId),
      rows.map((r) => r.position),
      rows.map(() => randomUUID()),
      rows.map((r) => r.type),
      rows.map((r) => JSON.stringify(r.data)),
      rows.map((r) =>
        JSON.stringify({ actor: r.actor, correlationId: r.streamId, schemaVersion: CURRENT_EVENT_SCHEMA_VERSION }),
      ),
      rows.map((r) => r.at),
    ],
  );
}

export async function seedHistory(
  pool: Pool,
  { totalEvents: TOTAL_EVENTS, rollouts: ROLLOUTS, log }: SeedOptions,
): Promise<{ events: number; bigRollout: string; spanStart: Date }> {
  const spanStart = new Date(Date.now() - SPAN_DAYS * 86_400_000);
  // Every rollout but the big one gets the same share; the last takes the remainder, so the
  // log holds exactly TOTAL_EVENTS.
  const perRollout = Math.floor((TOTAL_EVENTS - BIG_ROLLOUT_EVENTS) / (ROLLOUTS - 1));
  const remainder = TOTAL_EVENTS - BIG_ROLLOUT_EVENTS - perRollout * (ROLLOUTS - 1);
  let buffer: SeedRow[] = [];
  let events = 0;
  const started = performance.now();
  const flush = async () => {
    if (buffer.length === 0) return;
    await insertRows(pool, buffer);
    events += buffer.length;
    buffer = [];
  };
  const bigIndex = Math.floor(ROLLOUTS / 2);
  for (let i = 1; i <= ROLLOUTS; i++) {
    const start = new Date(spanStart.getTime() + (i / ROLLOUTS) * SPAN_DAYS * 86_400_000);
    const wanted = i === bigIndex ? BIG_ROLLOUT_EVENTS : perRollout + (i === ROLLOUTS ? remainder : 0);
    buffer.push(...rolloutEvents(i, wanted, start));
    if (buffer.length >= 20_000) await flush();
    if (i % Math.floor(ROLLOUTS / 10) === 0)
      log(`seeded ${events.toLocaleString()} events (${i}/${ROLLOUTS} rollouts)`);
  }
  await flush();
  log(`seeded ${events.toLocaleString()} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { events, bigRollout: `bench-${bigIndex}`, spanStart };
}
