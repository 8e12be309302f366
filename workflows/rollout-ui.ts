import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { RolloutState } from '../libs/domain/src/rollout/rollout-state';
import { SluiceRegions, SluiceStatus, SluiceWave } from './rollout.search-attributes';

const REGION_ICON: Record<string, string> = {
  PENDING: '·',
  PUSHED: '⏳ pushed',
  VERIFIED: '✅ verified',
  ROLLED_BACK: '↩️ rolled back',
  ROLLBACK_FAILED: '🔥 rollback failed',
};

/** A short Markdown table of the waves for the Temporal Web UI's "current details". */
export function wavesTable(state: RolloutState): string {
  const header = [
    `**${state.service}** → \`${state.version}\` · **${state.status}**${state.phase ? ` (wave ${state.wave}: ${state.phase})` : ''}`,
    state.stopReason ? `\n> ${state.stopReason}` : '',
    '',
    '| wave | regions | bake | approval |',
    '|---|---|---|---|',
  ];
  const rows = (state.plan?.waves ?? []).map((wave) => {
    const regions = wave.regions.map((r) => `${r} ${REGION_ICON[state.regions[r] ?? 'PENDING']}`).join('<br>');
    const approval = wave.requiresApproval
      ? (state.actions.find((a) => a.action === 'APPROVED' && a.wave === wave.index)?.by ?? 'required')
      : '—';
    return `| ${wave.index}${wave.index === state.wave ? ' ◀' : ''} | ${regions} | ${wave.bakeSeconds}s | ${approval} |`;
  });
  return [...header, ...rows].join('\n');
}

/** Keeps search attributes and current details in step with the state; upserts only what changed. */
export class RolloutUi {
  private last = { status: '', wave: -1, regions: '' };

  update(state: RolloutState): void {
    const touched = Object.entries(state.regions)
      .filter(([, s]) => s !== 'PENDING')
      .map(([name]) => name);
    const next = { status: state.status, wave: state.wave, regions: touched.join(',') };
    if (next.status !== this.last.status || next.wave !== this.last.wave || next.regions !== this.last.regions) {
      upsertSearchAttributes([
        { key: SluiceStatus, value: state.status },
        { key: SluiceWave, value: state.wave },
        { key: SluiceRegions, value: touched },
      ]);
      this.last = next;
    }
    setCurrentDetails(wavesTable(state));
  }
}
