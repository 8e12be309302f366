import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ErrorCode, isSluiceError } from '../../../../libs/domain/src';
import { PrometheusClient, type PromSeries } from '../../../../libs/targets/src';
import type { PgEventStore } from '../../../../libs/event-store/src';
import { authorizeRest, sendError } from '../auth/rest-auth';
import type { TokenRegistry } from '../auth/token-registry';
import type { GatewayConfig } from '../gateway.config';
import { EVENT_STORE, GATEWAY_SETTINGS, TOKEN_REGISTRY } from '../gateway.tokens';

/** Points per series at most, as Prometheus allows (11,000) with a margin. */
const MAX_POINTS = 10_000;
const TIMEOUT_MS = 10_000;
/** Data before the first push drawn for comparison. */
const LEAD_SECONDS = 600;

/**
 * `GET /api/rollouts/:id/error-rates?step=15`: the error ratio of the regions a rollout changed
 * against those it did not, over time, from 10 minutes before its first push to its end (or
 * now). The gateway runs the two `query_range`s on Prometheus (the incident-insight queries,
 * by region) with the caller's token checked, so the browser never talks to Prometheus and
 * can run no PromQL of its own. Answers `{ step, changed: { regions, points }, unchanged: … }`,
 * each point `[unixSeconds, ratio | null]`.
 */
@Controller('api/rollouts')
export class ErrorRatesController {
  constructor(
    @Inject(TOKEN_REGISTRY) private readonly tokens: TokenRegistry,
    @Inject(EVENT_STORE) private readonly events: PgEventStore,
    @Inject(GATEWAY_SETTINGS) private readonly config: GatewayConfig,
  ) {}

  @Get(':id/error-rates')
  async errorRates(
    @Param('id') id: string,
    @Query('step') stepParam: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (!authorizeRest(this.tokens, req, res, 'viewer', 'read metrics')) return;
    const step = stepParam === undefined ? 15 : Number(stepParam);
    if (!Number.isInteger(step) || step < 1 || step > 3600) {
      return sendError(res, 400, ErrorCode.BadUserInput, 'step is whole seconds between 1 and 3600', {
        fields: [{ field: 'step', message: 'whole seconds between 1 and 3600' }],
      });
    }
    const stream = await this.events.readStream(id, { limit: 100_000 });
    const requested = stream.find((e) => e.type === 'RolloutRequested');
    if (!requested) return sendError(res, 404, ErrorCode.NotFound, `rollout "${id}" does not exist`);
    const service = String(requested.data.service);
    const all = (requested.data.regions as string[] | undefined) ?? [];
    // the rollout's own region order: the regions of one wave are pushed at once, in any order
    const pushed = new Set(stream.filter((e) => e.type === 'RegionConfigPushed').map((e) => String(e.data.region)));
    const changed = [...all.filter((r) => pushed.has(r)), ...[...pushed].filter((r) => !all.includes(r))];
    const firstPush = stream.find((e) => e.type === 'RegionConfigPushed')?.recordedAt ?? requested.recordedAt;
    const last = stream.at(-1)!;
    const finished = /^(RolloutSucceeded|RolloutRolledBack|RolloutFailed|RolloutAbandoned)$/.test(last.type);
    const start = Math.floor(firstPush.getTime() / 1000) - LEAD_SECONDS;
    const end = Math.ceil((finished ? last.recordedAt.getTime() : Date.now()) / 1000);
    const span = Math.max(step, end - start);
    const effectiveStep = Math.max(step, Math.ceil(span / MAX_POINTS));
    const range = `${Math.max(60, effectiveStep * 2)}s`;
    const fill = (template: string) => template.replaceAll('{{service}}', service).replaceAll('{{range}}', range);
    try {
      const prometheus = new PrometheusClient(this.config.prometheus);
      const [errors, requests] = await Promise.all(
        [this.config.insight.errorsQuery, this.config.insight.requestsQuery].map((q) =>
          prometheus.queryRange(fill(q), { start, end, step: effectiveStep }, TIMEOUT_MS),
        ),
      );
      const ratio = (regions: string[]) => seriesRatio(errors, requests, new Set(regions));
      const unchanged = all.filter((r) => !changed.includes(r));
      res.set('cache-control', 'no-store').json({
        service,
        step: effectiveStep,
        start,
        end,
        changed: { regions: changed, points: ratio(changed) },
        unchanged: { regions: unchanged, points: ratio(unchanged) },
      });
    } catch (err) {
      // refused credentials keep their code: a setting to fix, not an outage to wait out
      const refused = isSluiceError(err) && err.code === ErrorCode.MonitoringUnauthorized;
      sendError(
        res,
        502,
        refused ? ErrorCode.MonitoringUnauthorized : ErrorCode.MetricsUnavailable,
        (err as Error).message,
      );
    }
  }
}

/** Sum of errors over sum of requests across `regions`, per timestamp; null where nothing was served. */
export function seriesRatio(
  errors: PromSeries[],
  requests: PromSeries[],
  regions: Set<string>,
): Array<[number, number | null]> {
  const sum = (matrix: PromSeries[]) => {
    const byTime = new Map<number, number>();
    for (const series of matrix) {
      if (!regions.has(series.labels.region)) continue;
      for (const [t, v] of series.values) byTime.set(t, (byTime.get(t) ?? 0) + (Number(v) || 0));
    }
    return byTime;
  };
  const e = sum(errors);
  const r = sum(requests);
  return [...r.keys()].sort((a, b) => a - b).map((t) => [t, r.get(t)! > 0 ? (e.get(t) ?? 0) / r.get(t)! : null]);
}
