import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { z } from 'zod';
import { loadDatabaseUrl, loadEnv, loadTemporalSettings } from '../../../libs/platform/src/config';
import { createLogger } from '../../../libs/platform/src/logger';
import { createSluiceWorker } from './worker';
import { loadInsightOptions } from '../../../libs/insight/src/insight-options';

async function main(): Promise<void> {
  const log = createLogger('worker');
  // The SDK's own log (bundling, worker state) only from WARN up unless asked for.
  Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_SDK_LOG_LEVEL ?? 'WARN') as LogLevel) });
  const temporal = loadTemporalSettings();
  const { PROMETHEUS_URL, ALERTMANAGER_URL, WORKER_METRICS_PORT } = loadEnv({
    PROMETHEUS_URL: z.url().default('http://127.0.0.1:9090'),
    ALERTMANAGER_URL: z.url().default('http://127.0.0.1:9093'),
    WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  });
  const sluiceWorker = await createSluiceWorker({
    temporal,
    databaseUrl: loadDatabaseUrl(),
    prometheusUrl: PROMETHEUS_URL,
    alertmanagerUrl: ALERTMANAGER_URL,
    metricsPort: WORKER_METRICS_PORT,
    insight: loadInsightOptions(),
  });
  log.info(
    { address: temporal.address, taskQueue: temporal.taskQueue, metrics: `${sluiceWorker.metricsUrl}/metrics` },
    'worker polling',
  );
  // The SDK drains in-flight tasks on SIGINT/SIGTERM by itself; run() returns once it has.
  await sluiceWorker.run();
  log.info('worker stopped');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
