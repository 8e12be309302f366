import type { RolloutStatus } from '../rollout/rollout-state';
import type { Verdict } from './change-assessment';

/**
 * A service's `onIncident`: what an alert on it does while rollouts run.
 * - `halt-service`: halt the alert's service's rollout (the default, and Sluice's behaviour before the policy).
 * - `halt-blamed`: act on incident insight's blame: halt only the rollouts blamed with LIKELY_CHANGE; on
 *   LIKELY_EXTERNAL pause the running rollouts in the alert's regions; otherwise fall back to `halt-service`.
 */
export const INCIDENT_POLICIES = ['halt-service', 'halt-blamed'] as const;
export type IncidentPolicy = (typeof INCIDENT_POLICIES)[number];
export const DEFAULT_INCIDENT_POLICY: IncidentPolicy = 'halt-service';

/** Who pauses and resumes under the policy: a pause by anyone else is never resumed by it. */
export const INCIDENT_POLICY_ACTOR = 'sluice:onIncident';

/** Suspects kept in a decision's record, best first. */
export const RECORDED_SUSPECTS = 3;

/**
 * Which rule decided:
 * - HALT_SERVICE: the policy is `halt-service`;
 * - HALT_BLAMED: LIKELY_CHANGE, and the blamed rollouts are halted;
 * - PAUSE_EXTERNAL: LIKELY_EXTERNAL, and the running rollouts in the alert's regions are paused;
 * - FALLBACK_HALT_SERVICE: `halt-blamed` could not blame (UNCLEAR, no likely cause, or no metrics), so safety first.
 */
export const INCIDENT_RULES = ['HALT_SERVICE', 'HALT_BLAMED', 'PAUSE_EXTERNAL', 'FALLBACK_HALT_SERVICE'] as const;
export type IncidentRule = (typeof INCIDENT_RULES)[number];

/** One ranked suspect, as the policy reads it. */
export interface BlamedSuspect {
  rolloutId: string;
  service: string;
  region: string;
  score: number;
  /** The larger e-value of errors and latency in the alert's region. */
  eValue: number;
  verdict: Verdict;
  likelyCause: boolean;
}

/** Incident insight's answer, or why there is none (Prometheus unreadable, insight failed). */
export type Blame = { verdict: Verdict; summary: string; suspects: BlamedSuspect[] } | { error: string };

/** A rollout moving forward, with the regions of its service. */
export interface RunningRollout {
  rolloutId: string;
  service: string;
  status: RolloutStatus;
  regions: readonly string[];
}

export interface IncidentFacts {
  policy: IncidentPolicy;
  alert: { service: string; region: string | null };
  /** The regions the alert is about: its region, or every region of its service. */
  affectedRegions: readonly string[];
  /** Absent under `halt-service`, which needs none. */
  blame?: Blame;
  running: readonly RunningRollout[];
}

/**
 * One thing to do. A HALT names a service (its rollout workflow) and the region the halt is
 * about, so the workflow still refuses a halt about a region it never touched; `rolloutId` is
 * null when the workflow decides which rollout (today's halt of the alert's service).
 */
export interface IncidentAction {
  action: 'HALT' | 'PAUSE';
  service: string;
  rolloutId: string | null;
  region: string | null;
  why: string;
}

export interface IncidentDecision {
  policy: IncidentPolicy;
  rule: IncidentRule;
  verdict: Verdict | null;
  /** One sentence with the numbers: what was decided and why. */
  summary: string;
  topSuspects: BlamedSuspect[];
  actions: IncidentAction[];
  /**
   * Rollouts this decision keeps paused until its alert resolves: those it pauses and those in
   * its regions it found paused already (had they not been, it would have paused them). Only
   * PAUSE_EXTERNAL holds any. Absent in decisions stored before it was recorded.
   */
  holds?: HeldRollout[];
}

