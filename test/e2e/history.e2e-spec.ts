import { WorkflowNotFoundError } from '@temporalio/client';
import { startAppStack, type AppStack } from '../support/app-stack';
import { registerService } from '../support/fixtures';
import { eventually, graphql, readUntil } from '../support/graphql-client';

const REGIONS = ['hx-canary-1', 'hx-west-1', 'hx-east-1'];

interface EventPage {
  rolloutEvents: {
    edges: Array<{ cursor: string; node: { position: number; type: string } }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

describe('history outlives Temporal: queries after the workflow is deleted', () => {
  let stack: AppStack;
  const service = `ledger-${Date.now()}`;
  let rolloutId = '';
  let startedAt: Date;

  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS });
    await registerService(stack, service, REGIONS);
    startedAt = new Date(Date.now() - 1_000);
    const started = await graphql<{ startRollout: { id: string; workflowId: string; runId: string } }>(
      stack.gateway.url,
      /* GraphQL */ `
        mutation ($input: StartRolloutInput!) {
          startRollout(input: $input) {
            id
            workflowId
            runId
          }
        }
      `,
      {
        input: {
          service,
          version: 'v10',
          config: { ledger: 'fast' },
          strategy: { canaryMaxShare: 0.4, growthFactor: 3, bakeSeconds: 0, approvalAfterCanary: false },
        },
      },
      'dana',
    );
    expect(started.errors).toBeUndefined();
    const { id, workflowId, runId } = started.data!.startRollout;
    rolloutId = id;
    const handle = stack.temporal.workflow.getHandle(workflowId, runId);
    expect(await handle.result()).toMatchObject({ status: 'SUCCEEDED' });

    // Gone from Temporal, as after its retention period.
    await stack.temporal.workflowService.deleteWorkflowExecution({
      namespace: stack.settings.namespace,
      workflowExecution: { workflowId, runId },
    });
    // Deletion is asynchronous: the dev server gets to it after about half a minute.
    await eventually(
      async () =>
        await handle.describe().then(
          () => undefined,
          (err: unknown) => (err instanceof WorkflowNotFoundError ? true : undefined),
        ),
      { what: 'Temporal to forget the workflow', timeoutMs: 120_000, intervalMs: 1_000 },
    );
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const gql = <T>(query: string, variables: Record<string, unknown> = {}) =>
    graphql<T>(stack.gateway.url, query, variables);

  it('still answers rollout(id) with its status and every event', async () => {
    const res = await gql<{
      rollout: { status: string; requestedBy: string; finishedAt: string; events: Array<{ type: string }> };
    }>(
      /* GraphQL */ `
        query ($id: ID!) {
          rollout(id: $id) {
            status
            requestedBy
            finishedAt
            events {
              type
            }
          }
        }
      `,
      { id: rolloutId },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.rollout).toMatchObject({ status: 'SUCCEEDED', requestedBy: 'dana' });
    expect(res.data!.rollout.finishedAt).not.toBeNull();
    expect(res.data!.rollout.events.at(-1)?.type).toBe('RolloutSucceeded');
  });

  it('pages through rolloutEvents with cursors, without gaps or repeats', async () => {
    const query = /* GraphQL */ `
      query ($id: ID!, $after: String) {
        rolloutEvents(id: $id, first: 4, after: $after) {
          edges {
            cursor
            node {
              position
              type
            }
          }
          pageInfo {
            hasNextPage
            endCursor
          }
        }
      }
    `;
    const positions: number[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res: Awaited<ReturnType<typeof gql<EventPage>>> = await gql<EventPage>(query, { id: rolloutId, after });
      expect(res.errors).toBeUndefined();
      positions.push(...res.data!.rolloutEvents.edges.map((e) => e.node.position));
      if (!res.data!.rolloutEvents.pageInfo.hasNextPage) break;
      after = res.data!.rolloutEvents.pageInfo.endCursor;
    }
    expect(positions.length).toBeGreaterThan(8);
    expect(positions).toEqual(positions.map((_, i) => i + 1));
  });

  it('lists it in rollouts(filter) and shows what each region serves and what changed there', async () => {
    await eventually(
      async () => {
        const res = await gql<{ rollouts: { edges: Array<{ node: { id: string; status: string } }> } }>(
          /* GraphQL */ `
            query ($service: String!) {
              rollouts(filter: { service: $service, status: SUCCEEDED }, first: 5) {
                edges {
                  node {
                    id
                    status
                  }
                }
              }
            }
          `,
          { service },
        );
        return res.data?.rollouts.edges.some((e) => e.node.id === rolloutId) ? true : undefined;
      },
      { what: 'the rollouts projection' },
    );

    // each projection keeps its own checkpoint: region_versions and region_changes catch up
    // after rollouts, not with it
    const regionVersions = async () =>
      (
        await gql<{ regionVersions: Array<{ region: string; version: string; rolloutId: string }> }>(
          /* GraphQL */ `
            query ($service: String!) {
              regionVersions(service: $service) {
                region
                version
                rolloutId
              }
            }
          `,
          { service },
        )
      ).data!.regionVersions;
    const versions = await readUntil(
      regionVersions,
      (rows) => rows.length === REGIONS.length && rows.every((v) => v.rolloutId === rolloutId),
      { what: 'region_versions to show the rollout in every region' },
    );
    expect(versions.map((v) => [v.region, v.version, v.rolloutId])).toEqual(
      [...REGIONS].sort().map((r) => [r, 'v10', rolloutId]),
    );

    const changesInWest = async () =>
      (
        await gql<{ changes: Array<{ kind: string; toVersion: string; actor: string; rolloutId: string }> }>(
          /* GraphQL */ `
            query ($region: String!, $from: DateTime!, $to: DateTime!) {
              changes(region: $region, from: $from, to: $to) {
                kind
                toVersion
                actor
                rolloutId
              }
            }
          `,
          { region: 'hx-west-1', from: startedAt.toISOString(), to: new Date(Date.now() + 60_000).toISOString() },
        )
      ).data!.changes;
    const changes = await readUntil(changesInWest, (rows) => rows.length > 0, {
      what: 'region_changes to show the push to hx-west-1',
    });
    expect(changes).toEqual([{ kind: 'PUSH', toVersion: 'v10', actor: 'dana', rolloutId }]);
  });

  it('says the live view is over, and refuses bad paging input with BAD_USER_INPUT', async () => {
    const live = await gql(
      /* GraphQL */ `
        query ($id: ID!) {
          rolloutLive(id: $id) {
            status
          }
        }
      `,
      { id: rolloutId },
    );
    expect(live.errors?.[0].extensions?.code).toBe('INVALID_STATE');
    const badCursor = await gql(
      /* GraphQL */ `
        query ($id: ID!) {
          rolloutEvents(id: $id, after: "nonsense") {
            edges {
              cursor
            }
          }
        }
      `,
      { id: rolloutId },
    );
    expect(badCursor.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'after' }] });
    const tooMany = await gql(/* GraphQL */ `
      {
        rollouts(first: 501) {
          edges {
            cursor
          }
        }
      }
    `);
    expect(tooMany.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'first' }] });
  });
});
