import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { Gauge, collectDefaultMetrics, type Registry } from 'prom-client';
import type { GatewayConfig } from '../gateway.config';
import { GATEWAY_SETTINGS, METRICS_REGISTRY, TEMPORAL_CLIENT } from '../gateway.tokens';

/** Visibility query for rollouts stuck in a failed rollback: running workflows waiting for a person. */
export const ROLLBACK_FAILED_QUERY = `SluiceStatus = "ROLLBACK_FAILED" AND ExecutionStatus = "Running"`;

/** `GET /metrics` in Prometheus text format. */
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(TEMPORAL_CLIENT) temporal: Client,
    @Inject(GATEWAY_SETTINGS) settings: GatewayConfig,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
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
  }

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
