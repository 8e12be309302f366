/**
 * Rises that something else explains (a peer's own faulty change, a region's own outage), so
 * they say nothing about the change: BlameEngine (blame.ts) sets them aside before its
 * verdict and its score. docs/INCIDENT-INSIGHT.md explains each.
 */
import type { ChangeAssessment } from '../../domain/src';
import type { BlameQuery, ChangeRow, ServicesIn } from './blame';
import { scoredFocus } from './blame-doubts';
import type { IncidentAnalyzer, ReadCache } from './incident-analyzer';
import { isDegraded, type RegionShift } from './scoring';
import { MIN_PEERS, peerDegraded } from './verdicts';

/** Risen regions read for an outage of their own, at most: a bound on the queries. */
export const MAX_OUTAGE_CHECKS = 8;
/** Other services read in each such region (as many as the alert's region has peers). */
const OUTAGE_PEERS = 8;

/**
 * Regions of the change's service that rose with an outage of their own: at least MIN_PEERS
 * other services there rose from the change's push to the alert. Such a rise says nothing
 * about the change: a control's does not count against it (the verdict), and a changed
 * region's does not stand for its strength (scoredFocus). Of `risen`, the regions, or none.
 */
export async function localOutages(
  analyzer: IncidentAnalyzer,
  servicesIn: ServicesIn,
  change: ChangeRow,
  query: BlameQuery,
  risen: readonly RegionShift[],
  cache: ReadCache,
): Promise<string[]> {
  const outages: string[] = [];
  for (const region of risen.slice(0, MAX_OUTAGE_CHECKS)) {
    const services = (await servicesIn(region.region))
      .filter((s) => s !== change.service)
      .sort()
      .slice(0, OUTAGE_PEERS);
    // the controls' windows: before the change's push, and the span before the alert
    const others = await analyzer.regionPeers(services, region.region, change.changedAt, query.at, cache);
    if (others && others.filter(peerDegraded).length >= MIN_PEERS) outages.push(region.region);
  }
  return outages;
}

/**
 * scoredFocus (the alert's own region in the score), borrowing from no changed region whose
 * rise an outage of its own explains. Reads only when scoredFocus would borrow.
 */
export async function focusBesideOutages(
  analyzer: IncidentAnalyzer,
  servicesIn: ServicesIn,
  change: ChangeRow,
  query: BlameQuery,
  focus: RegionShift,
  regions: readonly RegionShift[],
  cache: ReadCache,
): Promise<RegionShift> {
  const alpha = analyzer.options.score.alpha;
  if (scoredFocus(focus, regions, alpha) === focus) return focus;
  const risen = regions.filter((r) => r.changed && r.region !== focus.region && isDegraded(r));
  const outages = await localOutages(analyzer, servicesIn, change, query, risen, cache);
  return scoredFocus(
    focus,
    regions.filter((r) => !outages.includes(r.region)),
    alpha,
  );
}

/**
 * The change that explains a peer's rise (a peer is `service/region` in the alert's region):
 * its service's latest push there within the question's window, when `judgeAlone` (the change
 * on its own service's regions, without peers) finds it LIKELY_CHANGE. Its rollout id, or
 * null. Judged once per question.
 */
export async function ownFaultyChange<C extends ChangeRow>(
  peer: RegionShift,
  query: BlameQuery,
  regionChanges: readonly C[],
  judgeAlone: (change: C, query: BlameQuery) => Promise<ChangeAssessment>,
  cache: ReadCache,
): Promise<string | null> {
  const service = peer.region.slice(0, -`/${query.region}`.length);
  const own = regionChanges.filter((c) => c.service === service && c.kind === 'PUSH' && c.changed).at(-1);
  if (!own) return null;
  const key = `own-change ${own.rolloutId} ${own.changedAt.getTime()} ${query.at.getTime()}`;
  if (!cache.has(key)) {
    const alone = { at: query.at, windowMinutes: query.windowMinutes, service };
    cache.set(
      key,
      judgeAlone(own, alone).then((a) => a.verdict === 'LIKELY_CHANGE'),
    );
  }
  return (await cache.get(key)) ? own.rolloutId : null;
}
