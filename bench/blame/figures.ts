/** The figures of `bench:blame`, from alerts with their truth and each blamer's answers. */
import { percentile } from '../bench-report';
import type { Answer, BlamerName } from './evaluate';
import type { Alert, World } from './world';

export interface Judged {
  alert: Alert;
  answer: Answer;
  /** Rollouts that were harmless (no fault anywhere). */
  harmless: ReadonlySet<string>;
  /** Tags of the alert's situation, for the failure table. */
  tags: string[];
}

export interface BlameFigures {
  alerts: number;
  changeAlerts: number;
  otherAlerts: number;
  precision: number | null;
  recall: number | null;
  externalPrecision: number | null;
  externalRecall: number | null;
  innocentHaltRate: number;
  timeToBlameMedianSec: number | null;
  timeToBlameP90Sec: number | null;
  unclearRate: number;
}

const share = (count: number, of: number) => (of === 0 ? null : Number((count / of).toFixed(4)));

export function figures(name: BlamerName, judged: readonly Judged[]): BlameFigures {
  const culprit = (j: Judged) => (j.alert.truth.kind === 'change' ? j.alert.truth.rolloutId : null);
  const changeAlerts = judged.filter((j) => culprit(j) !== null);
  const other = judged.filter((j) => culprit(j) === null);
  // "every change in the window" names a set: each rollout in it is a blame
  const blames =
    name === 'every-change-in-window'
      ? judged.flatMap((j) => j.answer.halted.map((rollout) => rollout === culprit(j)))
      : judged.filter((j) => j.answer.blamed !== null).map((j) => j.answer.blamed === culprit(j));
  const found = changeAlerts.filter((j) =>
    name === 'every-change-in-window' ? j.answer.halted.includes(culprit(j)!) : j.answer.blamed === culprit(j),
  );
  const external = judged.filter((j) => j.answer.verdict === 'LIKELY_EXTERNAL');
  const innocentHalts = judged.reduce((n, j) => n + j.answer.halted.filter((r) => j.harmless.has(r)).length, 0);
  const times = found.map((j) => (j.answer.at - (j.alert.truth as { pushAt: number }).pushAt) / 1000);
  const median = percentile(times, 50);
  const p90 = percentile(times, 90);
  return {
    alerts: judged.length,
    changeAlerts: changeAlerts.length,
    otherAlerts: other.length,
    precision: share(blames.filter(Boolean).length, blames.length),
    recall: share(found.length, changeAlerts.length),
    externalPrecision: share(external.filter((j) => culprit(j) === null).length, external.length),
    externalRecall: share(other.filter((j) => j.answer.verdict === 'LIKELY_EXTERNAL').length, other.length),
    innocentHaltRate: Number(((100 * innocentHalts) / Math.max(1, judged.length)).toFixed(2)),
    timeToBlameMedianSec: Number.isFinite(median) ? Math.round(median) : null,
    timeToBlameP90Sec: Number.isFinite(p90) ? Math.round(p90) : null,
    unclearRate: share(judged.filter((j) => j.answer.verdict === 'UNCLEAR').length, judged.length) ?? 0,
  };
}

/** What makes an alert hard: the failure table groups Sluice's misses by these. */
export function tagsOf(world: World, alert: Alert): string[] {
  const tags: string[] = [alert.truth.kind, alert.metric];
  const series = world.series.find((s) => s.service === alert.service && s.region === alert.region)!;
  if (series.rps < 2) tags.push('low-traffic');
  if (alert.truth.kind === 'change') {
    const { rolloutId } = alert.truth;
    const rollout = world.rollouts.find((r) => r.id === rolloutId)!;
    if (rollout.bad!.delayMs > 60_000) tags.push('delayed-fault');
    if (rollout.bad!.regions.size < rollout.pushes.length) tags.push('some-regions');
  }
  const regionChanges = world.changes.filter(
    (c) =>
      c.region === alert.region && c.changedAt.getTime() <= alert.at && c.changedAt.getTime() > alert.at - 3_600_000,
  );
  if (new Set(regionChanges.map((c) => c.rolloutId)).size > 1) tags.push('several-changes-in-region');
  if (
    world.externals.some(
      (e) => e.coincidesWith && e.regions.has(alert.region) && e.from <= alert.at && alert.at < e.until,
    )
  )
    tags.push('external-beside-a-rollout');
  return tags;
}

/** Sluice's right and wrong answers per tag: where the method still fails. */
export function failureTable(
  judged: readonly Judged[],
): Array<{ tag: string; alerts: number; right: number; wrong: number; unclear: number }> {
  const rows = new Map<string, { tag: string; alerts: number; right: number; wrong: number; unclear: number }>();
  for (const j of judged) {
    const truth = j.alert.truth;
    const right =
      truth.kind === 'change' ? j.answer.blamed === truth.rolloutId : j.answer.verdict === 'LIKELY_EXTERNAL';
    for (const tag of j.tags) {
      const row = rows.get(tag) ?? { tag, alerts: 0, right: 0, wrong: 0, unclear: 0 };
      row.alerts += 1;
      if (right) row.right += 1;
      else if (j.answer.verdict === 'UNCLEAR') row.unclear += 1;
      else row.wrong += 1;
      rows.set(tag, row);
    }
  }
  return [...rows.values()].sort((a, b) => a.tag.localeCompare(b.tag));
}
