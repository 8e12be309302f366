import type { PoolClient } from 'pg';
import {
  evolve,
  initialRolloutState,
  isFinal,
  touchedRegions,
  type RolloutEvent,
  type RolloutState,
} from '../../domain/src';
import type { RecordedEvent } from '../../event-store/src';
import type { Projection } from './projection';

interface Row {
  id: string;
  state: RolloutState;
  requestedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  workflowId: string | null;
  runId: string | null;
}

/** `rollouts`: one row per rollout, its folded domain state plus the columns lists filter on. */
export class RolloutsProjection implements Projection {
  readonly name = 'rollouts';
  readonly tables = ['rollouts'];

  async apply(client: PoolClient, events: readonly RecordedEvent[]): Promise<void> {
    const ids = [...new Set(events.map((e) => e.streamId))];
    const { rows } = await client.query<{
      id: string;
      state: RolloutState;
      requested_at: Date;
      updated_at: Date;
      finished_at: Date | null;
      workflow_id: string | null;
      run_id: string | null;
    }>(
      'SELECT id, state, requested_at, updated_at, finished_at, workflow_id, run_id FROM rollouts WHERE id = ANY($1)',
      [ids],
    );
    const current = new Map<string, Row>(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          state: r.state,
          requestedAt: r.requested_at,
          updatedAt: r.updated_at,
          finishedAt: r.finished_at,
          workflowId: r.workflow_id,
          runId: r.run_id,
        },
      ]),
    );
    for (const event of events) {
      const row = current.get(event.streamId) ?? {
        id: event.streamId,
        state: initialRolloutState,
        requestedAt: event.recordedAt,
        updatedAt: event.recordedAt,
        finishedAt: null,
        workflowId: event.metadata.workflowId ?? null,
        runId: event.metadata.runId ?? null,
      };
      const state = evolve(row.state, { type: event.type, data: event.data } as RolloutEvent);
      current.set(event.streamId, {
        ...row,
        state,
        updatedAt: event.recordedAt,
        finishedAt: isFinal(state.status) ? event.recordedAt : null,
      });
    }
    const changed = [...current.values()].filter((r) => r.state.service !== null);
    if (changed.length === 0) return;
    await client.query(
      `INSERT INTO rollouts (id, service, version, status, requested_by, requested_at, updated_at, finished_at,
                             current_wave, regions, stop_reason, workflow_id, run_id, state)
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
         id text, service text, version text, status text, requested_by text, requested_at timestamptz,
         updated_at timestamptz, finished_at timestamptz, current_wave int, regions text[], stop_reason text,
         workflow_id text, run_id text, state jsonb)
       ON CONFLICT (id) DO UPDATE SET
         status = EXCLUDED.status, updated_at = EXCLUDED.updated_at, finished_at = EXCLUDED.finished_at,
         current_wave = EXCLUDED.current_wave, regions = EXCLUDED.regions, stop_reason = EXCLUDED.stop_reason,
         state = EXCLUDED.state`,
      [
        JSON.stringify(
          changed.map((r) => ({
            id: r.id,
            service: r.state.service,
            version: r.state.version,
            status: r.state.status,
            requested_by: r.state.requestedBy,
            requested_at: r.requestedAt,
            updated_at: r.updatedAt,
            finished_at: r.finishedAt,
            current_wave: r.state.wave,
            regions: touchedRegions(r.state),
            stop_reason: r.state.stopReason,
            workflow_id: r.workflowId,
            run_id: r.runId,
            state: r.state,
          })),
        ),
      ],
    );
  }
}
