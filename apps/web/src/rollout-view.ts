import {
  evolve,
  initialRolloutState,
  type RolloutEvent as DomainEvent,
  type RolloutState,
} from '../../../libs/domain/src';

/** An event as the gateway serves it. */
export interface ServedEvent {
  position: number;
  cursor: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

/** One point of a gate's series: when, the value, and for the canary judge its e-values. */
export interface GatePoint {
  at: number;
  /** The gate's kind (canary, prometheus, probe, …). */
  kind: string;
  verdict: string;
  value: number | null;
  ePass?: number;
  eFail?: number;
  passThreshold?: number;
  failThreshold?: number;
}

export interface TimelineEntry {
  position: number;
  at: string;
  kind: 'push' | 'restore' | 'halt' | 'approval' | 'pause' | 'control' | 'wave' | 'end' | 'gate';
  text: string;
  link?: string;
}

/** What the rollout page draws, folded from the rollout's events with the domain's own fold. */
export interface RolloutView {
  state: RolloutState;
  /** When the current wave started baking (ms since epoch); null unless baking. */
  bakeStartedAt: number | null;
  /** Per gate and region: every evaluation, oldest first. */
  series: Map<string, GatePoint[]>;
  /** Thresholds of the prometheus gates, by gate name. */
  thresholds: Map<string, { comparison: string; threshold: number }>;
  timeline: TimelineEntry[];
  /** Whether a gate read Prometheus (prometheus, canary): then the error-rate chart is drawn. */
  usesMetrics: boolean;
  lastCursor: string | null;
  lastPosition: number;
}

export const emptyView = (): RolloutView => ({
  state: initialRolloutState,
  bakeStartedAt: null,
  series: new Map(),
  thresholds: new Map(),
  timeline: [],
  usesMetrics: false,
  lastCursor: null,
  lastPosition: 0,
});

export const seriesKey = (gate: string, region: string) => `${gate}\u0000${region}`;

/** A gate's value as a number: prometheus gates record it as the text they showed. */
const numeric = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

/** The line an event adds to the timeline, if any. */
export function timelineEntry(e: ServedEvent): TimelineEntry | null {
  const d = e.data;
  const base = { position: e.position, at: e.recordedAt };
  switch (e.type) {
    case 'RolloutRequested':
      return { ...base, kind: 'control', text: `${str(d.requestedBy)} requested ${str(d.version)}` };
    case 'WaveStarted':
      return { ...base, kind: 'wave', text: `wave ${str(d.wave)} started: ${(d.regions as string[]).join(', ')}` };
    case 'RegionConfigPushed':
      return {
        ...base,
        kind: 'push',
        text: `pushed ${str(d.version)} to ${str(d.region)} (was ${str(d.previousVersion) || 'nothing'})`,
      };
    case 'ApprovalRequested':
      return { ...base, kind: 'approval', text: `wave ${str(d.wave)} waits for an approval` };
    case 'ApprovalGranted':
      return {
        ...base,
        kind: 'approval',
        text: `${str(d.approver)} approved wave ${str(d.wave)}${d.comment ? `: “${str(d.comment)}”` : ''}`,
      };
    case 'RolloutPaused':
      return { ...base, kind: 'pause', text: `paused by ${str(d.by)}: ${str(d.reason)}` };
    case 'RolloutResumed':
      return { ...base, kind: 'pause', text: `resumed by ${str(d.by)}` };
    case 'RolloutHalted': {
      const alert = (d.alert ?? {}) as Record<string, unknown>;
      const link =
        typeof alert.generatorURL === 'string' && /^https?:\/\//.test(alert.generatorURL)
          ? alert.generatorURL
          : undefined;
      const name = (alert.labels as Record<string, unknown> | undefined)?.alertname;
      return {
        ...base,
        kind: 'halt',
        text: `halted by ${str(d.by)} (${str(d.source)})${name ? ` on alert ${str(name)}` : ''}: ${str(d.reason)}`,
        link,
      };
    }
    case 'RolloutAborted':
      return { ...base, kind: 'control', text: `aborted by ${str(d.by)}: ${str(d.reason)}` };
    case 'RollbackStarted':
      return { ...base, kind: 'restore', text: `rollback started: ${str(d.reason)}` };
    case 'RegionRolledBack':
      return {
        ...base,
        kind: 'restore',
        text:
          d.outcome === 'FAILED'
            ? `restore of ${str(d.region)} FAILED: ${str(d.error)}`
            : `restored ${str(d.region)} to ${str(d.toVersion) || 'nothing'}`,
      };
    case 'HealthGateEvaluated':
      return d.verdict === 'FAIL'
        ? { ...base, kind: 'gate', text: `gate ${str(d.gate)} failed in ${str(d.region)}: ${str(d.detail)}` }
        : null;
    case 'RolloutSucceeded':
    case 'RolloutRolledBack':
    case 'RolloutFailed':
    case 'RollbackFailed':
    case 'RolloutAbandoned':
      return {
        ...base,
        kind: 'end',
        text: e.type
          .replace(/^Rollout/, '')
          .replace(/([a-z])([A-Z])/g, '$1 $2')
          .toLowerCase(),
      };
    default:
      return null;
  }
}

/** Adds events (in stream order; ones already seen are skipped) to the view. */
export function addEvents(view: RolloutView, events: readonly ServedEvent[]): RolloutView {
  let next = view;
  for (const e of events) {
    if (e.position <= next.lastPosition) continue;
    const state = evolve(next.state, { type: e.type, data: e.data } as DomainEvent);
    const at = Date.parse(e.recordedAt);
    let { bakeStartedAt, series, thresholds, timeline, usesMetrics } = next;
    if (state.phase === 'BAKING' && next.state.phase !== 'BAKING') bakeStartedAt = at;
    if (state.phase !== 'BAKING') bakeStartedAt = null;
    if (e.type === 'HealthGateEvaluated') {
      const d = e.data;
      if (d.kind === 'prometheus' || d.kind === 'canary') usesMetrics = true;
      if (typeof d.threshold === 'number' && !thresholds.has(str(d.gate))) {
        thresholds = new Map(thresholds).set(str(d.gate), { comparison: str(d.comparison), threshold: d.threshold });
      }
      const evidence = (d.evidence ?? {}) as Record<string, number>;
      const key = seriesKey(str(d.gate), str(d.region));
      series = new Map(series);
      series.set(key, [
        ...(series.get(key) ?? []),
        {
          at,
          kind: str(d.kind),
          verdict: str(d.verdict),
          value: numeric(d.value),
          ePass: evidence.ePass,
          eFail: evidence.eFail,
          passThreshold: evidence.passThreshold,
          failThreshold: evidence.failThreshold,
        },
      ]);
    }
    const entry = timelineEntry(e);
    if (entry) timeline = [...timeline, entry];
    next = {
      state,
      bakeStartedAt,
      series,
      thresholds,
      timeline,
      usesMetrics,
      lastCursor: e.cursor,
      lastPosition: e.position,
    };
  }
  return next;
}

/** The cell state the matrix shows for a region: the rollout's state, or PUSHING while its wave pushes. */
export function cellState(view: RolloutView, region: string, wave: number): string {
  const state = view.state.regions[region] ?? 'PENDING';
  if (state === 'PENDING' && wave === view.state.wave && view.state.phase === 'PUSHING') return 'PUSHING';
  return state;
}

/** The controls a person with these roles may use now, and why one is disabled. */
export function availableActions(
  view: RolloutView,
  me: { name: string; effectiveRoles: string[] },
): Array<{ action: string; label: string; disabled?: string }> {
  const { status, phase, wave, requestedBy } = view.state;
  const may = (role: string) => me.effectiveRoles.includes(role);
  const actions: Array<{ action: string; label: string; disabled?: string }> = [];
  const moving = status === 'ROLLING' || status === 'PRECHECKING' || status === 'PENDING';
  if (may('deployer') && moving) actions.push({ action: 'pause', label: 'Pause' });
  if (may('deployer') && status === 'PAUSED') actions.push({ action: 'resume', label: 'Resume' });
  if (may('approver') && phase === 'AWAITING_APPROVAL') {
    actions.push({
      action: 'approve',
      label: `Approve wave ${wave}`,
      disabled:
        requestedBy === me.name
          ? `You requested this rollout: someone else must approve it (separation of duties).`
          : undefined,
    });
  }
  if (may('deployer') && (moving || status === 'PAUSED')) {
    actions.push({ action: 'abort', label: 'Abort' });
    actions.push({ action: 'halt', label: 'Halt' });
  }
  if (may('admin') && status === 'ROLLBACK_FAILED') actions.push({ action: 'retry', label: 'Retry rollback' });
  return actions;
}

/** The latest result of a gate in a region, as `rolloutLive` answers it. */
export interface LiveGate {
  gate: string;
  region: string;
  verdict: string;
  value: number | null;
  evidence: { ePass: number; eFail: number; passThreshold: number; failThreshold: number } | null;
}

/**
 * Adds what the running workflow reports now to the gates' series. The history records an
 * evaluation only when something changes, so the page asks the workflow every few seconds
 * for a chart over time; a result equal to the series' last point adds nothing.
 */
export function addLiveGates(view: RolloutView, gates: readonly LiveGate[], at: number): RolloutView {
  let series = view.series;
  for (const g of gates) {
    const key = seriesKey(g.gate, g.region);
    const points = series.get(key) ?? [];
    const last = points.at(-1);
    const point: GatePoint = {
      at,
      kind: last?.kind ?? (g.evidence ? 'canary' : ''),
      verdict: g.verdict,
      value: numeric(g.value),
      ePass: g.evidence?.ePass,
      eFail: g.evidence?.eFail,
      passThreshold: g.evidence?.passThreshold,
      failThreshold: g.evidence?.failThreshold,
    };
    const same =
      last &&
      last.verdict === point.verdict &&
      last.value === point.value &&
      last.ePass === point.ePass &&
      last.eFail === point.eFail;
    if (same || (last && at <= last.at)) continue;
    series = new Map(series);
    series.set(key, [...points, point]);
  }
  return series === view.series ? view : { ...view, series };
}
