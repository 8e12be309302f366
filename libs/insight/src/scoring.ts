import type {
  RegionShift,
  ShiftTest,
  VerdictWithReason,
  WindowCounts,
} from '../../domain/src/insight/change-assessment';
import { MixtureEProcess, ratioGrid } from '../../judge/src/sequential-count-test';

export type {
  RegionShift,
  ShiftTest,
  Verdict,
  VerdictWithReason,
  WindowCounts,
} from '../../domain/src/insight/change-assessment';

/**
 * Incident insight, the pure part: did a region get worse after a change, is that the
 * change or something every region felt, and how suspect is each change. The I/O (reading
 * Prometheus and the history) lives in IncidentAnalyzer; docs/INCIDENT-INSIGHT.md explains
 * every number.
 */

export interface ShiftOptions {
  /** The count test's false-alarm bound: a shift is real when its e-value reaches 1/alpha. */
  alpha: number;
  /** How much worse "after" must be than "before" to count: the null is ratio ≤ tolerance. */
  tolerance: number;
  /** Fewer requests than this after the change: no verdict either way. */
  minRequests: number;
}

export const DEFAULT_SHIFT: ShiftOptions = { alpha: 0.01, tolerance: 1.5, minRequests: 100 };

const rate = (w: WindowCounts): number | null => (w.requests > 0 ? w.events / w.requests : null);

/**
 * The sequential count test of [S6] (libs/judge) with one interval: the window after the
 * change plays the canary, the window before it the baseline. Its e-value is evidence
 * against "after is at most `tolerance` times as bad as before".
 */
export function shiftTest(before: WindowCounts, after: WindowCounts, options: ShiftOptions = DEFAULT_SHIFT): ShiftTest {
  const beforeRate = rate(before);
  const afterRate = rate(after);
  const ratio = beforeRate !== null && afterRate !== null && beforeRate > 0 ? afterRate / beforeRate : null;
  const enoughData = after.requests >= options.minRequests && before.requests >= options.minRequests;
  let eValue = 1;
  if (enoughData) {
    const test = new MixtureEProcess({ boundary: options.tolerance, grid: ratioGrid(options.tolerance, 100) });
    test.update({
      canaryRequests: after.requests,
      canaryEvents: after.events,
      baselineRequests: before.requests,
      baselineEvents: before.events,
    });
    eValue = Math.exp(Math.min(700, test.logE));
  }
  return {
    before,
    after,
    beforeRate,
    afterRate,
    ratio,
    eValue,
    degraded: enoughData && eValue >= 1 / options.alpha,
    enoughData,
  };
}

export const isDegraded = (r: RegionShift): boolean => r.errors.degraded || r.latency.degraded;

/** The smallest rise a fault makes that riseRuledOut tests against: about the alerting rules' own factor. */
export const FAULT_RATIO = 3;

/**
 * Evidence that a window did NOT rise like a fault: an e-value against "after is at least
 * `factor` times as bad as before", the count test of shiftTest turned round. High only where
 * the traffic could have shown such a rise; 1 without enough data.
 */
export function riseRuledOut(test: ShiftTest, factor = FAULT_RATIO): number {
  if (!test.enoughData) return 1;
  const process = new MixtureEProcess({ boundary: factor, grid: ratioGrid(factor, factor / 100) });
  process.update({
    canaryRequests: test.after.requests,
    canaryEvents: test.after.events,
    baselineRequests: test.before.requests,
    baselineEvents: test.before.events,
  });
  return Math.exp(Math.min(700, process.logE));
}

/** From half the unchanged regions degraded, the cause is taken to be outside the change. */
export const EXTERNAL_SHARE = 0.5;

const names = (regions: readonly RegionShift[]) => regions.map((r) => r.region).join(', ');

/**
 * Our change or something outside? Compares the regions that received the change with those
 * that did not, over the same windows:
 * - at least half the unchanged regions degraded too: LIKELY_EXTERNAL (a shared dependency);
 * - a changed region degraded and no unchanged one did: LIKELY_CHANGE;
 * - anything else (no control regions, no measurable shift, a mixed picture): UNCLEAR.
 */
