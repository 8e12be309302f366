import { z } from 'zod';
import { loadInsightOptions } from '../../../libs/insight/src/insight-options';
import {
  ConfigError,
  loadDatabaseUrl,
  loadEnv,
  loadPoolSize,
  loadTemporalSettings,
} from '../../../libs/platform/src/config';
import { loadEndpointPolicy } from '../../../libs/targets/src/endpoint-policy';
import { loadMonitoringConnection } from '../../../libs/targets/src/monitoring-connection';
import { DEFAULT_CONTINUOUS_SCENARIOS } from '../../../libs/scenarios/src/continuous-scenarios';
import type { SluiceWorkerOptions } from './worker';

export interface WorkerConfig extends SluiceWorkerOptions {
  /**
   * Port of the Temporal SDK's own Prometheus metrics (`/metrics` on the metrics host), served
   * by the SDK's core, not by Sluice; 0 turns them off.
   */
  sdkMetricsPort: number;
}

/**
 * The worker's settings from the environment, validated at start-up; an invalid value stops
 * the process with a message naming the variable.
 */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const c = loadEnv(
    {
      WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
      WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
      WORKER_SDK_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
      WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(1).max(3_600).default(30),
      SLUICE_WORKFLOW_BUNDLE: z.string().min(1).optional(),
      SLUICE_SCENARIO_INTERVAL_SECONDS: z.coerce
        .number()
        .int()
        .min(0)
        .max(86_400)
        .default(DEFAULT_CONTINUOUS_SCENARIOS.intervalSeconds),
      SLUICE_SCENARIO_TARGETS_PER_ROUND: z.coerce
        .number()
        .int()
        .min(1)
        .max(1_000)
        .default(DEFAULT_CONTINUOUS_SCENARIOS.targetsPerRound),
      SLUICE_SCENARIO_WORKERS: z.coerce.number().int().min(1).max(16).default(DEFAULT_CONTINUOUS_SCENARIOS.workers),
      SLUICE_SCENARIO_RETENTION_DAYS: z.coerce
        .number()
        .int()
        .min(1)
        .max(3_650)
        .default(DEFAULT_CONTINUOUS_SCENARIOS.retentionDays),
    },
    env,
  );
  if (c.WORKER_SDK_METRICS_PORT !== 0 && c.WORKER_SDK_METRICS_PORT === c.WORKER_METRICS_PORT) {
    throw new ConfigError(
      `Invalid configuration:\n  WORKER_SDK_METRICS_PORT: must differ from WORKER_METRICS_PORT (both ${c.WORKER_METRICS_PORT})`,
    );
  }
  return {
    temporal: loadTemporalSettings(env),
    databaseUrl: loadDatabaseUrl(env),
    poolSize: loadPoolSize(env),
    prometheus: loadMonitoringConnection('PROMETHEUS', env),
    alertmanager: loadMonitoringConnection('ALERTMANAGER', env),
    metricsHost: c.WORKER_METRICS_HOST,
    metricsPort: c.WORKER_METRICS_PORT,
    sdkMetricsPort: c.WORKER_SDK_METRICS_PORT,
    shutdownGraceSeconds: c.WORKER_SHUTDOWN_GRACE_SECONDS,
    workflowBundlePath: c.SLUICE_WORKFLOW_BUNDLE,
    insight: loadInsightOptions(env),
    endpointPolicy: loadEndpointPolicy(env),
    ...(c.SLUICE_SCENARIO_INTERVAL_SECONDS > 0
      ? {
          continuousScenarios: {
            intervalSeconds: c.SLUICE_SCENARIO_INTERVAL_SECONDS,
            targetsPerRound: c.SLUICE_SCENARIO_TARGETS_PER_ROUND,
            workers: c.SLUICE_SCENARIO_WORKERS,
            retentionDays: c.SLUICE_SCENARIO_RETENTION_DAYS,
          },
        }
      : {}),
  };
}
