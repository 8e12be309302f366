import {
  DEFAULT_BASELINE_SHARE,
  DEFAULT_JUDGE,
  type BaselineDecision,
  type BaselineJudgeSnapshot,
  type Decision,
  type InconclusiveReason,
  type JudgeOptions,
  type JudgeSnapshot,
  type LegacyDecision,
  type LegacyJudgeSnapshot,
  type Verdict,
} from './judge-model';
import { baselineProblem, naturalRatio, type BaselineCounts, type NaturalRatio } from './natural-ratio';
import { deadlinePValue } from './deadline-test';
import { MixtureEProcess, focusedWeights, ratioGrid, type IntervalCounts } from './sequential-count-test';

// callers import the judge's vocabulary from here, as before the split
export * from './judge-model';

/** The focused mixture's spread (standard deviation of log ratio) and the share of weight kept equal over the grid. */
const FOCUS_SPREAD = 0.35;
const FOCUS_FLOOR = 0.2;

type Progress = Pick<
  BaselineJudgeSnapshot,
  'elapsedSeconds' | 'canaryRequests' | 'canaryEvents' | 'controlRequests' | 'controlEvents' | 'passed' | 'decision'
>;

/**
 * The sequential canary judge for one count metric. Two e-processes run side by side: one
 * against "the change did not make the canary worse than tolerance" (FAIL), its mirror against
 * "it made it at least maxTolerated worse" (PASS). With a pre-change baseline (`baseline` not
 * undefined) the canary's natural ratio to the controls, θ, is bounded from the window before
 * the change and the tests run on exposure scaled by those bounds; without one (`undefined`)
 * the judge is a legacy judge: θ = 1, minRequests gates every verdict, PASS latches.
 */
export class SequentialJudge {
  private readonly fail: MixtureEProcess;
  private readonly pass: MixtureEProcess;
  private readonly legacy: boolean;
  private readonly baseline: BaselineCounts | null;
  private readonly theta: NaturalRatio | null;
  private readonly alphaSeq: number;
  private readonly alphaEnd: number;
  private readonly betaSeq: number;
  private progress: Progress = {
    elapsedSeconds: 0,
    canaryRequests: 0,
    canaryEvents: 0,
    controlRequests: 0,
    controlEvents: 0,
    passed: false,
    decision: null,
  };
  private legacyDone: Decision | null = null;

  constructor(
    readonly options: JudgeOptions = DEFAULT_JUDGE,
    baseline?: BaselineCounts | null,
    from?: Omit<LegacyJudgeSnapshot, 'options'> | Omit<BaselineJudgeSnapshot, 'options'>,
  ) {
    if (!(options.tolerance < options.maxTolerated)) throw new Error('tolerance must be below maxTolerated');
    this.legacy = baseline === undefined;
    this.baseline = baseline ?? null;
    const failGrid = ratioGrid(options.tolerance, options.maxRatio);
    const passGrid = ratioGrid(options.maxTolerated, options.maxTolerated / 10);
    const focused = !this.legacy && options.mixture === 'focused';
    this.fail = new MixtureEProcess(
      {
        boundary: options.tolerance,
        grid: failGrid,
        ...(focused ? { weights: focusedWeights(failGrid, options.maxTolerated, FOCUS_SPREAD, FOCUS_FLOOR) } : {}),
      },
      from?.failLogLikelihoodRatios,
    );
    this.pass = new MixtureEProcess(
      {
        boundary: options.maxTolerated,
        grid: passGrid,
        ...(focused ? { weights: focusedWeights(passGrid, options.tolerance, FOCUS_SPREAD, FOCUS_FLOOR) } : {}),
      },
      from?.passLogLikelihoodRatios,
    );
    const share = this.legacy ? 0 : (options.baselineShare ?? DEFAULT_BASELINE_SHARE);
    if (!(share >= 0 && share < 1)) throw new Error(`baselineShare must be in [0, 1), got ${share}`);
    const deadlineShare = this.legacy ? 0 : (options.deadlineShare ?? 0);
    if (!(deadlineShare >= 0 && deadlineShare < 1)) {
      throw new Error(`deadlineShare must be in [0, 1), got ${deadlineShare}`);
    }
    // α = α_end (the deadline test) + α_b (the bound on θ) + α_seq (the FAIL e-process)
    this.alphaEnd = options.alpha * deadlineShare;
    const alphaOngoing = options.alpha - this.alphaEnd;
    this.alphaSeq = alphaOngoing * (1 - share);
    this.betaSeq = options.beta * (1 - share);
    this.theta =
      this.legacy || baselineProblem(baseline, options.minRequests) !== null
        ? null
        : naturalRatio(baseline as BaselineCounts, alphaOngoing * share, options.beta * share);
    if (from) {
      if (from.version === 2) {
        const { elapsedSeconds, canaryRequests, canaryEvents, controlRequests, controlEvents, passed } = from;
        const decision = from.decision && { ...from.decision };
        this.progress = {
          elapsedSeconds,
          canaryRequests,
          canaryEvents,
          controlRequests,
          controlEvents,
          passed,
          decision,
        };
      } else {
        this.progress.elapsedSeconds = from.elapsedSeconds;
        this.progress.canaryRequests = from.canaryRequests;
        this.legacyDone = from.decision && { ...from.decision };
      }
    }
  }

