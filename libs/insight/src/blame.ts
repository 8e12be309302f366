import type { ChangeAssessment } from '../../domain/src';
import {
  alertDidNotRise,
  alertRegionShift,
  alertRoseBeforePush,
  isolatedRise,
  lateOnset,
  longBaseline,
  rolledBackBefore,
} from './blame-doubts';
import type { IncidentAnalyzer, ReadCache } from './incident-analyzer';
import { BLAME_THRESHOLD, isDegraded, scoreSuspect, shiftTest, type RegionShift, type SuspectScore } from './scoring';
import { blameVerdict, peerDegraded } from './verdicts';
import { focusBesideOutages, localOutages, ownFaultyChange } from './explained-rises';

/** A change as blame needs it: a row of the region_changes read model. */
export interface ChangeRow {
  service: string;
  region: string;
  rolloutId: string;
  kind: 'PUSH' | 'ROLLBACK';
  /** False for a re-push of what the region already ran. */
  changed: boolean;
  changedAt: Date;
}

/** The change log blame reads: ReadModels.changes, or an in-memory log in the benchmark. */
export interface ChangeLog<C extends ChangeRow> {
  changes(query: {
    region?: string;
    service?: string;
    rolloutId?: string;
    from?: Date;
    to?: Date;
    limit?: number;
  }): Promise<C[]>;
}

/** Regions of a service, from its topology; undefined for an unknown service. */
export type RegionsOf = (service: string) => Promise<readonly string[] | undefined>;

/** Services whose topology has the region. */
export type ServicesIn = (region: string) => Promise<readonly string[]>;

export interface BlameQuery {
  region?: string;
  service?: string;
  at: Date;
  windowMinutes: number;
}

export interface RankedSuspect<C extends ChangeRow> {
  change: C;
  assessment: ChangeAssessment;
  /** The change's region, judged around the change; undefined without metrics for it. */
  focus: RegionShift | undefined;
  /** The service's regions the rollout had not reached. */
  control: RegionShift[];
  /** The alert's region in other services that did not change, over the same windows. */
  peers: RegionShift[];
  minutesBeforeAlert: number;
  score: SuspectScore;
  /** LIKELY_CHANGE and a score at or above BLAME_THRESHOLD: what a halt-blamed policy halts. */
  likelyCause: boolean;
}

interface Assessed {
  assessment: ChangeAssessment;
  peers: RegionShift[] | null;
}

/** Candidates scored per question: the changes closest before the alert. */
export const MAX_SUSPECTS = 25;
/** Other services read in the alert's region: enough to see a shared dependency, few queries. */
export const MAX_PEERS = 8;
const MAX_ROWS = 10_000;

/** The change is to the alert's service, or the alert names none. */
const ownService = (query: BlameQuery, change: ChangeRow): boolean =>
  !query.service || query.service === change.service;

/** The alert already says its own series rose: the change's region is the alert's, and so is its service. */
const alerting = (query: BlameQuery, change: ChangeRow): boolean =>
  query.region === change.region && ownService(query, change);

/** UNCLEAR without reading a metric: the change no longer ran in the alert's region. */
const unjudged = (change: ChangeRow, query: BlameQuery, summary: string): ChangeAssessment => ({
  service: change.service,
  pivot: change.changedAt.toISOString(),
  beforeFrom: change.changedAt.toISOString(),
  afterTo: query.at.toISOString(),
  regions: [],
  verdict: 'UNCLEAR',
  summary,
});

const EMPTY = shiftTest({ requests: 0, events: 0 }, { requests: 0, events: 0 });

/**
 * Which change is suspect: every change before the alert in its region (or, without one,
 * its service) in the window, each judged from metrics and scored, best first. The gateway's
 * `suspects` and `incident` answer from this, and so does `npm run bench:blame` on its
 * simulated worlds: one method, measured where it is used.
 */
export class BlameEngine<C extends ChangeRow> {
  constructor(
    private readonly log: ChangeLog<C>,
    private readonly regionsOf: RegionsOf,
    readonly analyzer: IncidentAnalyzer,
    /** Services with a region of that name: the alert's region in other services. */
    private readonly servicesIn: ServicesIn = async () => [],
  ) {}

