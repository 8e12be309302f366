import { z } from 'zod';
import { loadInsightOptions } from '../../../libs/insight/src/insight-options';
import { loadDatabaseUrl, loadEnv, loadPoolSize, loadTemporalSettings } from '../../../libs/platform/src/config';
import { loadEndpointPolicy } from '../../../libs/targets/src/endpoint-policy';
import { loadMonitoringConnection } from '../../../libs/targets/src/monitoring-connection';
import type { SluiceWorkerOptions } from './worker';

/**
 * The worker's settings from the environment, validated at start-up; an invalid value stops
 * the process with a message naming the variable.
 */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): SluiceWorkerOptions {
  const c = loadEnv(
    {
      WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
      WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(1).max(3_600).default(30),
      SLUICE_WORKFLOW_BUNDLE: z.string().min(1).optional(),
    },
    env,
  );
  return {
    temporal: loadTemporalSettings(env),
    databaseUrl: loadDatabaseUrl(env),
    poolSize: loadPoolSize(env),
    prometheus: loadMonitoringConnection('PROMETHEUS', env),
    alertmanager: loadMonitoringConnection('ALERTMANAGER', env),
    metricsPort: c.WORKER_METRICS_PORT,
    shutdownGraceSeconds: c.WORKER_SHUTDOWN_GRACE_SECONDS,
    workflowBundlePath: c.SLUICE_WORKFLOW_BUNDLE,
    insight: loadInsightOptions(env),
    endpointPolicy: loadEndpointPolicy(env),
  };
}
