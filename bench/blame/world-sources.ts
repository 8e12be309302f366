/**
 * What Sluice's blame reads, served from a simulated world: a MetricsSource that answers the
 * insight queries (SLUICE_INSIGHT_*_QUERY set to the simple forms below) from the world's
 * counts, and the change log as ReadModels.changes would give it.
 */
import type { ChangeLog, ChangeRow, InsightOptions } from '../../libs/insight/src';
import { DEFAULT_INSIGHT } from '../../libs/insight/src';
import type { MetricsSource, PromSample } from '../../libs/targets/src';
import { increase, type World } from './world';

/** The insight queries the world answers: one counter per kind, by region, for a service. */
export const WORLD_INSIGHT: InsightOptions = {
  ...DEFAULT_INSIGHT,
  requestsQuery: 'requests{service="{{service}}"}[{{range}}]',
  errorsQuery: 'errors{service="{{service}}"}[{{range}}]',
  slowQuery: 'slow{service="{{service}}"}[{{range}}]',
};

const QUERY = /^(requests|errors|slow)\{service="([^"]+)"\}\[(\d+)s\]$/;

export class WorldMetrics implements MetricsSource {
  /** Queries answered, for the report. */
  queries = 0;

  constructor(private readonly world: World) {}

  async query(expr: string, _timeoutMs: number, at?: Date): Promise<PromSample[]> {
    const match = QUERY.exec(expr);
    if (!match || !at) throw new Error(`the simulated world cannot answer ${expr}`);
    this.queries += 1;
    const [, kind, service, seconds] = match;
    const samples: PromSample[] = [];
    for (const region of this.world.regionsOf.get(service) ?? []) {
      const counts = this.world.counts.get(`${service}/${region}`)!;
      const series = kind === 'requests' ? counts.requests : kind === 'errors' ? counts.errors : counts.slow;
      samples.push({ labels: { region }, value: increase(series, this.world, at.getTime(), Number(seconds) * 1000) });
    }
    return samples;
  }
}

/** ReadModels.changes over the world's change log: oldest first, `from` inclusive, `to` exclusive. */
export class WorldChangeLog implements ChangeLog<ChangeRow> {
  constructor(private readonly world: World) {}

  async changes(query: Parameters<ChangeLog<ChangeRow>['changes']>[0]): Promise<ChangeRow[]> {
    const rows = this.world.changes.filter(
      (c) =>
        (query.region === undefined || c.region === query.region) &&
        (query.service === undefined || c.service === query.service) &&
        (query.rolloutId === undefined || c.rolloutId === query.rolloutId) &&
        (query.from === undefined || c.changedAt >= query.from) &&
        (query.to === undefined || c.changedAt < query.to),
    );
    return query.limit === undefined ? rows : rows.slice(0, query.limit);
  }
}