  async suspects(query: BlameQuery): Promise<Array<RankedSuspect<C>>> {
    const to = new Date(query.at.getTime() + 1);
    const from = new Date(query.at.getTime() - query.windowMinutes * 60_000);
    const rows = await this.log.changes({
      region: query.region,
      service: query.region ? undefined : query.service,
      from,
      to,
      limit: MAX_ROWS,
    });
    const candidates = rows.filter((r) => r.changed).slice(-MAX_SUSPECTS);
    if (candidates.length === 0) return [];
    const cache: ReadCache = new Map();
    const assessments = new Map<string, Promise<Assessed>>();
    const scored: Array<RankedSuspect<C>> = [];
    for (const change of candidates) {
      const key = `${change.rolloutId}/${change.kind}/${change.changedAt.getTime()}`;
      if (!assessments.has(key)) assessments.set(key, this.assess(change, query, rows, cache));
      const { assessment, peers } = await assessments.get(key)!;
      const focus = assessment.regions.find((r) => r.region === change.region);
      const control = assessment.regions.filter((r) => !r.changed);
      const minutesBeforeAlert = Math.round(((query.at.getTime() - change.changedAt.getTime()) / 60_000) * 100) / 100;
      const shift = focus ?? { region: change.region, changed: true, errors: EMPTY, latency: EMPTY };
      const score = scoreSuspect(
        {
          focus:
            alerting(query, change) && assessment.verdict === 'LIKELY_CHANGE'
              ? await focusBesideOutages(
                  this.analyzer,
                  this.servicesIn,
                  change,
                  query,
                  shift,
                  assessment.regions,
                  cache,
                )
              : shift,
          control: [...control, ...(peers ?? [])],
          minutesBeforeAlert,
          sameService: ownService(query, change),
        },
        this.analyzer.options.score,
      );
      const likelyCause = assessment.verdict === 'LIKELY_CHANGE' && score.score >= BLAME_THRESHOLD;
      scored.push({ change, assessment, focus, control, peers: peers ?? [], minutesBeforeAlert, score, likelyCause });
    }
    // a likely cause in the alert's own service is the direct explanation: it leads, whatever
    // the score of a change to another service or of one not judged a likely cause
    const direct = (s: RankedSuspect<C>) => Number(s.likelyCause && ownService(query, s.change));
    return scored.sort(
      (a, b) =>
        direct(b) - direct(a) ||
        b.score.score - a.score.score ||
        b.change.changedAt.getTime() - a.change.changedAt.getTime(),
    );
  }

  /**
   * Up to MAX_PEERS other services in the alert's region (by name) with no change there
   * within the after window, judged over the push's windows; null without a region or when
   * unreadable. A service changed between the two windows stays a peer: its own change may
   * make it rise (a known weakness, docs/INCIDENT-INSIGHT.md), but leaving every changed
   * service out leaves busy regions without peers.
   */
  private async peers(
    change: C,
    query: BlameQuery,
    regionChanges: readonly C[],
    cache: ReadCache,
  ): Promise<RegionShift[] | null> {
    if (!query.region) return null;
    // a service changed there within the after window may have risen by its own change
    const since = Math.max(change.changedAt.getTime(), query.at.getTime() - this.analyzer.options.spanSeconds * 1000);
    const changed = new Set(regionChanges.filter((c) => c.changedAt.getTime() >= since).map((c) => c.service));
    // neither the changed service nor the alert's (its rise is the alert itself) is a peer
    changed.add(change.service);
    if (query.service) changed.add(query.service);
    const services = (await this.servicesIn(query.region))
      .filter((s) => !changed.has(s))
      .sort()
      .slice(0, MAX_PEERS);
    return this.analyzer.regionPeers(services, query.region, change.changedAt, query.at, cache);
  }

