/**
 * Each alert of a world, put to three blamers: Sluice's own (BlameEngine, as the gateway's
 * `incident` runs it), "the most recent change in the region" and "every change in the
 * window". An answer is a blame (rollouts to halt), LIKELY_EXTERNAL or UNCLEAR.
 */
import { BlameEngine, IncidentAnalyzer, type ChangeRow } from '../../libs/insight/src';
import { WORLD_INSIGHT, WorldChangeLog, WorldMetrics } from './world-sources';
import type { Alert, World } from './world';

export type BlamerName = 'sluice' | 'most-recent-change' | 'every-change-in-window';
export const BLAMERS: readonly BlamerName[] = ['sluice', 'most-recent-change', 'every-change-in-window'];

export interface Answer {
  /** The rollout named as the cause (the top suspect); null when none is. */
  blamed: string | null;
  /** What a halt-blamed policy would halt on this answer. */
  halted: string[];
  verdict: 'LIKELY_CHANGE' | 'LIKELY_EXTERNAL' | 'UNCLEAR';
  /** When the answer was given: the alert, or a re-evaluation while it fires. */
  at: number;
}

/** The window `incident` looks back over, and when an unclear answer is asked again (minutes after the alert). */
export const WINDOW_MINUTES = 60;
export const REEVALUATE_AFTER_MINUTES = [0, 1, 2, 5];

export class Blamers {
  private readonly log: WorldChangeLog;
  readonly metrics: WorldMetrics;
  private now = 0;
  private readonly engine: BlameEngine<ChangeRow>;

  constructor(private readonly world: World) {
    this.log = new WorldChangeLog(world);
    this.metrics = new WorldMetrics(world);
    const analyzer = new IncidentAnalyzer(this.metrics, WORLD_INSIGHT, () => new Date(this.now));
    const servicesIn = new Map<string, string[]>();
    for (const [service, regions] of world.regionsOf)
      for (const region of regions) servicesIn.set(region, [...(servicesIn.get(region) ?? []), service]);
    this.engine = new BlameEngine(
      this.log,
      async (service) => world.regionsOf.get(service),
      analyzer,
      async (region) => servicesIn.get(region) ?? [],
    );
  }

  async answer(name: BlamerName, alert: Alert): Promise<Answer> {
    let last: Answer | undefined;
    for (const minutes of REEVALUATE_AFTER_MINUTES) {
      const at = alert.at + minutes * 60_000;
      last = await this.answerAt(name, alert, at);
      if (last.verdict !== 'UNCLEAR') return last;
    }
    return last!;
  }

  private async answerAt(name: BlamerName, alert: Alert, at: number): Promise<Answer> {
    this.now = at;
    if (name === 'sluice') {
      const suspects = await this.engine.suspects({
        region: alert.region,
        service: alert.service,
        at: new Date(at),
        windowMinutes: WINDOW_MINUTES,
      });
      const top = suspects[0];
      if (!top) return { blamed: null, halted: [], verdict: 'LIKELY_EXTERNAL', at };
      const halted = [...new Set(suspects.filter((s) => s.likelyCause).map((s) => s.change.rolloutId))];
      return {
        blamed: top.likelyCause ? top.change.rolloutId : null,
        halted,
        verdict: top.likelyCause
          ? 'LIKELY_CHANGE'
          : top.assessment.verdict === 'LIKELY_EXTERNAL'
            ? 'LIKELY_EXTERNAL'
            : 'UNCLEAR',
        at,
      };
    }
    const changes = await this.log.changes({
      region: alert.region,
      from: new Date(at - WINDOW_MINUTES * 60_000),
      to: new Date(at + 1),
    });
    if (changes.length === 0) return { blamed: null, halted: [], verdict: 'LIKELY_EXTERNAL', at };
    const latest = changes[changes.length - 1].rolloutId;
    const halted = name === 'most-recent-change' ? [latest] : [...new Set(changes.map((c) => c.rolloutId))];
    return { blamed: latest, halted, verdict: 'LIKELY_CHANGE', at };
  }
}
