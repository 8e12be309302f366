import {
  Controller,
  Get,
  Header,
  Inject,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LiveEvents } from '../../../../libs/event-store/src';
import { exposition } from '../../../../libs/platform/src/metrics-exposition';
import { registerProcessMetrics } from '../../../../libs/platform/src/process-metrics';
import type { GatewayConfig } from '../gateway.config';
import { GATEWAY_SETTINGS, LIVE_EVENTS, METRICS_REGISTRY, PG_POOL, TEMPORAL_CLIENT } from '../gateway.tokens';
import { DependencyMetrics } from './dependency-metrics';

/** Default of GATEWAY_METRICS_REFRESH_SECONDS: how often dependency-backed metrics are read. */
export const DEFAULT_METRICS_REFRESH_SECONDS = 15;

/**
 * `GET /metrics` in Prometheus text format. A scrape never waits on PostgreSQL or Temporal:
 * what comes from them is read in the background ({@link DependencyMetrics}), and a metric
 * that still reads at scrape time gets a deadline ({@link exposition}).
 */
@Controller('metrics')
export class MetricsController implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly dependencies: DependencyMetrics;

  constructor(
    @Inject(TEMPORAL_CLIENT) temporal: Client,
    @Inject(PG_POOL) pool: Pool,
    @Inject(GATEWAY_SETTINGS) settings: GatewayConfig,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(LIVE_EVENTS) live: LiveEvents,
  ) {
    registerProcessMetrics(this.registry);
    this.dependencies = new DependencyMetrics(temporal, pool, this.registry, {
      intervalMs: (settings.metricsRefreshSeconds ?? DEFAULT_METRICS_REFRESH_SECONDS) * 1000,
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

  onApplicationBootstrap(): void {
    this.dependencies.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dependencies.stop();
  }

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return exposition(this.registry);
  }
}
