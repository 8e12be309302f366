import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { Counter, Gauge, collectDefaultMetrics, type Registry } from 'prom-client';
import type { LiveEvents } from '../../../../libs/event-store/src';
import type { GatewayConfig } from '../gateway.config';
import { GATEWAY_SETTINGS, LIVE_EVENTS, METRICS_REGISTRY, TEMPORAL_CLIENT } from '../gateway.tokens';

/** Visibility query for rollouts stuck in a failed rollback: running workflows waiting for a person. */
export const ROLLBACK_FAILED_QUERY = `SluiceStatus = "ROLLBACK_FAILED" AND ExecutionStatus = "Running"`;

/** `GET /metrics` in Prometheus text format. */
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(TEMPORAL_CLIENT) temporal: Client,
    @Inject(GATEWAY_SETTINGS) settings: GatewayConfig,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(LIVE_EVENTS) live: LiveEvents,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'sluice_gateway_' });
    new Gauge({
      name: 'sluice_rollouts_rollback_failed',
      help: 'Rollouts whose rollback could not finish and that wait for a person (retryRollback, resolveRegion, abandonRollout). Page on > 0.',
      labelNames: ['namespace'],
      registers: [this.registry],
      async collect() {
        const { count } = await temporal.workflow.count(ROLLBACK_FAILED_QUERY);
        this.set({ namespace: settings.temporal.namespace }, count);
      },
    });
    let counted = 0;
    new Counter({
      name: 'sluice_live_event_queries_total',
      help: 'Queries live delivery of rollout events sent to PostgreSQL: stored history, shared reads, head checks. About 0.2/s while nothing happens.',
      registers: [this.registry],
      collect() {
        this.inc(live.queries - counted);
        counted = live.queries;
      },
    });
    new Gauge({
      name: 'sluice_live_event_streams',
      help: 'Rollouts followed live now through rolloutEvents subscriptions.',
      registers: [this.registry],
      collect() {
        this.set(live.watchedStreams);
      },
    });
    new Gauge({
      name: 'sluice_live_events_listening',
      help: '1 while the gateway LISTENs for appends; 0 while it reconnects (live events then arrive within 5 s).',
      registers: [this.registry],
      collect() {
        this.set(live.listening ? 1 : 0);
      },
    });
  }

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
