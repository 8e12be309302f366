// first: the instrumentations patch pg and http as they load
import '../../../libs/platform/src/instrumentation';
import { Runtime } from '@temporalio/worker';
import { createLogger, exitOnFatal, exitOnUncaught } from '../../../libs/platform/src/logger';
import { PinoTemporalLogger } from '../../../libs/platform/src/temporal-logger';
import { createSluiceWorker } from './worker';
import { loadWorkerConfig } from './worker.config';

async function main(): Promise<void> {
  const log = createLogger('worker');
  // The SDK's own log (bundling, worker state) and workflows' log calls, as JSON lines from
  // TEMPORAL_SDK_LOG_LEVEL (default WARN) up.
  Runtime.install({ logger: new PinoTemporalLogger(log) });
  const config = loadWorkerConfig();
  const { temporal } = config;
  const sluiceWorker = await createSluiceWorker(config);
  log.info(
    { address: temporal.address, taskQueue: temporal.taskQueue, metrics: `${sluiceWorker.metricsUrl}/metrics` },
    'worker polling',
  );
  // The SDK drains in-flight tasks on SIGINT/SIGTERM by itself; run() returns once it has.
  await sluiceWorker.run();
  log.info('worker stopped');
}

const fatalLog = createLogger('worker');
exitOnUncaught(fatalLog);
main().catch(exitOnFatal(fatalLog, 'worker failed'));
