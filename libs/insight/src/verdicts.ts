/**
 * The verdicts of incident insight, pure: from the regions a change reached, the regions it
 * did not, and other services in the alert's region, is a rise the change's, something
 * outside, or unclear? The tests they read are scoring.ts's; docs/INCIDENT-INSIGHT.md
 * explains each rule.
 */
import { isDegraded, type RegionShift, type VerdictWithReason } from './scoring';
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
/**
 * Changed regions that rose after their own push that outweigh one peer rising: a shared
 * cause would show in more services than one (two peers make it LIKELY_EXTERNAL), and a
 * peer rises by chance now and then (its bar, PEER_EVIDENCE, is low on purpose). A lone peer
 * under a change's own bar (1/alpha, isDegraded) never outweighs a change to the alert's
 * service: alone, it is no surer a rise than the change's region.
 */
export const LONE_PEER_OUTWEIGHED_BY = 4;

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
export function blameVerdict(
  regions: readonly RegionShift[],
  peers: readonly RegionShift[] | null,
  /** The change is to the alert's service (or the alert names none); only such a change outweighs a lone peer. */
  sameService = true,
): VerdictWithReason {
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
  // one peer rising beside a change that raised this many regions, or rising less surely than a
  // change's own region must (under the 1/alpha bar), is a coincidence, not a shared cause
  const loneOutweighed =
    sameService &&
    peersDegraded.length === 1 &&
    (changedDegraded.length >= LONE_PEER_OUTWEIGHED_BY || !isDegraded(peersDegraded[0]));
  if (peersDegraded.length > 0 && !loneOutweighed) {
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
