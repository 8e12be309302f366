/**
 * Rises in the comparison regions that something else explains, so they say nothing about
 * the change: BlameEngine (blame.ts) sets them aside before its verdict.
 * docs/INCIDENT-INSIGHT.md explains each.
 */
import type { BlameQuery, ChangeRow, ServicesIn } from './blame';
import type { IncidentAnalyzer, ReadCache } from './incident-analyzer';
import type { RegionShift } from './scoring';
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
