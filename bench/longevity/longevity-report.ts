import { DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS } from '../../workflows/continue-as-new';
import { machineInfo, type Report } from '../bench-report';
import type { DriveResult } from './drive-rollout';
import { chainTotals, eventsPerTick, TEMPORAL_LIMITS, type RunFigures } from './history-figures';
import { APPROVAL_AFTER_WAVES, CONFIG_BYTES, REGIONS, WAVES } from './scenario';
import type { SimulatedTraffic } from './simulated-metrics';
import type { TickReference } from './tick-reference';

const MiB = 2 ** 20;
/** The targets; the events target is Temporal's own warning level. */
const TARGETS = {
  maxEventsPerRun: TEMPORAL_LIMITS.historyEventsWarn,
  maxHistoryBytesPerRun: 5 * MiB,
  eventsPerTick: 10,
};

/** The figures; a quick run's are not the (half-hour days), so only a full run fails on them. */
const FIGURE_TARGETS: ReadonlySet<string> = new Set([
  'events in any run',
  'history bytes in any run',
  'events per bake tick',
]);

/**
 * The targets that fail this run: all of them in a full run; in a quick run (what CI runs, to
 * prove the bench still works) only what must hold at any size: outcomes, restores, hand-overs
 * and payloads Temporal accepts.
 */
export function failedTargets(report: Report, quick: boolean): Report['targets'] {
  return report.targets.filter((t) => !t.met && !(quick && FIGURE_TARGETS.has(t.what)));
}

