import { startAppStack, type AppStack } from '../support/app-stack';
import { graphql } from '../support/graphql-client';
import { tokenOf } from '../support/test-tokens';

describe('authentication and roles on every kind of operation', () => {
  let stack: AppStack;
  const service = `auth-${Date.now()}`;

  beforeAll(async () => {
    stack = await startAppStack({ regions: ['au-canary-1', 'au-west-1'] });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const register = (as: string | null, name = service) =>
    graphql(
      stack.gateway.url,
      /* GraphQL */ `
        mutation ($input: RegisterServiceInput!) {
          registerService(input: $input) {
            name
          }
        }
      `,
      {
        input: {
          name,
          regions: [
            { name: 'au-canary-1', endpoint: `${stack.regionSim.url}/regions/au-canary-1`, tier: 'CANARY' },
            { name: 'au-west-1', endpoint: `${stack.regionSim.url}/regions/au-west-1` },
          ],
        },
      },
      as,
    );
  const code = (res: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => res.errors?.[0]?.extensions?.code;

  it('answers UNAUTHENTICATED without a token or with a wrong one', async () => {
    const missing = await graphql(stack.gateway.url, '{ services { name } }', {}, null);
    expect(code(missing)).toBe('UNAUTHENTICATED');
    expect(missing.errors?.[0].message).toBe('send an API token as "Authorization: Bearer <token>"');
    const wrong = await fetch(`${stack.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-real-token' },
      body: JSON.stringify({ query: '{ services { name } }' }),
    });
    expect(
      ((await wrong.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code,
    ).toBe('UNAUTHENTICATED');
  });

  it('lets only admin register services', async () => {
    for (const as of ['viewer', 'alice', 'bob']) expect(code(await register(as, `${service}-${as}`))).toBe('FORBIDDEN');
    expect((await register('admin')).errors).toBeUndefined();
  });

  it('lets every role read', async () => {
    for (const as of ['viewer', 'alice', 'bob', 'admin']) {
      const res = await graphql<{ service: { name: string } }>(
        stack.gateway.url,
        `{ service(name: "${service}") { name } }`,
        {},
        as,
      );
      expect(res.data?.service.name).toBe(service);
    }
  });

  it('lets deployers and admins start rollouts, not viewers or approvers, and records the principal', async () => {
    const start = (as: string) =>
      graphql<{ startRollout: { id: string; requestedBy: string } }>(
        stack.gateway.url,
        /* GraphQL */ `
          mutation ($input: StartRolloutInput!) {
            startRollout(input: $input) {
              id
              requestedBy
            }
          }
        `,
        {
          input: {
            service,
            version: `v-${as}`,
            config: { by: as },
            strategy: { canaryMaxShare: 0.5, bakeSeconds: 0, approvalAfterCanary: false },
          },
        },
        as,
      );
    expect(code(await start('viewer'))).toBe('FORBIDDEN');
    expect(code(await start('bob'))).toBe('FORBIDDEN');
    const started = await start('alice');
    expect(started.errors).toBeUndefined();
    expect(started.data!.startRollout.requestedBy).toBe('alice');
    const rollout = await graphql<{ rollout: { events: Array<{ metadata: { actor: string } }> } }>(
      stack.gateway.url,
      `{ rollout(id: "${started.data!.startRollout.id}") { events { metadata } } }`,
    );
    expect(rollout.data!.rollout.events[0].metadata.actor).toBe('alice');
  });

  it('lets a monitor token halt through the hooks and do nothing else', async () => {
    const hook = await fetch(`${stack.gateway.url}/hooks/halt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf('alertmanager')}` },
      body: JSON.stringify({ service, reason: 'monitor check' }),
    });
    expect(hook.status).toBe(200);
    const read = await graphql(stack.gateway.url, `{ service(name: "${service}") { name } }`, {}, 'alertmanager');
    expect(code(read)).toBe('FORBIDDEN');
    const start = await graphql(
      stack.gateway.url,
      'mutation ($input: StartRolloutInput!) { startRollout(input: $input) { id } }',
      { input: { service, version: 'v-monitor', config: { x: 1 } } },
      'alertmanager',
    );
    expect(code(start)).toBe('FORBIDDEN');
    // a viewer may read but not halt
    const viewerHook = await fetch(`${stack.gateway.url}/hooks/halt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf('viewer')}` },
      body: JSON.stringify({ service, reason: 'viewer check' }),
    });
    expect(viewerHook.status).toBe(403);
  });

  it('keeps retryRollback for admins', async () => {
    const res = await graphql(
      stack.gateway.url,
      `
        mutation {
          retryRollback(id: "nope") {
            status
          }
        }
      `,
      {},
      'alice',
    );
    expect(code(res)).toBe('FORBIDDEN');
    const asAdmin = await graphql(
      stack.gateway.url,
      `
        mutation {
          retryRollback(id: "nope") {
            status
          }
        }
      `,
      {},
      'admin',
    );
    expect(code(asAdmin)).toBe('NOT_FOUND');
  });

  it('keeps the explorer off in production mode, and answers unknown routes with a plain 404', async () => {
    for (const path of ['/explorer', '/explorer/assets/graphiql.js', '/no-such-route']) {
      const res = await fetch(`${stack.gateway.url}${path}`, { signal: AbortSignal.timeout(5_000) });
      expect(res.status).toBe(404);
    }
  });
});