export function changeVerdict(regions: readonly RegionShift[]): VerdictWithReason {
  const changed = regions.filter((r) => r.changed);
  const unchanged = regions.filter((r) => !r.changed);
  const changedDegraded = changed.filter(isDegraded);
  const unchangedDegraded = unchanged.filter(isDegraded);
  if (unchanged.length > 0 && unchangedDegraded.length / unchanged.length >= EXTERNAL_SHARE) {
    return {
      verdict: 'LIKELY_EXTERNAL',
      summary: `${unchangedDegraded.length} of ${unchanged.length} regions without the change degraded too (${names(unchangedDegraded)})`,
    };
  }
  if (unchanged.length === 0) {
    return {
      verdict: 'UNCLEAR',
      summary: `every region (${names(changed)}) received the change, so none is left to compare with`,
    };
  }
  if (changedDegraded.length === 0) {
    return {
      verdict: 'UNCLEAR',
      summary: `no region that received the change degraded measurably (${names(changed)})`,
    };
  }
  if (unchangedDegraded.length === 0) {
    return {
      verdict: 'LIKELY_CHANGE',
      summary: `only regions that received the change degraded (${names(changedDegraded)}); none of the ${unchanged.length} without it did`,
    };
  }
  return {
    verdict: 'UNCLEAR',
    summary: `changed regions degraded (${names(changedDegraded)}), but so did ${unchangedDegraded.length} of ${unchanged.length} without the change (${names(unchangedDegraded)})`,
  };
}

/** Other services in the alert's region it takes before their picture counts. */
export const MIN_PEERS = 2;
/**
 * Evidence that counts a peer as degraded: weaker than a change's bar (1/alpha), because a
 * peer only has to share a rise, and missing a shared dependency blames an innocent change.
 */
export const PEER_EVIDENCE = 10;

/** A service in the alert's region that rose with evidence PEER_EVIDENCE or more. */
export const peerDegraded = (r: RegionShift): boolean =>
  (r.errors.enoughData && r.errors.eValue >= PEER_EVIDENCE) ||
  (r.latency.enoughData && r.latency.eValue >= PEER_EVIDENCE);
/** Changed regions may rise by chance in a few control regions too: up to this share is noise. */
export const CONTROL_NOISE_SHARE = 0.25;

/**
 * Blame's verdict on one rollout for one alert, from three comparisons:
 * - the alert's region in other services, which did not change (`peers`): when at least half
 *   of them degraded at the same time, a shared dependency is the likelier cause;
 * - the service's regions the rollout had not reached (controls), over the same windows;
 * - each changed region around its own push: a rise that follows the push region by region
 *   points at the change even when every region has it.
 */
export function blameVerdict(regions: readonly RegionShift[], peers: readonly RegionShift[] | null): VerdictWithReason {
  const peersDegraded = (peers ?? []).filter(peerDegraded);
  // services rarely fail together by chance: two of them rising with the alert is a shared cause
  if (
    peers &&
    peers.length >= MIN_PEERS &&
    (peersDegraded.length >= MIN_PEERS || peersDegraded.length / peers.length >= EXTERNAL_SHARE)
  ) {
    return {
      verdict: 'LIKELY_EXTERNAL',
      summary: `${peersDegraded.length} of ${peers.length} other services in the region degraded at the same time (${names(peersDegraded)})`,
    };
  }
  const changed = regions.filter((r) => r.changed);
  // a control without enough traffic to judge is no comparison at all
  const unchanged = regions.filter((r) => !r.changed && (r.errors.enoughData || r.latency.enoughData));
  const changedDegraded = changed.filter(isDegraded);
  const unchangedDegraded = unchanged.filter(isDegraded);
  const peerNote =
    peers && peers.length > 0
      ? `; ${peersDegraded.length} of ${peers.length} other services in the region degraded`
      : '';
  if (unchanged.length > 0 && unchangedDegraded.length / unchanged.length >= EXTERNAL_SHARE) {
    return {
      verdict: 'LIKELY_EXTERNAL',
      summary: `${unchangedDegraded.length} of ${unchanged.length} regions without the change degraded too (${names(unchangedDegraded)})`,
    };
  }
  if (changedDegraded.length === 0) {
    return {
      verdict: 'UNCLEAR',
      summary: `no region that received the change degraded after it (${names(changed)})${peerNote}`,
    };
  }
  const peersClean = peers !== null && peers.length >= MIN_PEERS && peersDegraded.length === 0;
  if (unchanged.length === 0 && !peersClean) {
    return {
      verdict: 'UNCLEAR',
      summary: `every region (${names(changed)}) received the change and no other service in the region could be compared`,
    };
  }
  if (peersDegraded.length > 0) {
    return {
      verdict: 'UNCLEAR',
      summary: `regions degraded after their own push (${names(changedDegraded)}), but so did another service in the region (${names(peersDegraded)})`,
    };
  }
  if (unchangedDegraded.length / Math.max(1, unchanged.length) <= CONTROL_NOISE_SHARE) {
    return {
      verdict: 'LIKELY_CHANGE',
      summary:
        `regions degraded after their own push (${names(changedDegraded)}); ` +
        `${unchangedDegraded.length} of ${unchanged.length} without the change did${peerNote}`,
    };
  }
  return {
    verdict: 'UNCLEAR',
    summary: `changed regions degraded (${names(changedDegraded)}), but so did ${unchangedDegraded.length} of ${unchanged.length} without the change (${names(unchangedDegraded)})`,
  };
}

