/**
 * Rises in the comparison regions that something else explains, so they say nothing about
 * the change: BlameEngine (blame.ts) sets them aside before its verdict.
 * docs/INCIDENT-INSIGHT.md explains each.
 */
import type { BlameQuery, ChangeRow, ServicesIn } from './blame';
import type { IncidentAnalyzer, ReadCache } from './incident-analyzer';
import { isDegraded, type RegionShift } from './scoring';
import { MIN_PEERS, peerDegraded } from './verdicts';

/** Degraded control regions read for an outage of their own, at most: a bound on the queries. */
export const MAX_OUTAGE_CHECKS = 8;
/** Other services read in each such region (as many as the alert's region has peers). */
const OUTAGE_PEERS = 8;

/**
 * Control regions (the change's service where the rollout had not reached) that rose with an
 * outage of their own: at least MIN_PEERS other services there rose over the same windows.
 * A local outage there is no sign that the alert's rise is shared, so such a control does not
 * count against the change. The regions, or none.
 */
export async function localOutages(
  analyzer: IncidentAnalyzer,
  servicesIn: ServicesIn,
  change: ChangeRow,
  query: BlameQuery,
  regions: readonly RegionShift[],
  cache: ReadCache,
): Promise<string[]> {
  const risen = regions.filter((r) => !r.changed && isDegraded(r)).slice(0, MAX_OUTAGE_CHECKS);
  const outages: string[] = [];
  for (const control of risen) {
    const services = (await servicesIn(control.region))
      .filter((s) => s !== change.service)
      .sort()
      .slice(0, OUTAGE_PEERS);
    // the controls' windows: before the change's push, and the span before the alert
    const others = await analyzer.regionPeers(services, control.region, change.changedAt, query.at, cache);
    if (others && others.filter(peerDegraded).length >= MIN_PEERS) outages.push(control.region);
  }
  return outages;
}
