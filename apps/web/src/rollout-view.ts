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
  lastCursor: string | null;
  lastPosition: number;
}

export const emptyView = (): RolloutView => ({
  state: initialRolloutState,
  bakeStartedAt: null,
  series: new Map(),
  thresholds: new Map(),
  timeline: [],
  lastCursor: null,
  lastPosition: 0,
});

export const seriesKey = (gate: string, region: string) => `${gate}\u0000${region}`;

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
    let { bakeStartedAt, series, thresholds, timeline } = next;
    if (state.phase === 'BAKING' && next.state.phase !== 'BAKING') bakeStartedAt = at;
    if (state.phase !== 'BAKING') bakeStartedAt = null;
    if (e.type === 'RolloutRequested') {
      thresholds = new Map(thresholds);
      for (const gate of (e.data.gates as Array<Record<string, unknown>> | undefined) ?? []) {
        if (gate.kind === 'prometheus' && typeof gate.threshold === 'number') {
          thresholds.set(str(gate.name), { comparison: str(gate.comparison), threshold: gate.threshold });
        }
      }
    }
    if (e.type === 'HealthGateEvaluated') {
      const d = e.data;
      const evidence = (d.evidence ?? {}) as Record<string, number>;
      const key = seriesKey(str(d.gate), str(d.region));
      series = new Map(series);
      series.set(key, [
        ...(series.get(key) ?? []),
        {
          at,
          verdict: str(d.verdict),
          value: typeof d.value === 'number' ? d.value : null,
          ePass: evidence.ePass,
          eFail: evidence.eFail,
          passThreshold: evidence.passThreshold,
          failThreshold: evidence.failThreshold,
        },
      ]);
    }
    const entry = timelineEntry(e);
    if (entry) timeline = [...timeline, entry];
    next = { state, bakeStartedAt, series, thresholds, timeline, lastCursor: e.cursor, lastPosition: e.position };
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