export interface ScoreWeights {
  /** The shift in the alerting region that the control regions do not share. */
  shift: number;
  /** How close before the alert the change landed. */
  proximity: number;
  /** Whether the change is to the alert's own service. */
  scope: number;
}

export const DEFAULT_WEIGHTS: ScoreWeights = { shift: 0.6, proximity: 0.25, scope: 0.15 };

export interface ScoreOptions {
  weights: ScoreWeights;
  /** Proximity halves every this many minutes between the change and the alert. */
  halfLifeMinutes: number;
  alpha: number;
}

export const DEFAULT_SCORE: ScoreOptions = {
  weights: DEFAULT_WEIGHTS,
  halfLifeMinutes: 10,
  alpha: DEFAULT_SHIFT.alpha,
};

/** A suspect at or above this score, with a LIKELY_CHANGE verdict, is named a likely cause. */
export const BLAME_THRESHOLD = 0.5;

export interface SuspectScoreInput {
  /** The alerting region, for the service the change went to. */
  focus: RegionShift;
  /** That service's regions without the change, same windows. */
  control: readonly RegionShift[];
  minutesBeforeAlert: number;
  /** The change's service is the alert's (or the alert names none). */
  sameService: boolean;
}

export interface SuspectScore {
  score: number;
  /** 0..1: how strongly the focus region's errors or latency rose (log e-value over log 1/alpha). */
  shiftStrength: number;
  /** Share of control regions that degraded as well. */
  controlDegradedShare: number;
  proximity: number;
  scope: number;
}

/** How much of "the shift reached the 1/alpha bar" one test shows, 0..1. */
export function strength(test: ShiftTest, alpha: number): number {
  if (!test.enoughData || test.eValue <= 1) return 0;
  return Math.min(1, Math.log(test.eValue) / Math.log(1 / alpha));
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Score = w.shift·shift·(1 − controlShare) + w.proximity·proximity + w.scope·scope, each
 * term in 0..1. A change is blamed for what the regions it reached suffered and the others
 * did not; being close in time or in the same service only breaks ties.
 */
export function scoreSuspect(input: SuspectScoreInput, options: ScoreOptions = DEFAULT_SCORE): SuspectScore {
  const shiftStrength = Math.max(
    strength(input.focus.errors, options.alpha),
    strength(input.focus.latency, options.alpha),
  );
  const controlDegradedShare =
    input.control.length === 0 ? 0 : input.control.filter(isDegraded).length / input.control.length;
  const proximity = 0.5 ** (Math.max(0, input.minutesBeforeAlert) / options.halfLifeMinutes);
  const scope = input.sameService ? 1 : 0.5;
  const w = options.weights;
  const score = w.shift * shiftStrength * (1 - controlDegradedShare) + w.proximity * proximity + w.scope * scope;
  return {
    score: round3(score),
    shiftStrength: round3(shiftStrength),
    controlDegradedShare: round3(controlDegradedShare),
    proximity: round3(proximity),
    scope,
  };
}