  /** Continues a judge from its snapshot: it decides exactly as the judge it was taken from would have. */
  static fromSnapshot(snapshot: JudgeSnapshot): SequentialJudge {
    if (snapshot.version === 2) return new SequentialJudge({ ...snapshot.options }, snapshot.baseline, snapshot);
    return new SequentialJudge({ ...snapshot.options }, undefined, snapshot);
  }

  snapshot(): JudgeSnapshot {
    const common = {
      options: { ...this.options },
      failLogLikelihoodRatios: this.fail.snapshot(),
      passLogLikelihoodRatios: this.pass.snapshot(),
      elapsedSeconds: this.progress.elapsedSeconds,
      canaryRequests: this.progress.canaryRequests,
    };
    if (this.legacy) return { ...common, decision: this.legacyDone && { ...this.legacyDone } };
    const { decision, canaryEvents, controlRequests, controlEvents, passed } = this.progress;
    return {
      version: 2,
      ...common,
      baseline: this.baseline && { ...this.baseline },
      canaryEvents,
      controlRequests,
      controlEvents,
      passed,
      decision: decision && { ...decision },
    };
  }

  /** Legacy judges (no pre-change baseline, old rules) are 1. */
  get version(): 1 | 2 {
    return this.legacy ? 1 : 2;
  }

  /** θ̂ and its bounds, or null when the judge has no usable pre-change baseline (or is a legacy judge). */
  get naturalRatio(): NaturalRatio | null {
    return this.theta && { ...this.theta };
  }

  observe(counts: IntervalCounts): Decision {
    return this.legacy ? this.observeLegacy(counts) : this.observeWithBaseline(counts);
  }

  /**
   * The bake's deadline. A judge that has not decided is INCONCLUSIVE, never a silent pass:
   * TOO_LITTLE_TRAFFIC when the canary served fewer than minRequests, else UNDECIDED_AT_DEADLINE.
   */
  conclude(): Decision {
    if (this.legacy) {
      if (this.legacyDone) return this.legacyDone;
      return (this.legacyDone = { ...this.legacyDecision('INCONCLUSIVE'), reason: this.deadlineReason() });
    }
    if (this.progress.decision) return this.progress.decision;
    const failed = this.deadlineFail();
    if (failed) return (this.progress.decision = failed);
    if (this.progress.passed) return this.decision('PASS');
    const reason = this.theta ? this.deadlineReason() : 'NO_BASELINE';
    return (this.progress.decision = this.decision('INCONCLUSIVE', reason));
  }

  /**
   * The deadline test (run once: at the bake's deadline or at maxDuration, whichever comes
   * first, since both latch): FAIL with its p-value when it rejects, else null.
   */
  private deadlineFail(): BaselineDecision | null {
    if (!(this.alphaEnd > 0) || !this.theta || !this.baseline) return null;
    const p = this.progress;
    const bake = {
      canaryRequests: p.canaryRequests,
      canaryEvents: p.canaryEvents,
      baselineRequests: p.controlRequests,
      baselineEvents: p.controlEvents,
    };
    const pValue = deadlinePValue(this.baseline, bake, this.options.tolerance);
    return pValue <= this.alphaEnd ? { ...this.decision('FAIL'), deadlinePValue: pValue } : null;
  }

