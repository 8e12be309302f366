// first: the instrumentations patch pg and http as they load
import '../../../libs/platform/src/instrumentation';
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { createLogger } from '../../../libs/platform/src/logger';
import { createSluiceWorker } from './worker';
import { loadWorkerConfig } from './worker.config';

async function main(): Promise<void> {
  const log = createLogger('worker');
  // The SDK's own log (bundling, worker state) only from WARN up unless asked for.
  Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_SDK_LOG_LEVEL ?? 'WARN') as LogLevel) });
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

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
