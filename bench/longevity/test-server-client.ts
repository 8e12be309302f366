import { Connection } from '@temporalio/client';
import { InternalConnectionOptionsSymbol, type InternalConnectionOptions } from '@temporalio/client/lib/connection';
import { msToTs, tsToMs } from '@temporalio/common/lib/time';
import { TimeSkippingWorkflowClient } from '@temporalio/testing';
import { TEST_SERVER_KEEPALIVE } from '../../libs/platform/src/temporal-cli';

/**
 * The bench's own connection to the time-skipping test server, instead of the test
 * environment's. Two things differ, both learnt the hard way:
 * - Keepalive. The SDK pings every 30 s, and the test server (gRPC Java: at most one ping
 *   per 5 minutes) answers too many pings by dropping the connection. A call in flight then
 *   never returns: a one-hour run hung on a query that way.
 * - Message size. The test server sends a run's whole history in one message, several MiB
 *   for a long run; gRPC's default limit is 4 MiB.
 * Every call the bench makes goes through `rpc`, with a deadline, so nothing can hang silently.
 */
export interface TestServerClient {
  connection: Connection;
  /** Starts workflows and awaits their results, letting time skip while it waits (as the SDK's test client). */
  workflows: TimeSkippingWorkflowClient;
  /** Lets `ms` of workflow time pass, skipping whenever nothing is running. */
  sleep(ms: number): Promise<void>;
  /** Workflow time now, in ms. */
  now(): Promise<number>;
  /** Runs `fn` with a deadline on every call it makes. */
  rpc<T>(fn: () => Promise<T>, seconds?: number): Promise<T>;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 1024 * 2 ** 20;
const DEFAULT_DEADLINE_SECONDS = 120;

export async function connectToTestServer(address: string, namespace = 'default'): Promise<TestServerClient> {
  const options: InternalConnectionOptions = {
    address,
    channelArgs: { ...TEST_SERVER_KEEPALIVE, 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES },
    // The SDK's own test environment connects this way (an SDK-internal option, pinned
    // version): only such a connection can make the test service's calls.
    [InternalConnectionOptionsSymbol]: { supportsTestService: true },
  };
  const connection = await Connection.connect(options);
  const testService = connection.testService!;
  const rpc = <T>(fn: () => Promise<T>, seconds = DEFAULT_DEADLINE_SECONDS) =>
    connection.withDeadline(Date.now() + seconds * 1000, fn);
  return {
    connection,
    workflows: new TimeSkippingWorkflowClient({ connection, namespace }),
    sleep: async (ms) => void (await testService.unlockTimeSkippingWithSleep({ duration: msToTs(ms) })),
    now: async () => tsToMs((await rpc(() => testService.getCurrentTime({}))).time),
    rpc,
    close: () => connection.close(),
  };
}
