import type { AppStack } from './app-stack';
import { graphql } from './graphql-client';

export interface RegionFixture {
  name: string;
  tier?: 'CANARY' | 'STANDARD' | 'HEAVY';
  weight?: number;
  pair?: string;
}

/**
 * Registers `service` (as admin) with regions served by the stack's region-sim. Plain names
 * become a canary first region followed by standard ones.
 */
export async function registerService(
  stack: AppStack,
  service: string,
  regions: Array<string | RegionFixture>,
): Promise<void> {
  const res = await graphql(
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
        name: service,
        regions: regions.map((r, i) => {
          const region: RegionFixture = typeof r === 'string' ? { name: r, tier: i === 0 ? 'CANARY' : 'STANDARD' } : r;
          return { ...region, endpoint: `${stack.regionSim.url}/regions/${region.name}` };
        }),
      },
    },
    'admin',
  );
  if (res.errors) throw new Error(`registering ${service} failed: ${JSON.stringify(res.errors)}`);
}
