import { NativeConnection, Worker } from '@temporalio/worker';
import { PgEventStore } from '../../../libs/event-store/src';
import type { TemporalSettings } from '../../../libs/platform/src/config';
import { createLogger } from '../../../libs/platform/src/logger';
import { createPgPool } from '../../../libs/platform/src/pg-pool';
import { HttpRegionClient } from '../../../libs/targets/src';
import { createActivities } from './activities';

export interface SluiceWorkerOptions {
  temporal: TemporalSettings;
  databaseUrl: string;
}

export interface SluiceWorker {
  worker: Worker;
  /** Runs until {@link SluiceWorker.shutdown}, then releases its connections. */
  run(): Promise<void>;
  shutdown(): void;
}

export async function createSluiceWorker(options: SluiceWorkerOptions): Promise<SluiceWorker> {
  const pool = createPgPool(options.databaseUrl, createLogger('worker'));
  const connection = await NativeConnection.connect({ address: options.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: options.temporal.namespace,
    taskQueue: options.temporal.taskQueue,
    workflowsPath: require.resolve('../../../workflows'),
    activities: createActivities({ eventStore: new PgEventStore(pool), regions: new HttpRegionClient() }),
  });
  return {
    worker,
    async run() {
      try {
        await worker.run();
      } finally {
        await connection.close();
        await pool.end();
      }
    },
    shutdown: () => worker.shutdown(),
  };
}
