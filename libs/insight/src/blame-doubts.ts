/**
 * The doubts that take a LIKELY_CHANGE back to UNCLEAR, and the bar of the alert's own
 * region: each reads a little more of the alert's neighbourhood and says why, or null.
 * BlameEngine (blame.ts) applies them; docs/INCIDENT-INSIGHT.md explains each.
 */
import type { BlameQuery, ChangeRow } from './blame';
import { PIVOT_GROUP_MS, type IncidentAnalyzer, type ReadCache } from './incident-analyzer';
import { isDegraded, riseRuledOut, strength, type RegionShift } from './scoring';
import { PEER_EVIDENCE, peerDegraded } from './verdicts';

/** A rise that begins this long after a push is not blamed on it (see lateOnset). */
export const ONSET_LIMIT_MINUTES = 10;
/**
 * How long before an alert the rise that fired it is taken to begin: an alerting rule reads a
 * range of a few minutes. With a longer rule range some of the rise falls inside the stretch
 * lateOnset reads, which makes it answer null (no doubt) rather than doubt wrongly.
 */
export const RISE_MINUTES = 2;
/**
 * Regions that got the change as early as the alert's and ruled a fault-sized rise out
 * (riseRuledOut at PEER_EVIDENCE) it takes to call the alert's rise its region's own.
 */
export const ISOLATED_MIN_REGIONS = 2;
/**
 * The evidence a rise in the alert's own region needs: the alert has already said that
 * series rose, so the test only has to place the rise after the push. A peer's bar, doubled.
 */
export const FOCUS_EVIDENCE = 20;
/**
 * Other regions the change reached that must have risen before the alert's region is scored
 * on their rise (scoredFocus): one region can rise by chance, two rarely together.
 */
export const BORROW_MIN_REGIONS = 2;

/**
 * A fault shows within minutes of its push. The rise that fired the alert is taken to begin
 * RISE_MINUTES before it; when that is ONSET_LIMIT_MINUTES or more after the push, and the
 * region was clean from the push up to the rise (against the span before the push), the
 * rise began long after the push: something else is the likelier cause. Says so, or null.
 * The whole stretch from the push is read: any rise in it (an earlier, ended incident too)
 * answers null, the side on which no blame is withheld.
 */
export async function lateOnset(
  analyzer: IncidentAnalyzer,
  change: ChangeRow,
  query: BlameQuery,
  cache: ReadCache,
): Promise<string | null> {
  const rise = query.at.getTime() - RISE_MINUTES * 60_000;
  const gapMinutes = (rise - change.changedAt.getTime()) / 60_000;
  if (gapMinutes < ONSET_LIMIT_MINUTES) return null;
  const stretch = await analyzer.shiftBetween(
    change.service,
    change.region,
    change.changedAt,
    { from: change.changedAt, to: new Date(rise) },
    cache,
  );
  if (!stretch || !(stretch.errors.enoughData || stretch.latency.enoughData) || isDegraded(stretch)) return null;
  return `${change.region} was clean ${Math.round(gapMinutes)} minutes after the push, until just before the alert: the rise began later`;
}

/**
 * A push its own rollout rolled back in the alert's region before the span read before the
 * alert (the after window, `spanSeconds`) no longer ran there at any time that span shows:
 * whatever it did before the rollback, the rise the alert fired on is not its doing. Says
 * so, or null. A rollback inside the span is no such proof: the fault it ended may have
 * raised the alert.
 */
export function rolledBackBefore(
  change: ChangeRow,
  query: BlameQuery,
  rollbacks: readonly ChangeRow[],
  spanSeconds: number,
): string | null {
  const spanFrom = query.at.getTime() - spanSeconds * 1000;
  const back = rollbacks.find(
    (r) => r.region === change.region && r.changedAt > change.changedAt && r.changedAt.getTime() <= spanFrom,
  );
  if (!back) return null;
  const minutes = Math.round((query.at.getTime() - back.changedAt.getTime()) / 60_000);
  return `${change.region} was rolled back ${minutes} minutes before the alert: the change no longer ran there`;
}

/**
 * A change to another service than the alert's can cause the alert only through the
 * alert's own series: when that series (the alert's service in its region) rose after the
 * push on neither errors nor latency, something else raised it, typically an outage already
 * under way when the push landed. Says so, or null: same service, no region, or too little
 * data to tell. Either metric counts, whichever the change degraded: a callee's latency
 * shows as its callers' errors (timeouts).
 */
export async function alertDidNotRise(
  analyzer: IncidentAnalyzer,
  change: ChangeRow,
  query: BlameQuery,
  cache: ReadCache,
): Promise<string | null> {
  if (!query.service || !query.region || query.service === change.service) return null;
  const afterFrom = Math.max(change.changedAt.getTime(), query.at.getTime() - analyzer.options.spanSeconds * 1000);
  const alertSeries = await analyzer.shiftBetween(
    query.service,
    query.region,
    change.changedAt,
    { from: new Date(afterFrom), to: query.at },
    cache,
  );
  if (!alertSeries || !alertSeries.errors.enoughData || !alertSeries.latency.enoughData) return null;
  if (peerDegraded(alertSeries)) return null;
  return `${query.service} in ${query.region}, the alert's own series, had not risen since the push`;
}

/**
 * A change can only raise the alert's series after it lands. When that series (the alert's
 * service in its region) had already risen in the RISE_MINUTES before the push, against the
 * span before them, its rise began before the change: an outage under way, not the change.
 * This is asked of a change to another service in the alert's region whenever it landed, and
 * of a push to the alert's own series only when it landed after the rise is taken to have
 * begun (RISE_MINUTES before the alert): earlier, the span before the push is its own
 * baseline, and a chance rise there would doubt faults that fired minutes later. Says so,
 * or null: another region, no service, or too little data to tell.
 */
