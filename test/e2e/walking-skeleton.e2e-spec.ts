import { startAppStack, type AppStack } from '../support/app-stack';
import { eventually, graphql } from '../support/graphql-client';
import { closedWorkflow } from '../support/workflow-status';
import { SluiceService, SluiceStatus } from '../../workflows/rollout.search-attributes';

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1', 'ap-south-1'];

const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterServiceInput!) {
    registerService(input: $input) {
      name
      regions {
        name
        endpoint
        tier
        weight
      }
    }
  }
`;
const START = /* GraphQL */ `
  mutation Start($input: StartRolloutInput!) {
    startRollout(input: $input) {
      id
      status
      workflowId
      runId
      events {
        type
      }
    }
  }
`;
const ROLLOUT = /* GraphQL */ `
  query Rollout($id: ID!) {
    rollout(id: $id) {
      id
      service
      stopReason
      version
      status
      requestedBy
      pushedRegions
      events {
        position
        type
        data
        metadata
      }
    }
  }
`;

interface RolloutView {
  id: string;
  status: string;
  stopReason: string | null;
  service: string;
  version: string;
  requestedBy: string;
  pushedRegions: string[];
  events: Array<{ position: number; type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }>;
}

describe('walking skeleton: one rollout end to end on the real stack', () => {
  let stack: AppStack;
  const service = `checkout-${Date.now()}`;

  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS });
    const registered = await graphql(stack.gateway.url, REGISTER, {
      input: {
        name: service,
        regions: REGIONS.map((name, i) => ({
          name,
          endpoint: `${stack.regionSim.url}/regions/${name}`,
          tier: i === 0 ? 'CANARY' : 'STANDARD',
        })),
      },
    });
    expect(registered.errors).toBeUndefined();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('pushes the version to every region, records the events and leaves the workflow in Temporal', async () => {
    const started = await graphql<{
      startRollout: { id: string; status: string; workflowId: string; runId: string; events: Array<{ type: string }> };
    }>(stack.gateway.url, START, {
      input: {
        service,
        version: 'v42',
        config: { featureX: true, limits: { rps: 100 } },
        strategy: { canaryMaxShare: 0.2, growthFactor: 3, bakeSeconds: 0, approvalAfterCanary: false },
      },
    });
    expect(started.errors).toBeUndefined();
    const { id, workflowId, runId, events } = started.data!.startRollout;
    expect(events.map((e) => e.type)).toEqual(['RolloutRequested']);

    const done = await eventually(
      async () => {
        const res = await graphql<{ rollout: RolloutView }>(stack.gateway.url, ROLLOUT, { id });
        const rollout = res.data?.rollout;
        return rollout && ['SUCCEEDED', 'FAILED', 'ROLLED_BACK'].includes(rollout.status) ? rollout : undefined;
      },
      { what: 'the rollout to finish' },
    );
    expect({ status: done.status, stopReason: done.stopReason }).toEqual({ status: 'SUCCEEDED', stopReason: null });
    expect([...done.pushedRegions].sort()).toEqual([...REGIONS].sort());
    const types = done.events.map((e) => e.type);
    expect(types[0]).toBe('RolloutRequested');
    expect(types.at(-1)).toBe('RolloutSucceeded');
    expect(types.filter((t) => t === 'RegionConfigPushed')).toHaveLength(REGIONS.length);
    expect(done.events.map((e) => e.position)).toEqual(done.events.map((_, i) => i + 1));
    const canaryPush = done.events.find((e) => e.type === 'RegionConfigPushed' && e.data.region === REGIONS[0]);
    expect(canaryPush?.data).toMatchObject({ wave: 1, version: 'v42', previousVersion: null, changed: true });
    expect(done.events[0].metadata).toMatchObject({
      actor: 'admin',
      correlationId: id,
      workflowId,
      runId,
      schemaVersion: 2,
    });

    // Every simulated region now serves the new version, read over HTTP.
    for (const region of REGIONS) {
      const live = (await (await fetch(`${stack.regionSim.url}/regions/${region}/config`)).json()) as Record<
        string,
        unknown
      >;
      expect(live).toMatchObject({
        region,
        version: 'v42',
        config: { featureX: true, limits: { rps: 100 } },
        applyCount: 1,
      });
    }

    // The events are rows in PostgreSQL, not only an API answer.
    const { rows } = await stack.pool.query<{ type: string; stream_position: number }>(
      'SELECT type, stream_position FROM events WHERE stream_id = $1 ORDER BY stream_position',
      [id],
    );
    expect(rows.map((r) => r.type)).toEqual(done.events.map((e) => e.type));

    // And the workflow exists in Temporal, closed (a moment after its last event), findable by
    // its search attributes.
    const description = await closedWorkflow(stack.temporal, workflowId, { runId });
    expect(description.status.name).toBe('COMPLETED');
    expect(description.typedSearchAttributes.get(SluiceService)).toBe(service);
    expect(description.typedSearchAttributes.get(SluiceStatus)).toBe('SUCCEEDED');
  });

  it('rejects bad input with a stable code and no stack trace', async () => {
    const cases: Array<{ input: Record<string, unknown>; code: string; field?: string }> = [
      { input: { service: 'no-such-service', version: 'v1', config: {} }, code: 'NOT_FOUND' },
      { input: { service, version: '', config: {} }, code: 'BAD_USER_INPUT', field: 'version' },
      { input: { service, version: 'v1', config: [1, 2] }, code: 'BAD_USER_INPUT', field: 'config' },
      { input: { service, version: 'v1', config: 'text' }, code: 'BAD_USER_INPUT', field: 'config' },
    ];
    for (const c of cases) {
      const res = await graphql(stack.gateway.url, START, { input: c.input });
      expect(res.data).toBeNull();
      expect(res.errors).toHaveLength(1);
      const [error] = res.errors!;
      expect(error.extensions?.code).toBe(c.code);
      expect(error.extensions?.stacktrace).toBeUndefined();
      if (c.field) expect(error.extensions?.fields).toEqual([expect.objectContaining({ field: c.field })]);
    }
    const unknown = await graphql(stack.gateway.url, ROLLOUT, { id: 'does-not-exist' });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('rejects an invalid service topology naming the failing fields', async () => {
    const res = await graphql(stack.gateway.url, REGISTER, {
      input: { name: 'Bad Name', regions: [{ name: 'a', endpoint: 'not-a-url' }] },
    });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const fields = (res.errors?.[0].extensions?.fields as Array<{ field: string }>).map((f) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'regions.0.endpoint']));
  });
});
