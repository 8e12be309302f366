import type { GateEvaluation } from './gate-spec';

/** A gate and region with no data, whose policy asks a person to decide. */
export interface NoDataPause {
  /** Remembered per wave, so each gate and region pauses the rollout once per wave. */
  key: string;
  reason: string;
}

/**
 * What one round of gate results means for the bake:
 * - STOP: a gate failed, or has no data and its policy is `fail`; the rollout rolls back.
 * - PAUSE: gates without data ask a person (policy `pause`); the rollout pauses once, then bakes on.
 * - END_BAKE: only canary judges gate this bake and all of them passed: the change is fine.
 * - CONTINUE: keep baking.
 */
export type GateOutcome =
  | { kind: 'STOP'; reason: string }
  | { kind: 'PAUSE'; pauses: NoDataPause[] }
  | { kind: 'END_BAKE' }
  | { kind: 'CONTINUE' };

export interface GateRound {
  wave: number;
  results: readonly GateEvaluation[];
  /** Only canary judges gate this bake (no per-region gate), so their passing can end it early. */
  canaryOnly: boolean;
  /** Keys of the pauses for missing data already made in this rollout. */
  pausedForNoData: readonly string[];
}

/** Decides what a round of gate results means. Pure: the bake acts on the answer. */
export function gateOutcome(round: GateRound): GateOutcome {
  const { wave, results, canaryOnly, pausedForNoData } = round;
  if (results.length === 0) return { kind: 'CONTINUE' };
  const failing = results.find((r) => r.verdict === 'FAIL' || (r.verdict === 'NO_DATA' && r.noData === 'fail'));
  if (failing) return { kind: 'STOP', reason: `gate ${failing.gate} failed in ${failing.region}: ${failing.detail}` };

  const seen = new Set(pausedForNoData);
  const pauses: NoDataPause[] = [];
  for (const r of results) {
    const key = `${wave}/${r.gate}/${r.region}`;
    if (r.verdict !== 'NO_DATA' || r.noData !== 'pause' || seen.has(key)) continue;
    seen.add(key);
    pauses.push({ key, reason: `gate ${r.gate} has no data in ${r.region} (${r.detail}); resume or abort` });
  }
  if (pauses.length > 0) return { kind: 'PAUSE', pauses };
  if (canaryOnly && results.every((r) => r.verdict === 'PASS')) return { kind: 'END_BAKE' };
  return { kind: 'CONTINUE' };
}

/** Routine evaluations reach the event log within this long (or two ticks, if ticks are slower). */
export const ROUTINE_EVALUATIONS_RECORDED_WITHIN_MS = 5 * 60_000;

export interface EvaluationRecording {
  outcome: GateOutcome;
  /** Whether any gate's verdict in any region differs from the previous tick's. */
  changed: boolean;
  /** Ticks whose evaluations are already waiting to be recorded. */
  ticksDeferred: number;
  msSinceRecorded: number;
}

/**
 * Whether a bake tick's evaluations are recorded now or with the next batch. A tick that
 * changes something (a verdict, the course of the bake) is recorded at once; routine ticks
 * (same verdicts, the bake goes on) are batched: never more than one batch in five minutes,
 * and never fewer than one every second tick. Each batch costs the workflow history six
 * events, so batching saves about six per tick; the live state has every evaluation at once.
 */
export function recordEvaluationsNow(tick: EvaluationRecording): boolean {
  if (tick.outcome.kind !== 'CONTINUE' || tick.changed) return true;
  return tick.ticksDeferred >= 1 && tick.msSinceRecorded >= ROUTINE_EVALUATIONS_RECORDED_WITHIN_MS;
}
