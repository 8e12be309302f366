import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService, waitForApproval } from '../support/fixtures';
import { graphql, readUntil } from '../support/graphql-client';
import { tokenOf } from '../support/test-tokens';

const REGIONS = ['lv-canary-1', 'lv-west-1', 'lv-west-2'];

interface StreamedEvent {
  position: number;
  type: string;
}

describe('following a rollout live over graphql-ws, and the API limits', () => {
  let stack: AppStack;
  const service = `live-${Date.now()}`;
  const clients: Client[] = [];

  const wsClient = (token: string | null) => {
    const client = createClient({
      url: `${stack.gateway.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(client);
    return client;
  };

  /** Follows the rollout's events: `received` fills as they arrive; `done` gives them all once it completes. */
  const follow = (id: string, after?: string) => {
    const received: StreamedEvent[] = [];
    const subscription = wsClient(tokenOf('viewer')).iterate<{ rolloutEvents: StreamedEvent }>({
      query: 'subscription($id: ID!, $after: String) { rolloutEvents(id: $id, after: $after) { position type } }',
      variables: { id, after },
    });
    const done = (async () => {
      for await (const next of subscription) {
        if (next.errors) throw new Error(JSON.stringify(next.errors));
        received.push(next.data!.rolloutEvents);
      }
      return received;
    })();
    return { received, done };
  };

  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS });
    await registerService(stack, service, REGIONS);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await stack?.stop();
  });

  it('streams the stored history and then the live events through to the rollback, without gaps or repeats', async () => {
    await fetch(`${stack.regionSim.url}/regions/lv-west-2/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ probeStatus: 503 }),
    });
    const started = await graphql<{ startRollout: { id: string } }>(
      stack.gateway.url,
      /* GraphQL */ `
        mutation ($input: StartRolloutInput!) {
          startRollout(input: $input) {
            id
          }
        }
      `,
      {
        input: {
          service,
          version: 'v1',
          config: { x: 1 },
          strategy: { canaryMaxShare: 0.4, growthFactor: 4, bakeSeconds: 0, approvalAfterCanary: true },
          gates: [{ kind: 'probe', name: 'probe', path: '/probe' }],
        },
      },
      'alice',
    );
    const id = started.data!.startRollout.id;
    // nothing more is recorded until the approval
    const storedBefore = (await waitForApproval(stack, id)).events.length;

    // one subscriber from the start, one picking up after position 3: both open mid-rollout,
    // and both have the stored history before the approval records anything new
    const fromStart = follow(id);
    // the subscription takes the same cursors as the query
    const page = await graphql<{ rolloutEvents: { pageInfo: { endCursor: string } } }>(
      stack.gateway.url,
      `{ rolloutEvents(id: "${id}", first: 3) { pageInfo { endCursor } } }`,
    );
    const fromThree = follow(id, page.data!.rolloutEvents.pageInfo.endCursor);
    await readUntil(
      async () => [fromStart.received.length, fromThree.received.length],
      ([all, tail]) => all >= storedBefore && tail >= storedBefore - 3,
      { what: `both subscribers to receive the ${storedBefore} stored events (from the start, after 3)` },
    );
    const approved = await graphql(
      stack.gateway.url,
      `mutation { approveWave(id: "${id}", wave: 1) { status } }`,
      {},
      'bob',
    );
    expect(approved.errors).toBeUndefined();

    const [all, tail] = await Promise.all([fromStart.done, fromThree.done]);
    const stored = await graphql<{ rollout: { status: string; events: Array<{ position: number; type: string }> } }>(
      stack.gateway.url,
      `{ rollout(id: "${id}") { status events { position type } } }`,
    );
    expect(stored.data!.rollout.status).toBe('ROLLED_BACK');
    expect(all).toEqual(stored.data!.rollout.events);
    expect(all.map((e) => e.position)).toEqual(all.map((_, i) => i + 1));
    expect(all.at(-1)?.type).toBe('RolloutRolledBack');
    expect(all.map((e) => e.type)).toEqual(
      expect.arrayContaining(['ApprovalGranted', 'RollbackStarted', 'RegionRolledBack']),
    );
    expect(tail).toEqual(all.slice(3));
  });

  it('refuses a subscription without a valid token (close code 4403)', async () => {
    const closed = new Promise<number>((resolve) => {
      const client = createClient({
        url: `${stack.gateway.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: 'Bearer nope' },
        retryAttempts: 0,
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      clients.push(client);
      client.subscribe(
        { query: 'subscription { rolloutEvents(id: "x") { position } }' },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      );
    });
    expect(await closed).toBe(4403);
  });

  it('refuses queries that are too costly, bodies too large, and bodies that are not JSON', async () => {
    // the deepest real query the API needs is well within the limit
    const real = await graphql(
      stack.gateway.url,
      '{ rollouts(first: 5) { edges { node { events { type } } } pageInfo { endCursor } } }',
    );
    expect(real.errors).toBeUndefined();
    const costly = await graphql(
      stack.gateway.url,
      '{ rollouts(first: 500) { edges { node { id events { type data } } } } }',
    );
    expect(costly.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 5000 });

    const huge = await fetch(`${stack.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf('admin')}` },
      body: JSON.stringify({ query: '{ services { name } }', variables: { blob: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual({
      errors: [{ message: 'the request body is larger than 1mb', extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
    });
    const garbled = await fetch(`${stack.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf('admin')}` },
      body: '{"query": ',
    });
    expect(garbled.status).toBe(400);
    expect(
      ((await garbled.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code,
    ).toBe('BAD_REQUEST');

    const bigConfig = await graphql(
      stack.gateway.url,
      /* GraphQL */ `
        mutation ($input: StartRolloutInput!) {
          startRollout(input: $input) {
            id
          }
        }
      `,
      { input: { service, version: 'v2', config: { blob: 'x'.repeat(300 * 1024) } } },
      'alice',
    );
    expect(bigConfig.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'config' }] });
  });
});
