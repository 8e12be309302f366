import { connectivityState, type Client } from '@grpc/grpc-js';
import { SMALL_FLEET, SMALL_FLEET_WAVES, startWorkflowHarness, type WorkflowHarness } from './workflow-harness';

/**
 * The time-skipping test server can leak a lock on skipping (an activity cancelled after its
 * retry was queued, or still outstanding when its workflow completed); from then on every bake
 * waits in real time. CI saw a rollout's hour of bake hang a spec that way. A leaked lock is
 * made here by taking one more lock than any workflow holds.
 */
describe('the workflow harness when its test server stops skipping time', () => {
  let h: WorkflowHarness;
  beforeAll(async () => {
    h = await startWorkflowHarness(SMALL_FLEET);
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => h.reset(1));

  it('keeps a server that still skips: two rollouts in a row run on one server', async () => {
    const server = h.env;
    expect((await (await h.start({ waves: SMALL_FLEET_WAVES })).result()).status).toBe('SUCCEEDED');
    h.reset(2);
    expect((await (await h.start({ waves: SMALL_FLEET_WAVES })).result()).status).toBe('SUCCEEDED');
    expect(h.env).toBe(server);
  });

  it('starts the next rollout on a fresh server when a leaked lock holds skipping, and its hour of bake passes in moments', async () => {
    const stuck = h.env;
    await stuck.connection.testService!.lockTimeSkipping({});
    const handle = await h.start({ waves: SMALL_FLEET_WAVES });
    expect(h.env).not.toBe(stuck);
    expect((await handle.result()).status).toBe('SUCCEEDED');
    expect((await h.events((await h.live(handle)).rolloutId)).at(-1)?.type).toBe('RolloutSucceeded');
  });

  it('releases a lock leaked inside a rollout while the spec waits on it: its hour of bake still passes in moments', async () => {
    const handle = await h.start({ waves: SMALL_FLEET_WAVES });
    await h.waitFor(handle, (s) => s.wave === 2 && s.phase === 'BAKING', 'wave 2 to bake');
    // the lock a run leaves when its evaluation waits to retry as it stops or hands over
    await h.env.connection.testService!.lockTimeSkipping({});
    const started = Date.now();
    expect((await handle.result()).status).toBe('SUCCEEDED');
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);

  /**
   * The test server's gRPC server lets a client ping once in 5 minutes, and only while a call is
   * open. A connection that pings more often is closed (GOAWAY, too_many_pings) after three
   * early pings, cutting the calls on it. The SDK retries them, so a lock or unlock on skipping
   * that the server had already counted is counted twice. CI saw a spec's time skip through a
   * bake it should have held, and then stop skipping.
   */
  it('its connection to the test server stays up through an idle longer than the server allows pings for', async () => {
    // the connection's gRPC client is protected in the SDK's types: its channel's state is the evidence
    const channel = (h.env.connection as unknown as { client: Client }).client.getChannel();
    expect(channel.getConnectivityState(false)).toBe(connectivityState.READY);
    await new Promise((resolve) => setTimeout(resolve, 100_000));
    expect(channel.getConnectivityState(false)).toBe(connectivityState.READY);
  }, 150_000);
});
