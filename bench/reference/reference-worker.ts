import { NativeConnection, Worker } from '@temporalio/worker';
import { referenceActivities } from './reference.activities';

export const REFERENCE_TASK_QUEUE = 'bench-reference';

/** A worker for the reference workflows, in the benchmark's own process. */
export async function startReferenceWorker(address: string): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue: REFERENCE_TASK_QUEUE,
    workflowsPath: require.resolve('./reference.workflows'),
    activities: referenceActivities,
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
