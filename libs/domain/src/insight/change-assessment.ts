/**
 * The evidence behind "our change or something outside?": what incident insight computes
 * (libs/insight) and what a rollout's HaltAssessed event records.
 */

/** Requests served and bad ones (errors, or slow requests) in one window. */
export interface WindowCounts {
  requests: number;
  events: number;
}

/** The count test of one metric, after the change against before it. */
export interface ShiftTest {
  before: WindowCounts;
  after: WindowCounts;
  /** Event share before and after; null without requests. */
  beforeRate: number | null;
  afterRate: number | null;
  /** afterRate / beforeRate; null when either is unknown or before had no events. */
  ratio: number | null;
  /** Evidence that after's event rate exceeds tolerance × before's (an e-value; 1 = none). */
  eValue: number;
  /** eValue ≥ 1/alpha. */
  degraded: boolean;
  /** False when too few requests were seen to say anything. */
  enoughData: boolean;
}

/** One region's errors and latency around one moment. */
export interface RegionShift {
  region: string;
  /** Whether the change being judged reached this region. */
  changed: boolean;
  errors: ShiftTest;
  latency: ShiftTest;
}

export const VERDICTS = ['LIKELY_CHANGE', 'LIKELY_EXTERNAL', 'UNCLEAR'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface VerdictWithReason {
  verdict: Verdict;
  /** One sentence a person can check against the regions' numbers. */
  summary: string;
}

/** What a change did to its service's regions, judged from metrics: the evidence behind a verdict. */
export interface ChangeAssessment extends VerdictWithReason {
  service: string;
  /** When the change landed; the before window ends and the after window starts here. */
  pivot: string;
  beforeFrom: string;
  afterTo: string;
  regions: RegionShift[];
  /** The metrics could not be read; the verdict is then UNCLEAR. */
  error?: string;
}