export interface HeldRollout {
  rolloutId: string;
  service: string;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
const evalue = (e: number) => (e >= 1e4 ? e.toExponential(1) : e.toFixed(1));
const describe = (s: BlamedSuspect) =>
  `${s.service} rollout ${s.rolloutId} (score ${round(s.score)}, e-value ${evalue(s.eValue)}, ${s.verdict})`;

function haltService(facts: IncidentFacts, why: string): IncidentAction {
  return { action: 'HALT', service: facts.alert.service, rolloutId: null, region: facts.alert.region, why };
}

/**
 * What an alert does, given the service's policy, the blame and the running rollouts. Pure:
 * the gateway gathers the facts, stores the decision, then acts on it.
 */
export function decideOnIncident(facts: IncidentFacts): IncidentDecision {
  if (facts.policy === 'halt-service') {
    const why = `onIncident is halt-service: halt ${facts.alert.service}'s rollout`;
    return {
      policy: facts.policy,
      rule: 'HALT_SERVICE',
      verdict: null,
      summary: why,
      topSuspects: [],
      actions: [haltService(facts, why)],
      holds: [],
    };
  }
  const blame = facts.blame ?? { error: 'no blame was computed' };
  const fallback = (verdict: Verdict | null, reason: string, topSuspects: BlamedSuspect[]): IncidentDecision => {
    const why = `${reason}: falling back to halting ${facts.alert.service}'s rollout (safety first)`;
    return {
      policy: facts.policy,
      rule: 'FALLBACK_HALT_SERVICE',
      verdict,
      summary: why,
      topSuspects,
      actions: [haltService(facts, why)],
      holds: [],
    };
  };
  if ('error' in blame) return fallback(null, `no blame: ${blame.error}`, []);
  const topSuspects = blame.suspects.slice(0, RECORDED_SUSPECTS);
  if (blame.verdict === 'LIKELY_CHANGE') {
    const blamed = blame.suspects.filter((s) => s.likelyCause);
    // the best-ranked suspect of each rollout: its region is the one the halt is about
    const byRollout = blamed.filter((s, i) => blamed.findIndex((t) => t.rolloutId === s.rolloutId) === i);
    if (byRollout.length === 0)
      return fallback(blame.verdict, 'LIKELY_CHANGE but no suspect is a likely cause', topSuspects);
    const actions = byRollout.map((s) => ({
      action: 'HALT' as const,
      service: s.service,
      rolloutId: s.rolloutId,
      region: s.region,
      why: `blamed: ${describe(s)}`,
    }));
    return {
      policy: facts.policy,
      rule: 'HALT_BLAMED',
      verdict: blame.verdict,
      summary: `LIKELY_CHANGE: halting ${actions.length} blamed rollout(s): ${byRollout.map(describe).join('; ')}`,
      topSuspects,
      actions,
      holds: [],
    };
  }
  if (blame.verdict === 'LIKELY_EXTERNAL') {
    const affected = new Set(facts.affectedRegions);
    const inRegions = facts.running.filter((r) => r.regions.some((region) => affected.has(region)));
    const regions = [...affected].join(', ');
    const actions = inRegions
      .filter((r) => r.status !== 'PAUSED')
      .map((r) => ({
        action: 'PAUSE' as const,
        service: r.service,
        rolloutId: r.rolloutId,
        region: null,
        why: `LIKELY_EXTERNAL in ${regions}: ${blame.summary}`,
      }));
    const alreadyPaused = inRegions.length - actions.length;
    return {
      policy: facts.policy,
      rule: 'PAUSE_EXTERNAL',
      verdict: blame.verdict,
      summary:
        `LIKELY_EXTERNAL (${blame.summary}): pausing ${actions.length} running rollout(s) in ${regions}` +
        (alreadyPaused > 0 ? `, ${alreadyPaused} already paused left alone` : ''),
      topSuspects,
      actions,
      holds: inRegions.map((r) => ({ rolloutId: r.rolloutId, service: r.service })),
    };
  }
  return fallback(blame.verdict, `UNCLEAR (${blame.summary})`, topSuspects);
}

/** What a decision holds paused; a decision stored before `holds` holds what it set out to pause. */
export function heldRollouts(decision: IncidentDecision): HeldRollout[] {
  return (
    decision.holds ??
    decision.actions
      .filter((a) => a.action === 'PAUSE' && a.rolloutId !== null)
      .map((a) => ({ rolloutId: a.rolloutId!, service: a.service }))
  );
}

/** A rollout the policy paused, as it stands now: its status and who paused it last. */
export interface PausedRollout {
  rolloutId: string;
  service: string;
  status: RolloutStatus;
  lastPausedBy: string | null;
}

/** On the alert resolving: resume only what is still paused by the policy, never a person's pause. */
export function rolloutsToResume(paused: readonly PausedRollout[]): PausedRollout[] {
  return paused.filter((r) => r.status === 'PAUSED' && r.lastPausedBy === INCIDENT_POLICY_ACTOR);
}
