import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { Pool } from 'pg';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { freePort } from '../../libs/platform/src/free-port';
import { rolloutWorkflowId } from '../../workflows/rollout.types';
import { expectCleanStream } from '../chaos/chaos-checks';
import { registerService, startRollout, waitForApproval, waitForRollout, type StackUrls } from '../support/fixtures';
import { eventually, graphql } from '../support/graphql-client';
import { startAlertmanager, type PrometheusServer } from '../support/prometheus';
import { spawnGateway, spawnWorker, type GatewayProcess, type SluiceProcess } from '../support/sluice-process';
import { testServices } from '../support/test-env';
import { tokenOf } from '../support/test-tokens';
import { closedWorkflow } from '../support/workflow-status';

/**
 * The whole life of a rollout on the production topology: Temporal as separate processes on
 * PostgreSQL, two gateways and two workers as processes, a real Alertmanager routing to both
 * gateways. Register, plan, start, approve as the approver, a halt from Alertmanager, the
 * rollback, `changes` and `incident`, and the history after Temporal has deleted the workflow.
 */
const suffix = Date.now().toString(36);
const SERVICE = `cluster-${suffix}`;
const REGIONS = ['cl-canary', 'cl-west', 'cl-east', 'cl-north'];

describe('cluster: a rollout from registration to its history after Temporal forgot it', () => {
  const env = () => ({ ...testServices(), taskQueue: `sluice-cluster-${suffix}` });
  const processes: SluiceProcess[] = [];
  let gateways: GatewayProcess[];
  let sim: RegionSim;
  let alertmanager: PrometheusServer;
  let pool: Pool;
  let connection: Connection;
  let client: Client;
  const via = (i: number): StackUrls => ({ gateway: gateways[i], regionSim: sim });

  beforeAll(async () => {
    sim = await startRegionSim({ regions: REGIONS, port: 0, traffic: false });
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 2 });
    connection = await Connection.connect({ address: testServices().temporalAddress });
    client = new Client({ connection });
    gateways = await Promise.all(['gw-1', 'gw-2'].map((n) => spawnGateway(n, env())));
    const workers = await Promise.all(['w-1', 'w-2'].map((n) => spawnWorker(n, env())));
    processes.push(...gateways, ...workers);
    alertmanager = await startAlertmanager({
      port: await freePort(),
      webhookUrl: gateways.map((g) => `${g.url}/hooks/alertmanager`),
      token: tokenOf('alertmanager'),
    });
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await alertmanager?.stop();
    await sim?.close();
    await pool?.end();
    await connection?.close();
  });

  let rolloutId: string;
  let startedAt: string;
  /** The regions the rollout pushed before the halt: the canary and the whole second wave. */
  let pushed: string[] = [];

  it('registers through one gateway and plans through the other', async () => {
    await registerService(via(0), SERVICE, REGIONS);
    const plan = await graphql<{ planRollout: { valid: boolean; waves: Array<{ regions: string[] }> } }>(
      gateways[1].url,
      /* GraphQL */ `
        query ($input: PlanRolloutInput!) {
          planRollout(input: $input) {
            valid
            waves {
              regions
            }
          }
        }
      `,
      { input: { service: SERVICE, strategy: { canaryMaxShare: 0.3, growthFactor: 2 } } },
      'alice',
    );
    expect(plan.errors).toBeUndefined();
    expect(plan.data!.planRollout.valid).toBe(true);
    expect(plan.data!.planRollout.waves[0].regions).toEqual(['cl-canary']);
    expect(plan.data!.planRollout.waves.flatMap((w) => w.regions).sort()).toEqual([...REGIONS].sort());
  });

  it('starts, waits for the approver, and bakes the next wave after the approval', async () => {
    startedAt = new Date().toISOString();
    rolloutId = await startRollout(via(1), {
      service: SERVICE,
      version: 'v1',
      config: { feature: 'on' },
      // the canary bakes, then waits for the approver; the second wave's bake is where the halt lands
      strategy: { canaryMaxShare: 0.3, growthFactor: 2, bakeSeconds: 20, approvalAfterCanary: true },
    });
    await waitForApproval(via(0), rolloutId);
    const deployer = await graphql(
      gateways[0].url,
      `mutation { approveWave(id: "${rolloutId}", wave: 1) { status } }`,
      {},
      'alice',
    );
    expect(deployer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const approved = await graphql<{ approveWave: { status: string } }>(
      gateways[0].url,
      `mutation { approveWave(id: "${rolloutId}", wave: 1) { status } }`,
      {},
      'bob',
    );
    expect(approved.errors).toBeUndefined();
    await eventually(async () => (sim.fleet.get('cl-west')?.version === 'v1' ? true : undefined), {
      what: 'the second wave to be pushed',
      timeoutMs: 60_000,
    });
  });

  it('halts on an alert Alertmanager sends to both gateways, once, and rolls every touched region back', async () => {
    const raised = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: { alertname: 'ClusterErrorBudget', service: SERVICE, region: 'cl-west', severity: 'page' },
          annotations: { summary: 'error budget burning in cl-west' },
          startsAt: new Date().toISOString(),
          endsAt: new Date(Date.now() + 600_000).toISOString(),
        },
      ]),
    });
    expect(raised.status).toBe(200);
    const stopped = await waitForRollout(via(0), rolloutId, ['ROLLED_BACK', 'SUCCEEDED', 'ROLLBACK_FAILED']);
    expect(stopped.status).toBe('ROLLED_BACK');
    expect(stopped.stopReason).toBe('halted by alertmanager: ClusterErrorBudget firing in cl-west');
    expect(stopped.events.filter((e) => e.type === 'RolloutHalted')).toHaveLength(1);
    for (const region of REGIONS)
      expect({ region, version: sim.fleet.get(region)?.version }).toEqual({ region, version: null });
    expect((await closedWorkflow(client, rolloutWorkflowId(SERVICE))).status.name).toBe('COMPLETED');
    const { rows } = await pool.query<{ region: string }>(
      `SELECT data->>'region' AS region FROM events WHERE stream_id = $1 AND type = 'RegionConfigPushed'`,
      [rolloutId],
    );
    pushed = rows.map((r) => r.region);
    expect(pushed).toEqual(expect.arrayContaining(['cl-canary', 'cl-west']));
    await expectCleanStream(pool, rolloutId, pushed);
  });

  it('answers changes and incident from the event log', async () => {
    const to = new Date(Date.now() + 1_000).toISOString();
    const changes = await graphql<{ changes: Array<{ kind: string; rolloutId: string; toVersion: string | null }> }>(
      gateways[1].url,
      `query ($from: DateTime!, $to: DateTime!) { changes(from: $from, to: $to, region: "cl-west", service: "${SERVICE}") { kind rolloutId toVersion } }`,
      { from: startedAt, to },
    );
    expect(changes.errors).toBeUndefined();
    expect(changes.data!.changes.map((c) => [c.rolloutId, c.toVersion])).toEqual([
      [rolloutId, 'v1'],
      [rolloutId, null],
    ]);
    const incident = await graphql<{
      incident: { serviceChanges: Array<{ region: string }>; suspects: Array<{ rolloutId: string }> };
    }>(
      gateways[0].url,
      `
        query ($alert: AlertInput!) {
          incident(alert: $alert) {
            serviceChanges {
              region
            }
            suspects {
              rolloutId
            }
          }
        }
      `,
      { alert: { labels: { alertname: 'ClusterErrorBudget', service: SERVICE, region: 'cl-west' }, startsAt: to } },
    );
    expect(incident.errors).toBeUndefined();
    expect(incident.data!.incident.suspects[0]?.rolloutId).toBe(rolloutId);
    expect(new Set(incident.data!.incident.serviceChanges.map((c) => c.region))).toEqual(new Set(pushed));
  });

  it('still serves the rollout and its events once Temporal has deleted the workflow', async () => {
    const handle = client.workflow.getHandle(rolloutWorkflowId(SERVICE));
    const { runId } = await handle.describe();
    await connection.workflowService.deleteWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: rolloutWorkflowId(SERVICE), runId },
    });
    await eventually(
      () =>
        handle.describe().then(
          () => undefined,
          (err: unknown) => (err instanceof WorkflowNotFoundError ? true : undefined),
        ),
      { what: 'Temporal to forget the workflow', timeoutMs: 120_000, intervalMs: 1_000 },
    );
    const res = await graphql<{ rollout: { status: string; events: Array<{ type: string }> } }>(
      gateways[1].url,
      `{ rollout(id: "${rolloutId}") { status events { type } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.rollout.status).toBe('ROLLED_BACK');
    expect(res.data!.rollout.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['RolloutRequested', 'ApprovalRequested', 'RolloutHalted', 'RolloutRolledBack']),
    );
  });
});
