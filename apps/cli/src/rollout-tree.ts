import { foldRollout, isFinal, type RolloutEvent, type RolloutState } from '../../../libs/domain/src';
import { duration, STATUS_COLOURS, type Paint } from './output';

/** An event as the gateway serves it (rollout.events, the rolloutEvents subscription). */
export interface ServedEvent {
  type: string;
  data: Record<string, unknown>;
  recordedAt: string;
  position: number;
}

export const foldServed = (events: readonly ServedEvent[]): RolloutState =>
  foldRollout(events.map((e) => ({ type: e.type, data: e.data }) as RolloutEvent));

const REGION_SYMBOL: Record<string, [string, Parameters<Paint>[0]]> = {
  PENDING: ['○', 'grey'],
  PUSHED: ['◐', 'yellow'],
  VERIFIED: ['●', 'green'],
  ROLLED_BACK: ['↺', 'magenta'],
  ROLLBACK_FAILED: ['✗', 'red'],
  RESOLVED: ['✓', 'cyan'],
};

function bar(done: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, done)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** When the current wave's bake began: its last region verified. */
function bakeStartedAt(events: readonly ServedEvent[], state: RolloutState): number | null {
  if (state.phase !== 'BAKING') return null;
  const wave = state.plan?.waves[state.wave - 1];
  if (!wave) return null;
  const verified = events.filter(
    (e) => e.type === 'RegionConfigVerified' && wave.regions.includes(String(e.data.region)),
  );
  return verified.length ? Date.parse(verified[verified.length - 1].recordedAt) : null;
}

/**
 * The rollout as a tree: wave → region with state symbols, the bake countdown and a bar,
 * each gate's latest verdict and value per region, approvals, and the stop reason. One pure
 * function of the events, so `get`, `get --watch` and the specs draw the same picture.
 */
export function renderTree(events: readonly ServedEvent[], now: number, paint: Paint): string {
  const state = foldServed(events);
  const lines: string[] = [];
  const status = paint(STATUS_COLOURS[state.status] ?? 'cyan', state.status);
  lines.push(
    `${paint('bold', `${state.service ?? '?'} → ${state.version ?? '?'}`)}  ${status}${state.phase ? ` (${state.phase})` : ''}  rollout ${state.rolloutId ?? '?'}`,
  );
  lines.push(`requested by ${state.requestedBy ?? '?'}${events[0] ? ` at ${events[0].recordedAt}` : ''}`);
  if (state.hold)
    lines.push(paint('yellow', `held by a freeze: ${state.hold.reason} (until ${state.hold.until ?? 'lifted'})`));
  const bakeStart = bakeStartedAt(events, state);
  for (const wave of state.plan?.waves ?? []) {
    const current = wave.index === state.wave && !isFinal(state.status);
    const approval = state.actions.find((a) => a.action === 'APPROVED' && a.wave === wave.index);
    let note = `bake ${duration(wave.bakeSeconds)}`;
    if (current && bakeStart !== null) {
      const elapsed = (now - bakeStart) / 1000;
      const left = Math.max(0, Math.ceil(wave.bakeSeconds - elapsed));
      note = `baking ${bar(wave.bakeSeconds ? elapsed / wave.bakeSeconds : 1)} ${duration(left)} left`;
    }
    if (wave.requiresApproval) {
      note += approval
        ? `, approved by ${approval.by}`
        : current && state.phase === 'AWAITING_APPROVAL'
          ? paint('yellow', ', awaiting approval')
          : ', needs approval';
    }
    lines.push(`${current ? paint('bold', '▶') : ' '} wave ${wave.index}  ${note}`);
    for (const region of wave.regions) {
      const regionState = state.regions[region] ?? 'PENDING';
      const [symbol, colour] = REGION_SYMBOL[regionState] ?? ['?', 'grey'];
      lines.push(`    ${paint(colour, symbol)} ${region.padEnd(16)} ${regionState}`);
      for (const gate of state.gates.filter((g) => g.region === region && g.wave === wave.index)) {
        const value =
          gate.value === undefined ? '' : ` ${typeof gate.value === 'number' ? +gate.value.toFixed(4) : gate.value}`;
        const colour = gate.verdict === 'PASS' ? 'green' : gate.verdict === 'FAIL' ? 'red' : 'yellow';
        lines.push(`        gate ${gate.gate}: ${paint(colour, gate.verdict)}${value}`);
      }
    }
  }
  for (const action of state.actions.filter((a) => a.action !== 'APPROVED')) {
    lines.push(`${action.action.toLowerCase()} by ${action.by}${action.detail ? `: ${action.detail}` : ''}`);
  }
  if (state.stopReason) lines.push(paint('red', `stopped: ${state.stopReason}`));
  return lines.join('\n');
}
