import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import {
  ACTIVE_STATUSES,
  DEFAULT_INCIDENT_POLICY,
  INCIDENT_POLICY_ACTOR,
  decideOnIncident,
  heldRollouts,
  rolloutsToResume,
  type Blame,
  type IncidentAction,
  type IncidentDecision,
  type IncidentPolicy,
  type RolloutStatus,
  type RunningRollout,
} from '../../../../libs/domain/src';
import type { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import {
  liveStateQuery,
  pauseUpdate,
  resumeUpdate,
  type HaltOutcome,
  type LiveState,
  type RegionHaltRequest,
} from '../../../../workflows/rollout.messages';
import { rolloutWorkflowId } from '../../../../workflows/rollout.types';
import type { InsightService } from '../insight/insight.service';
import { interpretTemporalError } from '../temporal/temporal-errors';
import type { Delivered } from './halt-delivery';
import type { ActionResult, IncidentDecisionRepository, StoredDecision } from './incident-decision.repository';
import type { HaltRequestRow } from './halt-request.repository';

/** The blame the policy reads: incident insight's answer for one alert. */
export type Blamer = Pick<InsightService, 'incident'>;

/** Sends one halt, as the outbox's delivery does (haltIfAffected, with an update id). */
export type SendHalt = (service: string, request: RegionHaltRequest, updateId: string) => Promise<Delivered>;

/** Minutes of changes the blame looks at before the alert, as `incident`'s defaults. */
const BLAME_WINDOW_MINUTES = 60;
const RECENT_MINUTES = 15;
/** Blame reads Prometheus for every candidate; past this the policy halts as if it had none. */
export const BLAME_TIMEOUT_MS = 15_000;

/**
 * A service's onIncident policy at delivery time: decides from the stored halt request,
 * stores the decision before acting (a redelivery acts on the same one), then halts or
 * pauses. Blame that fails or takes longer than `blameTimeoutMs` falls back to halting.
 */
export class IncidentResponder {
  constructor(
    private readonly pool: Pool,
    private readonly catalog: PgServiceCatalog,
    private readonly insight: Blamer,
    private readonly decisions: IncidentDecisionRepository,
    private readonly temporal: Client,
    private readonly deadlineMs: number,
    private readonly blameTimeoutMs: number,
    /** The alert label that names the region (SLUICE_ALERT_REGION_LABEL). */
    private readonly regionLabel = 'region',
  ) {}

  /**
   * The stored decision for an alert whose service acts on the blame; undefined for today's
   * path (a hook's request, or a service with `halt-service`, recorded after its halt).
   */
  async decisionFor(row: HaltRequestRow): Promise<StoredDecision | undefined> {
    if (row.source !== 'alertmanager' || row.alert === null) return undefined;
    const service = await this.catalog.find(row.service);
    const policy: IncidentPolicy = service?.topology.onIncident ?? DEFAULT_INCIDENT_POLICY;
    if (policy === 'halt-service') return undefined;
    const stored = await this.decisions.forRequest(row);
    if (stored) return stored;
    const serviceRegions = service?.topology.regions.map((r) => r.name) ?? [];
    const [blame, running] = await Promise.all([this.blame(row), this.running()]);
    const decision = decideOnIncident({
      policy,
      alert: { service: row.service, region: row.region },
      affectedRegions: row.region ? [row.region] : serviceRegions,
      blame,
      running,
    });
    return this.decisions.store(row, decision);
  }

  /**
   * Records what an alert on a `halt-service` service did, once its halt was sent, so
   * `incident(alert)` shows every alert's decision. The halt never waits on this.
   */
  async recordHaltService(row: HaltRequestRow, delivered: Delivered): Promise<void> {
    if (row.source !== 'alertmanager' || row.alert === null) return;
    const service = await this.catalog.find(row.service);
    if ((service?.topology.onIncident ?? DEFAULT_INCIDENT_POLICY) !== 'halt-service') return;
    const decision = decideOnIncident({
      policy: 'halt-service',
      alert: { service: row.service, region: row.region },
      affectedRegions: row.region ? [row.region] : [],
      running: [],
    });
    const stored = await this.decisions.store(row, decision);
    await this.decisions.acted(
      stored.id,
      decision.actions.map((a) => ({
        ...a,
        outcome: delivered.outcome,
        reachedRolloutId: delivered.rolloutId,
        detail: null,
      })),
    );
  }

  /** Carries the decision out; the halt request's outcome says what came of it. */
  async act(
    row: HaltRequestRow,
    stored: StoredDecision,
    request: RegionHaltRequest,
    send: SendHalt,
  ): Promise<Delivered> {
    const results: ActionResult[] = [];
    for (const [i, action] of stored.decision.actions.entries()) {
      const updateId = `incident-${stored.id}-${i}`;
      if (action.action === 'HALT') {
        // a blamed rollout that has finished: its service's next rollout is not to blame
        if (action.rolloutId !== null && !(await this.liveOf(action.service, action.rolloutId))) {
          results.push({ ...action, outcome: 'NO_RUNNING_ROLLOUT', reachedRolloutId: action.rolloutId, detail: null });
          continue;
        }
        const delivered = await send(
          action.service,
          {
            ...request,
            ...(action.region ? { region: action.region } : {}),
            reason: `${request.reason}; ${action.why}`,
          },
          updateId,
        );
        results.push({ ...action, outcome: delivered.outcome, reachedRolloutId: delivered.rolloutId, detail: null });
      } else {
        results.push(await this.pause(row, action, updateId));
      }
    }
    await this.decisions.acted(stored.id, results);
    return rowOutcome(stored.decision, results);
  }

  /**
   * Lifts the pauses of resolved alerts: what the decision held (paused, or found paused), when
   * no alert still firing holds it too, and only while the policy's own pause is the last.
   */
  async resumeResolved(): Promise<number> {
    const due = await this.decisions.toResume();
    const failed: unknown[] = [];
    for (const d of due) {
      // a rollout that cannot be reached holds up only its own decision, tried again next pass
      await this.resumeOne(d).catch((err: unknown) => failed.push(err));
    }
    if (failed.length > 0) throw failed[0];
    return due.length;
  }

  private async resumeOne(d: StoredDecision): Promise<void> {
    const held = await this.decisions.stillHeld(d.id);
    const results: ActionResult[] = [];
    for (const [i, paused] of heldRollouts(d.decision).entries()) {
      const done = (outcome: string, detail: string | null) =>
        results.push({
          action: 'PAUSE',
          service: paused.service,
          rolloutId: paused.rolloutId,
          region: null,
          why: `${d.alertname} resolved`,
          outcome,
          reachedRolloutId: paused.rolloutId,
          detail,
        });
      if (held.has(paused.rolloutId)) {
        done('LEFT_ALONE', 'another alert that holds it paused still fires');
        continue;
      }
      const live = await this.liveOf(paused.service, paused.rolloutId);
      if (!live) {
        done('NOT_PAUSED', 'no longer running');
        continue;
      }
      const lastPause = live.actions.filter((a) => a.action === 'PAUSED').at(-1);
      const [ours] = rolloutsToResume([
        {
          rolloutId: paused.rolloutId,
          service: paused.service,
          status: live.status,
          lastPausedBy: lastPause?.by ?? null,
        },
      ]);
      if (!ours) {
        done('LEFT_ALONE', live.status === 'PAUSED' ? `paused by ${lastPause?.by ?? 'someone else'}` : live.status);
        continue;
      }
      const handle = this.temporal.workflow.getHandle(rolloutWorkflowId(paused.service));
      try {
        await this.temporal.withDeadline(Date.now() + this.deadlineMs, () =>
          handle.executeUpdate(resumeUpdate, {
            args: [{ by: INCIDENT_POLICY_ACTOR }],
            updateId: `incident-${d.id}-resume-${i}`,
          }),
        );
        done('RESUMED', null);
      } catch (err) {
        const answer = interpretTemporalError(err, resumeUpdate.name);
        if (answer?.kind === 'refused') done('LEFT_ALONE', answer.message);
        else if (answer?.kind === 'closed') done('NOT_PAUSED', 'no longer running');
        else throw err;
      }
    }
    await this.decisions.resumed(d.id, results);
  }

  /** Incident insight's answer, or why there is none: never an exception, never longer than the timeout. */
  private async blame(row: HaltRequestRow): Promise<Blame> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`incident insight took longer than ${this.blameTimeoutMs} ms`)),
        this.blameTimeoutMs,
      );
    });
    try {
      const incident = await Promise.race([
        this.insight.incident(
          // the region the intake matched (a zone label names its region), as the halt uses
          {
            labels: row.region ? { ...row.alert!.labels, [this.regionLabel]: row.region } : row.alert!.labels,
            startsAt: row.starts_at,
          },
          BLAME_WINDOW_MINUTES,
          RECENT_MINUTES,
        ),
        timeout,
      ]);
      // the verdict is the top suspect's: without its metrics there is nothing to act on
      const unreadable = incident.suspects[0]?.assessment.error;
      if (unreadable) return { error: `Prometheus: ${unreadable}` };
      return {
        verdict: incident.verdict.verdict,
        summary: incident.verdict.summary,
        suspects: incident.suspects.map((s) => ({
          rolloutId: s.rolloutId,
          service: s.change.service,
          region: s.change.region,
          score: s.score,
          eValue: s.explanation.testStatistic,
          verdict: s.verdict,
          likelyCause: s.likelyCause,
        })),
      };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Rollouts moving forward (per the projection), with their services' regions. */
  private async running(): Promise<RunningRollout[]> {
    const { rows } = await this.pool.query<{ id: string; service: string; status: RolloutStatus; regions: string[] }>(
      `SELECT r.id, r.service, r.status,
              ARRAY(SELECT x->>'name' FROM jsonb_array_elements(s.topology->'regions') x) AS regions
       FROM rollouts r JOIN services s ON s.name = r.service
       WHERE r.status = ANY($1) ORDER BY r.requested_at, r.id`,
      [ACTIVE_STATUSES],
    );
    return rows.map((r) => ({ rolloutId: r.id, service: r.service, status: r.status, regions: r.regions }));
  }

  /** The live state of the service's workflow when it still runs this rollout. */
  private async liveOf(service: string, rolloutId: string): Promise<LiveState | undefined> {
    const handle = this.temporal.workflow.getHandle(rolloutWorkflowId(service));
    try {
      const live = await this.temporal.withDeadline(Date.now() + this.deadlineMs, () => handle.query(liveStateQuery));
      return live.rolloutId === rolloutId ? live : undefined;
    } catch (err) {
      if (interpretTemporalError(err)?.kind === 'closed') return undefined;
      throw err;
    }
  }

  private async pause(row: HaltRequestRow, action: IncidentAction, updateId: string): Promise<ActionResult> {
    const result = (outcome: string, detail: string | null) => ({
      ...action,
      outcome,
      reachedRolloutId: action.rolloutId,
      detail,
    });
    const live = await this.liveOf(action.service, action.rolloutId!);
    if (!live) return result('NO_RUNNING_ROLLOUT', 'no longer running');
    const handle = this.temporal.workflow.getHandle(rolloutWorkflowId(action.service));
    try {
      await this.temporal.withDeadline(Date.now() + this.deadlineMs, () =>
        handle.executeUpdate(pauseUpdate, {
          args: [{ by: INCIDENT_POLICY_ACTOR, reason: `${row.alertname} firing; ${action.why}` }],
          updateId,
        }),
      );
      return result('PAUSED', null);
    } catch (err) {
      const answer = interpretTemporalError(err, pauseUpdate.name);
      if (answer?.kind === 'refused') return result('LEFT_ALONE', answer.message);
      if (answer?.kind === 'closed') return result('NO_RUNNING_ROLLOUT', 'no longer running');
      throw err;
    }
  }
}

/** The halt request's outcome: HALTED when any halt landed, PAUSED when any pause did, else the first answer. */
function rowOutcome(decision: IncidentDecision, results: ActionResult[]): Delivered {
  const halted = results.find((r) => r.action === 'HALT' && r.outcome === 'HALTED');
  if (halted) return { outcome: 'HALTED', rolloutId: halted.reachedRolloutId };
  const paused = results.filter((r) => r.outcome === 'PAUSED');
  if (paused.length > 0)
    return { outcome: 'PAUSED', rolloutId: paused.length === 1 ? paused[0].reachedRolloutId : null };
  const halt = results.find((r) => r.action === 'HALT');
  if (halt) return { outcome: halt.outcome as HaltOutcome, rolloutId: halt.reachedRolloutId };
  return { outcome: decision.rule === 'PAUSE_EXTERNAL' ? 'NO_RUNNING_ROLLOUT' : 'NOT_AFFECTED', rolloutId: null };
}
