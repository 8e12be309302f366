import { MixtureEProcess, ratioGrid, type IntervalCounts } from './sequential-count-test';

export type Verdict = 'CONTINUE' | 'FAIL' | 'PASS' | 'INCONCLUSIVE';

export interface JudgeOptions {
  /** False-alarm bound: FAIL when the regression e-value reaches 1/alpha. */
  alpha: number;
  /** Bound on wrongly passing: PASS when the mirror e-value reaches 1/beta. */
  beta: number;
  /** Ratio of canary to baseline event rate that is still fine (the FAIL test's null). */
  tolerance: number;
  /** Ratio above which the canary is bad (the PASS test's null: canary ≥ maxTolerated). */
  maxTolerated: number;
  /** Canary requests needed before any verdict. */
  minRequests: number;
  /** Seconds per interval (reporting only; counts are per interval). */
  intervalSeconds: number;
  /** After this many seconds without a verdict: INCONCLUSIVE. */
  maxDurationSeconds: number;
  /** Largest ratio the FAIL mixture considers. */
  maxRatio: number;
}

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

export interface Decision {
  verdict: Verdict;
  /** e-value of "the canary is worse than tolerated" (FAIL at 1/alpha). */
  eFail: number;
  /** e-value of "the canary is no worse than maxTolerated" (PASS at 1/beta). */
  ePass: number;
  elapsedSeconds: number;
  canaryRequests: number;
}

/** A judge's whole state as plain, JSON-safe data: what a workflow carries across continue-as-new. */
export interface JudgeSnapshot {
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

/**
 * The sequential canary judge for one count metric. Two e-processes run side by side: one
 * against "ρ ≤ tolerance" (FAIL), its mirror against "ρ ≥ maxTolerated" (PASS).
 */
export class SequentialJudge {
  private readonly fail: MixtureEProcess;
  private readonly pass: MixtureEProcess;
  private elapsed = 0;
  private canaryRequests = 0;
  private done: Decision | null = null;

  constructor(
    readonly options: JudgeOptions = DEFAULT_JUDGE,
    from?: Omit<JudgeSnapshot, 'options'>,
  ) {
    if (!(options.tolerance < options.maxTolerated)) throw new Error('tolerance must be below maxTolerated');
    this.fail = new MixtureEProcess(
      { boundary: options.tolerance, grid: ratioGrid(options.tolerance, options.maxRatio) },
      from?.failLogLikelihoodRatios,
    );
    this.pass = new MixtureEProcess(
      { boundary: options.maxTolerated, grid: ratioGrid(options.maxTolerated, options.maxTolerated / 10) },
      from?.passLogLikelihoodRatios,
    );
    if (from) {
      this.elapsed = from.elapsedSeconds;
      this.canaryRequests = from.canaryRequests;
      this.done = from.decision && { ...from.decision };
    }
  }

  /** Continues a judge from its snapshot: it decides exactly as the judge it was taken from would have. */
  static fromSnapshot(snapshot: JudgeSnapshot): SequentialJudge {
    return new SequentialJudge({ ...snapshot.options }, snapshot);
  }

  snapshot(): JudgeSnapshot {
    return {
      options: { ...this.options },
      failLogLikelihoodRatios: this.fail.snapshot(),
      passLogLikelihoodRatios: this.pass.snapshot(),
      elapsedSeconds: this.elapsed,
      canaryRequests: this.canaryRequests,
      decision: this.done && { ...this.done },
    };
  }

  observe(counts: IntervalCounts): Decision {
    if (this.done) return this.done;
    this.fail.update(counts);
    this.pass.update(counts);
    this.elapsed += this.options.intervalSeconds;
    this.canaryRequests += counts.canaryRequests;
    const eFail = Math.exp(Math.min(700, this.fail.logE));
    const ePass = Math.exp(Math.min(700, this.pass.logE));
    const decision = (verdict: Verdict): Decision => ({
      verdict,
      eFail,
      ePass,
      elapsedSeconds: this.elapsed,
      canaryRequests: this.canaryRequests,
    });
    if (this.canaryRequests >= this.options.minRequests) {
      if (this.fail.logE >= Math.log(1 / this.options.alpha)) return (this.done = decision('FAIL'));
      if (this.pass.logE >= Math.log(1 / this.options.beta)) return (this.done = decision('PASS'));
    }
    if (this.elapsed >= this.options.maxDurationSeconds) return (this.done = decision('INCONCLUSIVE'));
    return decision('CONTINUE');
  }
}
