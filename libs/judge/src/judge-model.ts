import type { BaselineCounts } from './natural-ratio';

/**
 * What a judge is configured with, what it decides and what it remembers: plain data, because
 * decisions and snapshots live in workflow state and cross continue-as-new.
 */

export type Verdict = 'CONTINUE' | 'FAIL' | 'PASS' | 'INCONCLUSIVE';

/** Why a judge could not decide. */
export type InconclusiveReason = 'NO_BASELINE' | 'TOO_LITTLE_TRAFFIC' | 'UNDECIDED_AT_DEADLINE' | 'MAX_DURATION';

export interface JudgeOptions {
  /** False-alarm bound of FAIL, the bound on θ included (a rollout's share: see rolloutAlpha). */
  alpha: number;
  /** Bound on wrongly passing, the bound on θ included. */
  beta: number;
  /** Ratio of the canary's rate after the change to before it that is still fine (the FAIL test's null). */
  tolerance: number;
  /** Ratio above which the change made the canary bad (the PASS test's null: ratio ≥ maxTolerated). */
  maxTolerated: number;
  /** Canary requests needed for a PASS, and before the change for a baseline (legacy judges: for any verdict). */
  minRequests: number;
  /** Seconds per interval (reporting only; counts are per interval). */
  intervalSeconds: number;
  /** After this many seconds without a verdict: INCONCLUSIVE. */
  maxDurationSeconds: number;
  /** Largest ratio the FAIL mixture considers. */
  maxRatio: number;
  /** Share of alpha and of beta spent on bounding θ from the pre-change window; the rest goes to the e-processes. */
  baselineShare?: number;
  /**
   * Mixture weights of both e-processes: `focused` puts most of them near maxTolerated (FAIL)
   * and tolerance (PASS), where decisions are hard; absent means equal weights (judges started
   * before `judge-deadline-test`).
   */
  mixture?: 'uniform' | 'focused';
  /**
   * Share of alpha spent on one exact test at the bake's deadline (conclude()): the bake's canary
   * events against the pre-change window's. Absent means 0: no deadline test.
   */
  deadlineShare?: number;
}

/** Unset `baselineShare` means this; DEFAULT_JUDGE leaves it out, so legacy judges' options stay as they were. */
export const DEFAULT_BASELINE_SHARE = 0.2;

/** The deadline test's share of alpha for judges the workflow starts (`judge-deadline-test`); see docs/CANARY-JUDGE.md. */
export const DEFAULT_DEADLINE_SHARE = 0.5;

export const DEFAULT_JUDGE: JudgeOptions = {
  alpha: 0.05,
  beta: 0.01,
  tolerance: 1.0,
  maxTolerated: 1.5,
  minRequests: 500,
  intervalSeconds: 60,
  maxDurationSeconds: 3_600,
  maxRatio: 10,
};

/** What a legacy judge (no pre-change baseline) decides: the shape in-flight workflows carry. */
export interface LegacyDecision {
  verdict: Verdict;
  /** Only on INCONCLUSIVE from conclude() (legacy) or any INCONCLUSIVE (baseline judges). */
  reason?: InconclusiveReason;
  /** e-value of "the canary is worse than tolerated" (FAIL at failThreshold). */
  eFail: number;
  /** e-value of "the canary is no worse than maxTolerated" (PASS at passThreshold). */
  ePass: number;
  elapsedSeconds: number;
  /** Canary requests since the change. */
  canaryRequests: number;
}

/** What a judge with a pre-change baseline decides, with the numbers behind it. */
export interface BaselineDecision extends LegacyDecision {
  version: 2;
  /** 1/α_seq: the FAIL e-process's threshold. */
  failThreshold: number;
  /** 1/β_seq: the PASS e-process's threshold. */
  passThreshold: number;
  /** The FAIL test's whole alpha: the bound on θ and the e-process together. */
  alphaSpent: number;
  /** The PASS test's whole beta. */
  betaSpent: number;
  canaryEvents: number;
  controlRequests: number;
  controlEvents: number;
  /** The pre-change window, as given. */
  baseline: BaselineCounts | null;
  /** θ̂ and its bounds; null without a usable baseline. */
  naturalRatio: number | null;
  naturalRatioUpper: number | null;
  naturalRatioLower: number | null;
  /** PASS was reached; the FAIL test keeps watching, so a later verdict can still be FAIL. */
  passed: boolean;
  /** A FAIL from the deadline test carries its p-value (compared with alpha × deadlineShare). */
  deadlinePValue?: number;
}

export type Decision = LegacyDecision | BaselineDecision;

export function isBaselineDecision(d: Decision): d is BaselineDecision {
  return 'version' in d && d.version === 2;
}

/** A legacy judge's whole state (no version marker): it continues with the old math and rules. */
export interface LegacyJudgeSnapshot {
  version?: undefined;
  options: JudgeOptions;
  /** The FAIL e-process: log likelihood ratio per alternative ratio. */
  failLogLikelihoodRatios: number[];
  /** The PASS (mirror) e-process: log likelihood ratio per alternative ratio. */
  passLogLikelihoodRatios: number[];
  elapsedSeconds: number;
  canaryRequests: number;
  /** The verdict once reached; a judge that has decided answers it from then on. */
  decision: Decision | null;
}

/** A judge with a pre-change baseline. */
export interface BaselineJudgeSnapshot extends Omit<LegacyJudgeSnapshot, 'version' | 'decision'> {
  version: 2;
  baseline: BaselineCounts | null;
  canaryEvents: number;
  controlRequests: number;
  controlEvents: number;
  passed: boolean;
  /** FAIL or INCONCLUSIVE once reached: these latch. PASS does not. */
  decision: BaselineDecision | null;
}

/** A judge's whole state as plain, JSON-safe data: what a workflow carries across continue-as-new. */
export type JudgeSnapshot = LegacyJudgeSnapshot | BaselineJudgeSnapshot;