export async function alertRoseBeforePush(
  analyzer: IncidentAnalyzer,
  change: ChangeRow,
  query: BlameQuery,
  cache: ReadCache,
): Promise<string | null> {
  if (!query.service || !query.region || query.region !== change.region) return null;
  const late = query.at.getTime() - change.changedAt.getTime() < RISE_MINUTES * 60_000;
  if (query.service === change.service && !late) return null;
  const riseFrom = new Date(change.changedAt.getTime() - RISE_MINUTES * 60_000);
  const before = await analyzer.shiftBetween(
    query.service,
    query.region,
    riseFrom,
    { from: riseFrom, to: change.changedAt },
    cache,
  );
  if (!before || !peerDegraded(before)) return null;
  return `${query.service} in ${query.region}, the alert's own series, had risen before the push`;
}

/**
 * A fault shows in every region it reaches; the rise that fired the alert is taken to
 * begin RISE_MINUTES before it. Regions that got the change as early as the alert's, read
 * over that stretch (a fault there would be as old by then), and able to show such a rise,
 * but that ruled it out: when there are enough of them and none rose, the rise is the
 * alert's region's own. Says so, or null.
 */
export async function isolatedRise(
  analyzer: IncidentAnalyzer,
  change: ChangeRow,
  query: BlameQuery,
  pushes: ReadonlyMap<string, Date>,
  regions: readonly RegionShift[],
  rolledBack: ReadonlySet<string>,
  cache: ReadCache,
): Promise<string | null> {
  const focus = regions.find((r) => r.region === change.region);
  const metrics = (['errors', 'latency'] as const).filter((m) => focus?.[m].degraded);
  if (metrics.length === 0) return null;
  // a region pushed in the same wave (within a minute) has had the change about as long
  const latest = change.changedAt.getTime() + PIVOT_GROUP_MS;
  const others = regions.filter((r) => {
    const at = pushes.get(r.region);
    return (
      r.changed && r.region !== change.region && !rolledBack.has(r.region) && at !== undefined && at.getTime() <= latest
    );
  });
  if (others.length < ISOLATED_MIN_REGIONS || others.some(isDegraded)) return null;
  const riseFrom = Math.max(query.at.getTime() - RISE_MINUTES * 60_000, change.changedAt.getTime());
  let clean = 0;
  for (const other of others) {
    const pushedAt = pushes.get(other.region)!;
    const rise = { from: new Date(Math.max(riseFrom, pushedAt.getTime())), to: query.at };
    if (rise.to.getTime() - rise.from.getTime() < 30_000) continue;
    const shift = await analyzer.shiftBetween(change.service, other.region, pushedAt, rise, cache);
    if (shift && metrics.every((m) => riseRuledOut(shift[m]) >= PEER_EVIDENCE)) clean += 1;
  }
  if (clean < ISOLATED_MIN_REGIONS) return null;
  return `the rise is in ${change.region} alone: ${clean} regions that got the change as early show no such rise`;
}

/** The baseline the alert's own region is also read against: three spans, for a quiet series. */
export const LONG_BASELINE_SECONDS = 900;

/** The alert's own region over its after window, against LONG_BASELINE_SECONDS before the push. */
export function longBaseline(
  analyzer: IncidentAnalyzer,
  change: ChangeRow,
  query: BlameQuery,
  cache: ReadCache,
): Promise<RegionShift | null> {
  const from = Math.max(change.changedAt.getTime(), query.at.getTime() - analyzer.options.spanSeconds * 1000);
  const window = { from: new Date(from), to: query.at };
  return analyzer.shiftBetween(change.service, change.region, change.changedAt, window, cache, LONG_BASELINE_SECONDS);
}

/**
 * The alert's own region, judged at FOCUS_EVIDENCE: a test that reached it there counts as a
 * rise (a short after window or little traffic keeps it under the 1/alpha bar). `long`, the
 * same after window against LONG_BASELINE_SECONDS before the push, stands in for a test it
 * outdoes: on a quiet series the span before the push holds a handful of events, too few to
 * place a rise after it.
 */
export function alertRegionShift(shift: RegionShift, long: RegionShift | null = null): RegionShift {
  const lift = (test: RegionShift['errors'], other: RegionShift['errors'] | undefined) => {
    const best = other && other.enoughData && other.eValue > test.eValue ? other : test;
    return best.enoughData && best.eValue >= FOCUS_EVIDENCE ? { ...best, degraded: true } : test;
  };
  return { ...shift, errors: lift(shift.errors, long?.errors), latency: lift(shift.latency, long?.latency) };
}

/**
 * The shift the alert's own region is scored on (scoreSuspect's focus), for a change to the
 * alert's service whose verdict is LIKELY_CHANGE. The alert already says that region rose;
 * the score asks how strongly the change raises a region. A fault that began minutes after
 * its push is diluted in the span read there and scores weakly although the alert fired on
 * it. When at least BORROW_MIN_REGIONS other regions the change reached rose, the strongest
 * of them and the focus stands for that strength; otherwise the focus alone.
 */
export function scoredFocus(focus: RegionShift, regions: readonly RegionShift[], alpha: number): RegionShift {
  const risen = regions.filter((r) => r.changed && r.region !== focus.region && isDegraded(r));
  if (risen.length < BORROW_MIN_REGIONS) return focus;
  const of = (r: RegionShift) => Math.max(strength(r.errors, alpha), strength(r.latency, alpha));
  return risen.reduce((best, r) => (of(r) > of(best) ? r : best), focus);
}
