import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startAppStack, type AppStack } from '../support/app-stack';
import { graphql } from '../support/graphql-client';

const checkout = readFileSync(join(projectRoot(__dirname), 'test/scenarios/checkout.scenario.ts'), 'utf8');
const REGISTER = /* GraphQL */ `
  mutation ($input: RegisterServiceInput!) {
    registerService(input: $input) {
      scenarios {
        name
        version
        timeoutSeconds
      }
      customerProfiles {
        customer
        attributes
        credentials
      }
    }
  }
`;

/** Customer scenarios belong to the service: registered with it, checked by Playwright on the way in. */
describe('customer scenarios on a service (real stack, real Playwright)', () => {
  let stack: AppStack;
  beforeAll(async () => {
    stack = await startAppStack({ regions: ['sc-canary-1'] });
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const service = (name: string, scenarios: unknown[]) => ({
    name,
    regions: [
      {
        name: 'sc-canary-1',
        tier: 'CANARY',
        endpoint: `${stack.regionSim.url}/regions/sc-canary-1`,
        customers: ['acme'],
      },
    ],
    scenarios,
    customerProfiles: [
      { customer: 'acme', attributes: { plan: 'enterprise' }, credentials: { authorization: 'ACME_TOKEN' } },
    ],
  });

  it('registers a scenario with its version, and the profile with its credentials by reference', async () => {
    const res = await graphql(
      stack.gateway.url,
      REGISTER,
      { input: service('shop', [{ name: 'checkout', source: checkout }]) },
      'admin',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      registerService: {
        scenarios: [{ name: 'checkout', version: expect.stringMatching(/^[0-9a-f]{12}$/), timeoutSeconds: 60 }],
        customerProfiles: [
          { customer: 'acme', attributes: { plan: 'enterprise' }, credentials: { authorization: 'ACME_TOKEN' } },
        ],
      },
    });
  });

  it('refuses a file with a syntax error or no tests, with Playwright’s error, and registers nothing', async () => {
    const res = await graphql(
      stack.gateway.url,
      REGISTER,
      {
        input: service('shop-bad', [
          { name: 'broken', source: "import { test } from '@playwright/test';\ntest('x', async () => {" },
          { name: 'empty', source: "import { test } from '@playwright/test';\n" },
        ]),
      },
      'admin',
    );
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const fields = res.errors?.[0].extensions?.fields as Array<{ field: string; message: string }>;
    expect(fields.map((f) => f.field)).toEqual(['scenarios.0.source', 'scenarios.1.source']);
    expect(fields[0].message).toMatch(/^broken: .*(SyntaxError|Unexpected token|expected)/is);
    expect(fields[1].message).toBe('empty: Error: No tests found');
    const lookup = await graphql(stack.gateway.url, '{ service(name: "shop-bad") { name } }');
    expect(lookup.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
