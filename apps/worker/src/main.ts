import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { createLogger } from '../../../libs/platform/src/logger';
import { sdkTelemetryOptions } from './sdk-metrics';
import { createSluiceWorker } from './worker';
import { loadWorkerConfig } from './worker.config';

async function main(): Promise<void> {
  const log = createLogger('worker');
  const config = loadWorkerConfig();
  Runtime.install({
    // The SDK's own log (bundling, worker state) only from WARN up unless asked for.
    logger: new DefaultLogger((process.env.TEMPORAL_SDK_LOG_LEVEL ?? 'WARN') as LogLevel),
    telemetryOptions: sdkTelemetryOptions(config.sdkMetricsPort, config.metricsHost),
  });
  const { temporal } = config;
  const sluiceWorker = await createSluiceWorker(config);
  log.info(
    {
      address: temporal.address,
      taskQueue: temporal.taskQueue,
      metrics: `${sluiceWorker.metricsUrl}/metrics`,
      healthz: `${sluiceWorker.metricsUrl}/healthz`,
      ...(config.sdkMetricsPort ? { sdkMetrics: `http://${config.metricsHost}:${config.sdkMetricsPort}/metrics` } : {}),
    },
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
