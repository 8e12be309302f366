/** What the fixtures need of a stack: the gateway to call and the region-sim regions live on. */
export interface StackUrls {
  gateway: { url: string };
  regionSim: { url: string };
}
import { eventually, graphql } from './graphql-client';

export interface RegionFixture {
  name: string;
  tier?: 'CANARY' | 'STANDARD' | 'HEAVY';
  weight?: number;
  pair?: string;
  customers?: string[];
}

/**
 * Registers `service` (as admin) with regions served by the stack's region-sim. Plain names
 * become a canary first region followed by standard ones.
 */
export async function registerService(
  stack: StackUrls,
  service: string,
  regions: Array<string | RegionFixture>,
  /** Another region-sim than the stack's (one per service, for metrics labelled by service). */
  regionSimUrl = stack.regionSim.url,
  /** More of the service's fields (scenarios, customer profiles, policies). */
  fields: Record<string, unknown> = {},
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
          return { ...region, endpoint: `${regionSimUrl}/regions/${region.name}` };
        }),
        ...fields,
      },
    },
    'admin',
  );
  if (res.errors) throw new Error(`registering ${service} failed: ${JSON.stringify(res.errors)}`);
}

export interface RolloutView {
  status: string;
  stopReason: string | null;
  events: Array<{ type: string; data: Record<string, unknown> }>;
}

/** Starts a rollout through GraphQL as `as` and returns its id; fails the spec on any error. */
export async function startRollout(stack: StackUrls, input: Record<string, unknown>, as = 'alice'): Promise<string> {
  const res = await graphql<{ startRollout: { id: string } }>(
    stack.gateway.url,
    /* GraphQL */ `
      mutation ($input: StartRolloutInput!) {
        startRollout(input: $input) {
          id
        }
      }
    `,
    { input },
    as,
  );
  if (res.errors) throw new Error(`startRollout failed: ${JSON.stringify(res.errors)}`);
  return res.data!.startRollout.id;
}

export async function readRollout(stack: StackUrls, id: string): Promise<RolloutView> {
  const res = await graphql<{ rollout: RolloutView }>(
    stack.gateway.url,
    `{ rollout(id: "${id}") { status stopReason events { type data } } }`,
  );
  if (res.errors) throw new Error(`rollout(${id}) failed: ${JSON.stringify(res.errors)}`);
  return res.data!.rollout;
}

/** Polls the rollout until its status is one of `statuses`. */
export function waitForRollout(
  stack: StackUrls,
  id: string,
  statuses: string[],
  timeoutMs = 90_000,
): Promise<RolloutView> {
  return eventually(
    async () => {
      const rollout = await readRollout(stack, id);
      return statuses.includes(rollout.status) ? rollout : undefined;
    },
    { what: `rollout ${id} to be ${statuses.join(' or ')}`, timeoutMs, intervalMs: 500 },
  );
}

/** Polls until the rollout waits for a person's approval (its ApprovalRequested is recorded). */
export function waitForApproval(stack: StackUrls, id: string, timeoutMs = 60_000): Promise<RolloutView> {
  return eventually(
    async () => {
      const rollout = await readRollout(stack, id);
      return rollout.events.some((e) => e.type === 'ApprovalRequested') ? rollout : undefined;
    },
    { what: `rollout ${id} to await approval`, timeoutMs, intervalMs: 300 },
  );
}