  private deadlineReason(): InconclusiveReason {
    return this.progress.canaryRequests < this.options.minRequests ? 'TOO_LITTLE_TRAFFIC' : 'UNDECIDED_AT_DEADLINE';
  }

  private observeWithBaseline(counts: IntervalCounts): Decision {
    if (this.progress.decision) return this.progress.decision;
    if (!this.theta) return (this.progress.decision = this.decision('INCONCLUSIVE', 'NO_BASELINE'));
    const p = this.progress;
    // scaling the canary's exposure by a bound on θ moves the null's boundary from ρ0 to θ·ρ0
    this.fail.update({ ...counts, canaryRequests: counts.canaryRequests * this.theta.upper });
    this.pass.update({ ...counts, canaryRequests: counts.canaryRequests * this.theta.lower });
    p.elapsedSeconds += this.options.intervalSeconds;
    p.canaryRequests += counts.canaryRequests;
    p.canaryEvents += counts.canaryEvents;
    p.controlRequests += counts.baselineRequests;
    p.controlEvents += counts.baselineEvents;
    // FAIL needs no minimum: Ville's inequality holds from the first interval on
    if (this.fail.logE >= Math.log(1 / this.alphaSeq)) return (p.decision = this.decision('FAIL'));
    if (this.pass.logE >= Math.log(1 / this.betaSeq) && p.canaryRequests >= this.options.minRequests) p.passed = true;
    if (p.passed) return this.decision('PASS');
    if (p.elapsedSeconds >= this.options.maxDurationSeconds) {
      return (p.decision = this.deadlineFail() ?? this.decision('INCONCLUSIVE', 'MAX_DURATION'));
    }
    return this.decision('CONTINUE');
  }

  private decision(verdict: Verdict, reason?: InconclusiveReason): BaselineDecision {
    const p = this.progress;
    return {
      version: 2,
      verdict,
      ...(reason ? { reason } : {}),
      eFail: Math.exp(Math.min(700, this.fail.logE)),
      ePass: Math.exp(Math.min(700, this.pass.logE)),
      failThreshold: 1 / this.alphaSeq,
      passThreshold: 1 / this.betaSeq,
      alphaSpent: this.options.alpha,
      betaSpent: this.options.beta,
      elapsedSeconds: p.elapsedSeconds,
      canaryRequests: p.canaryRequests,
      canaryEvents: p.canaryEvents,
      controlRequests: p.controlRequests,
      controlEvents: p.controlEvents,
      baseline: this.baseline && { ...this.baseline },
      naturalRatio: this.theta?.estimate ?? null,
      naturalRatioUpper: this.theta?.upper ?? null,
      naturalRatioLower: this.theta?.lower ?? null,
      passed: p.passed,
    };
  }

  /** The judge in-flight workflows started: its arithmetic and rules must not change (replay). */
  private observeLegacy(counts: IntervalCounts): Decision {
    if (this.legacyDone) return this.legacyDone;
    this.fail.update(counts);
    this.pass.update(counts);
    this.progress.elapsedSeconds += this.options.intervalSeconds;
    this.progress.canaryRequests += counts.canaryRequests;
    if (this.progress.canaryRequests >= this.options.minRequests) {
      if (this.fail.logE >= Math.log(1 / this.options.alpha)) return (this.legacyDone = this.legacyDecision('FAIL'));
      if (this.pass.logE >= Math.log(1 / this.options.beta)) return (this.legacyDone = this.legacyDecision('PASS'));
    }
    if (this.progress.elapsedSeconds >= this.options.maxDurationSeconds) {
      return (this.legacyDone = this.legacyDecision('INCONCLUSIVE'));
    }
    return this.legacyDecision('CONTINUE');
  }

  private legacyDecision(verdict: Verdict): LegacyDecision {
    return {
      verdict,
      eFail: Math.exp(Math.min(700, this.fail.logE)),
      ePass: Math.exp(Math.min(700, this.pass.logE)),
      elapsedSeconds: this.progress.elapsedSeconds,
      canaryRequests: this.progress.canaryRequests,
    };
  }
}