/** Everything one longevity run measured, before it is judged and written. */
export interface LongevityMeasurement {
  quick: boolean;
  startedAt: string;
  settings: {
    daySeconds: number;
    haltAtDay: number;
    /** Set in a quick run only; the full run leaves the workflow's default. */
    continueAsNewAfterEvents?: number;
    gateIntervalSeconds: number;
    gates: string[];
    traffic: SimulatedTraffic;
    referenceTicks: number;
  };
  full: DriveResult & {
    service: string;
    runs: RunFigures[];
    regionsAtNewVersion: number;
    /** Events of its stream in the event store, and the last position (equal when gap-free). */
    storedEvents: { count: number; lastPosition: number };
  };
  halted: DriveResult & { service: string; runs: RunFigures[]; regionsRestored: number };
  reference: TickReference;
  workerRss: { peakSampledMiB: number; highWaterMiB: number; samples: number };
  canaryQueriesAnswered: { canary: number; other: number };
  wallSeconds: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The figures, top level in the report: the 14-day rollout's, maxima over both rollouts. */
function figuresOf(m: LongevityMeasurement) {
  const a = chainTotals(m.full.runs);
  const b = chainTotals(m.halted.runs);
  return {
    simulatedDays: round2(m.full.simulatedDays),
    runs: a.runs,
    maxEventsPerRun: Math.max(a.maxEventsPerRun, b.maxEventsPerRun),
    maxHistoryBytesPerRun: Math.max(a.maxHistoryBytesPerRun, b.maxHistoryBytesPerRun),
    eventsPerTick: eventsPerTick([...m.full.runs, ...m.halted.runs].flatMap((r) => r.tickGaps)),
    totalEvents: a.totalEvents,
    workerPeakRssMiB: m.workerRss.peakSampledMiB,
    outcome: m.full.result.status,
    haltedOutcome: m.halted.result.status,
    regionsRestored: m.halted.regionsRestored,
  };
}
export type LongevityFigures = ReturnType<typeof figuresOf>;

/** The largest run of both chains, and where its bytes are. */
function largestRun(m: LongevityMeasurement) {
  const chains = [m.full, m.halted];
  const all = chains.flatMap((c) => c.runs.map((run, i) => ({ rollout: c.service, run: i + 1, figures: run })));
  const { rollout, run, figures } = all.reduce((x, y) => (y.figures.bytes > x.figures.bytes ? y : x));
  const bytesByType = Object.entries(figures.bytesByType).sort(([, x], [, y]) => y - x);
  return {
    rollout,
    run,
    events: figures.events,
    bytes: figures.bytes,
    bytesByType: Object.fromEntries(bytesByType.slice(0, 6)),
  };
}

/** The report: the figures at the top level, the details, the targets and what was real. */
export function longevityReport(m: LongevityMeasurement): Report & LongevityFigures {
  const figures = figuresOf(m);
  const a = chainTotals(m.full.runs);
  const b = chainTotals(m.halted.runs);
  const largestEvent = [a.largestEvent, b.largestEvent].reduce((x, y) => (y.bytes > x.bytes ? y : x));
  const { halt } = m.halted;
  const { reference, settings } = m;
  const target = (what: string, wanted: string, measured: string | number, met: boolean) => ({
    what,
    target: wanted,
    measured: String(measured),
    met,
  });
  return {
    ...figures,
    name: m.quick ? 'longevity-quick' : 'longevity',
    startedAt: m.startedAt,
    machine: machineInfo({ temporal: 'time-skipping test server (pinned)' }),
    parameters: {
      quick: m.quick,
      regions: REGIONS,
      waves: WAVES,
      daySeconds: settings.daySeconds,
      bakeSeconds: settings.daySeconds,
      gateIntervalSeconds: settings.gateIntervalSeconds,
      gates: settings.gates,
      configBytes: CONFIG_BYTES,
      approvalsAfterWaves: APPROVAL_AFTER_WAVES,
      haltAtDay: settings.haltAtDay,
      continueAsNewAfterEvents:
        settings.continueAsNewAfterEvents ?? `default (${DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS})`,
      simulatedTraffic: settings.traffic,
      referenceTicks: settings.referenceTicks,
    },
    results: {
      ...figures,
      planDays: round2((m.full.simulatedDays * 86_400) / settings.daySeconds),
      regionsAtNewVersion: m.full.regionsAtNewVersion,
      ticks: a.ticks,
      tickGapP50: a.tickGapP50,
      tickGapP95: a.tickGapP95,
      // a tick in the middle of the rollout: what one evaluation costs in the history
      tickEvents: m.full.runs[Math.floor(m.full.runs.length / 2)]?.lastTick,
      totalHistoryBytes: a.totalHistoryBytes,
      largestEvent: { ...largestEvent, overTemporalWarning: largestEvent.bytes > TEMPORAL_LIMITS.blobBytesWarn },
      largestRun: largestRun(m),
      eventsPerRun: m.full.runs.map((r) => r.events),
      historyBytesPerRun: m.full.runs.map((r) => r.bytes),
      approvals: m.full.approvals.map((x) => ({ wave: x.wave, day: round2(x.day) })),
      storedEvents: m.full.storedEvents,
      halted: {
        runs: b.runs,
        totalEvents: b.totalEvents,
        maxEventsPerRun: b.maxEventsPerRun,
        maxHistoryBytesPerRun: b.maxHistoryBytesPerRun,
        eventsPerTick: b.eventsPerTick,
        haltedOnDay: halt && round2(halt.day),
        wave: halt?.wave,
        phase: halt?.phase,
        regionsTouched: halt?.regionsTouched,
        regionsServingNewVersion: halt?.regionsServing,
        reason: m.halted.result.reason,
      },
      reference: { ...reference, temporalLimits: TEMPORAL_LIMITS },
      workerRss: m.workerRss,
      canaryQueriesAnswered: m.canaryQueriesAnswered,
      wallSeconds: {
        full: Math.round(m.full.wallSeconds),
        halted: Math.round(m.halted.wallSeconds),
        total: Math.round(m.wallSeconds),
      },
    },
    targets: [
      target(
        'events in any run',
        `≤ ${TARGETS.maxEventsPerRun} (Temporal warns there)`,
        figures.maxEventsPerRun,
        figures.maxEventsPerRun <= TARGETS.maxEventsPerRun,
      ),
      target(
        'history bytes in any run',
        '≤ 5 MiB',
        `${(figures.maxHistoryBytesPerRun / MiB).toFixed(2)} MiB`,
        figures.maxHistoryBytesPerRun <= TARGETS.maxHistoryBytesPerRun,
      ),
      target(
        'events per bake tick',
        `≤ ${TARGETS.eventsPerTick}`,
        `${figures.eventsPerTick} (reference: ${reference.activityTick} with an activity, ${reference.localActivityTick} with a local activity)`,
        figures.eventsPerTick <= TARGETS.eventsPerTick,
      ),
      target(
        'largest single event',
        '≤ 2 MiB (Temporal refuses larger payloads)',
        `${(largestEvent.bytes / MiB).toFixed(2)} MiB ${largestEvent.type}`,
        largestEvent.bytes <= TEMPORAL_LIMITS.blobBytesError,
      ),
      target(
        'hand-overs (continue-as-new)',
        '≥ 1 in each rollout',
        `${a.runs - 1} and ${b.runs - 1}`,
        a.runs > 1 && b.runs > 1,
      ),
      target(
        '14-day rollout',
        'SUCCEEDED, 50 regions at the new version',
        `${figures.outcome}, ${m.full.regionsAtNewVersion}`,
        figures.outcome === 'SUCCEEDED' && m.full.regionsAtNewVersion === REGIONS,
      ),
      target(
        'halted on day 13',
        'ROLLED_BACK; 50 regions served the new version at the halt, 50 restored',
        `${figures.haltedOutcome}; ${halt?.regionsServing}, ${figures.regionsRestored}`,
        figures.haltedOutcome === 'ROLLED_BACK' &&
          halt?.regionsServing === REGIONS &&
          figures.regionsRestored === REGIONS,
      ),
    ],
    notes: [
      "Real: the Temporal time-skipping test server (only its clock is simulated), Sluice's worker process from dist/ with its real activities, PostgreSQL (embedded) for the event store, config store and projections, region-sim over HTTP for pushes, read-backs, probes and restores, and the halt signal the gateway's haltRollout sends.",
      `Simulated: the canary gate's counters. A real Prometheus scrapes in real time and cannot follow skipped time, so a Prometheus query API in the bench answers the canary queries from the test server's clock (${settings.traffic.rps} requests/s per region, ${settings.traffic.errorShare * 100}% errors, the same everywhere: a healthy change); the halt assessment's queries get no data.`,
      'Before each rollout the fleet runs two earlier releases (odd regions v1, even regions v1-hotfix), each with its own 256 KiB document, stored in the config store as if an earlier Sluice rollout had pushed it; after the halt every region must serve its own again (version and config hash, read from region-sim).',
      "Events and bytes come from each run's history as fetched from Temporal (protobuf-encoded); the chain is followed through each run's continue-as-new event. eventsPerTick is the mean number of events from one bake tick's evaluation activity to the next over every steady tick of both rollouts (a gap that also pushed or read before a push is a wave boundary and left out); the reference workflows (an activity or a local activity, then a timer) are measured the same way, from one timer to the next, on the same server.",
      "Top-level runs, totalEvents and simulatedDays are the 14-day rollout's; maxEventsPerRun, maxHistoryBytesPerRun and eventsPerTick cover both rollouts. workerPeakRssMiB is the largest of the worker's VmRSS sampled each second.",
      m.quick
        ? `Quick run: "days" of ${settings.daySeconds} s, and a hand-over every ${settings.continueAsNewAfterEvents} events, so it still continues as new; the figures are not the issue's.`
        : "Full run: 24 h days and the workflow's default hand-over point.",
    ],
  };
}