  /**
   * What the candidate's rollout did to its service's regions, each region around its own
   * push, up to the alert, with the alert's region in other services as peers. A change to
   * another service than the alert's is judged on its own service's regions alone. A peer
   * whose rise its own faulty change explains is no sign of a shared cause: when peers rose
   * and the verdict is UNCLEAR, those peers are set aside and the change judged again.
   */
  private async assess(change: C, query: BlameQuery, regionChanges: readonly C[], cache: ReadCache): Promise<Assessed> {
    const peers = await this.peers(change, query, regionChanges, cache);
    const assessment = await this.assessAgainst(change, query, peers, cache);
    if (assessment.verdict !== 'UNCLEAR' || !peers?.some(peerDegraded)) return { assessment, peers };
    const explained: Array<{ peer: RegionShift; by: string }> = [];
    for (const peer of peers.filter(peerDegraded)) {
      const alone = (own: C, q: BlameQuery) => this.assessAgainst(own, q, null, cache);
      const by = await ownFaultyChange(peer, query, regionChanges, alone, cache);
      if (by) explained.push({ peer, by });
    }
    if (explained.length === 0) return { assessment, peers };
    const rest = peers.filter((p) => !explained.some((e) => e.peer === p));
    const again = await this.assessAgainst(change, query, rest, cache);
    const note = explained.map((e) => `${e.peer.region} by ${e.by}`).join(', ');
    return {
      assessment: { ...again, summary: `${again.summary} (set aside, risen by their own change: ${note})` },
      peers: rest,
    };
  }

  private async assessAgainst(
    change: C,
    query: BlameQuery,
    peers: RegionShift[] | null,
    cache: ReadCache,
  ): Promise<ChangeAssessment> {
    const reached = await this.log.changes({
      rolloutId: change.rolloutId,
      to: new Date(query.at.getTime() + 1),
      limit: MAX_ROWS,
    });
    const pushes = new Map<string, Date>();
    for (const r of reached)
      if (r.kind === change.kind && r.changed && !pushes.has(r.region)) pushes.set(r.region, r.changedAt);
    // a region another rollout changed since is not this one's evidence: its later rise may be the newer change's
    const later = await this.log.changes({
      service: change.service,
      from: change.changedAt,
      to: new Date(query.at.getTime() + 1),
      limit: MAX_ROWS,
    });
    const newer = later.filter(
      (r) => r.changed && r.rolloutId !== change.rolloutId && r.changedAt >= (pushes.get(r.region) ?? change.changedAt),
    );
    const superseded = new Set(newer.map((r) => r.region));
    const by = newer.find((r) => r.region === change.region);
    if (by) return unjudged(change, query, `${change.region} was changed again since, by ${by.rolloutId}`);
    for (const region of superseded) pushes.delete(region);
    const rollbacks = change.kind === 'PUSH' ? reached.filter((r) => r.kind === 'ROLLBACK') : [];
    const gone = rolledBackBefore(change, query, rollbacks, this.analyzer.options.spanSeconds);
    if (gone) return unjudged(change, query, gone);
    const rolledBack = new Set(rollbacks.map((r) => r.region));
    const serviceRegions = ((await this.regionsOf(change.service)) ?? [...pushes.keys()]).filter(
      (r) => !superseded.has(r),
    );
    const assessment = await this.analyzer.assessRollout(
      {
        service: change.service,
        pushes,
        serviceRegions,
        focusPivot: change.changedAt,
        until: query.at,
      },
      cache,
    );
    if (assessment.error) return assessment;
    let regions = assessment.regions;
    if (alerting(query, change)) {
      const long = await longBaseline(this.analyzer, change, query, cache);
      regions = regions.map((r) => (r.region === change.region ? alertRegionShift(r, long) : r));
    }
    const sameService = ownService(query, change);
    let verdict = blameVerdict(regions, peers, sameService);
    if (verdict.verdict !== 'LIKELY_CHANGE') {
      const risen = regions.filter((r) => !r.changed && isDegraded(r));
      const outages = await localOutages(this.analyzer, this.servicesIn, change, query, risen, cache);
      const again =
        outages.length > 0
          ? blameVerdict(
              regions.filter((r) => !outages.includes(r.region)),
              peers,
              sameService,
            )
          : verdict;
      if (again.verdict !== verdict.verdict)
        verdict = { ...again, summary: `${again.summary} (set aside, an outage of their own: ${outages.join(', ')})` };
    }
    const doubt =
      verdict.verdict === 'LIKELY_CHANGE'
        ? ((await isolatedRise(this.analyzer, change, query, pushes, regions, rolledBack, cache)) ??
          (await alertDidNotRise(this.analyzer, change, query, cache)) ??
          (await alertRoseBeforePush(this.analyzer, change, query, cache)) ??
          (await lateOnset(this.analyzer, change, query, cache)))
        : null;
    if (doubt) return { ...assessment, regions, verdict: 'UNCLEAR', summary: `${verdict.summary}; but ${doubt}` };
    return { ...assessment, regions, ...verdict };
  }
}
