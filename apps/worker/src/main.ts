// first: the instrumentations patch pg and http as they load
import '../../../libs/platform/src/instrumentation';
import { Runtime } from '@temporalio/worker';
import { createLogger, exitOnFatal, exitOnUncaught } from '../../../libs/platform/src/logger';
import { PinoTemporalLogger } from '../../../libs/platform/src/temporal-logger';
import { sdkTelemetryOptions } from './sdk-metrics';
import { createSluiceWorker } from './worker';
import { loadWorkerConfig } from './worker.config';

async function main(): Promise<void> {
  const log = createLogger('worker');
  const config = loadWorkerConfig();
  Runtime.install({
    // The SDK's own log (bundling, worker state) and workflows' log calls, as JSON lines from
    // TEMPORAL_SDK_LOG_LEVEL (default WARN) up.
    logger: new PinoTemporalLogger(log),
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

const fatalLog = createLogger('worker');
exitOnUncaught(fatalLog);
main().catch(exitOnFatal(fatalLog, 'worker failed'));
