import { Client, Connection } from '@temporalio/client';
import { request } from 'node:http';
import { Pool } from 'pg';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { rolloutWorkflowId } from '../../workflows/rollout.types';
import { registerService, startRollout, waitForRollout, type StackUrls } from '../support/fixtures';
import { eventually } from '../support/graphql-client';
import { testServices } from '../support/test-env';
import { closedWorkflow } from '../support/workflow-status';
import { tokenOf } from '../support/test-tokens';
import {
  spawnGateway,
  spawnWorker,
  type GatewayProcess,
  type SluiceProcess,
  type WorkerProcess,
} from '../support/sluice-process';

/**
 * The production shape on one machine: 2 gateway processes and 3 worker processes on one
 * Temporal server and one PostgreSQL. Rollouts start through both gateways; activities
 * spread over the workers; 2 of 3 workers killed leaves every rollout finishing; a rolling
 * restart with SIGTERM, one worker at a time, loses nothing and fails no activity.
 */
const suffix = Date.now().toString(36);
const SERVICES = Array.from({ length: 6 }, (_, i) => ({
  name: `scaled-${i}-${suffix}`,
  regions: ['canary', 'west', 'east'].map((r) => `st${i}-${r}`),
}));
const STRATEGY = { canaryMaxShare: 0.4, growthFactor: 3, bakeSeconds: 4, approvalAfterCanary: false };

describe('chaos: 2 gateways and 3 workers as separate processes', () => {
  const env = () => ({ ...testServices(), taskQueue: `sluice-scaled-${suffix}` });
  const processes: SluiceProcess[] = [];
  const gateways: GatewayProcess[] = [];
  let workers: WorkerProcess[] = [];
  let sim: RegionSim;
  let pool: Pool;
  let connection: Connection;
  let client: Client;
  const urls = (g: GatewayProcess): StackUrls => ({ gateway: g, regionSim: sim });

  beforeAll(async () => {
    sim = await startRegionSim({ regions: SERVICES.flatMap((s) => s.regions), port: 0, traffic: false });
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 2 });
    connection = await Connection.connect({ address: testServices().temporalAddress });
    client = new Client({ connection });
    gateways.push(...(await Promise.all(['gw-a', 'gw-b'].map((n) => spawnGateway(n, env())))));
    workers = await Promise.all(['w-1', 'w-2', 'w-3'].map((n) => spawnWorker(n, env())));
    processes.push(...gateways, ...workers);
    for (const s of SERVICES) await registerService(urls(gateways[0]), s.name, s.regions);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await sim?.close();
    await pool?.end();
    await connection?.close();
  });

  /** Starts one rollout per service, alternating gateways; returns [service, rollout id] pairs. */
  const startAll = async (version: string) =>
    Promise.all(
      SERVICES.map(async (s, i) => {
        const id = await startRollout(urls(gateways[i % 2]), {
          service: s.name,
          version,
          config: { version },
          strategy: STRATEGY,
          gates: [{ kind: 'probe', name: 'probe', path: '/probe' }],
          gateIntervalSeconds: 1,
        });
        return [s, id] as const;
      }),
    );

  /**
   * Activity starts per worker identity, and failed or timed-out activities, over the services'
   * latest runs. A history is read once its workflow has closed, which is a moment after the
   * rollout's last event: until then its last activity may be missing from it.
   */
  const activityLog = async () => {
    const byWorker: Record<string, number> = {};
    let failed = 0;
    for (const s of SERVICES) {
      const workflowId = rolloutWorkflowId(s.name);
      expect((await closedWorkflow(client, workflowId)).status.name).toBe('COMPLETED');
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      for (const e of history.events ?? []) {
        const identity = e.activityTaskStartedEventAttributes?.identity;
        if (identity) byWorker[identity] = (byWorker[identity] ?? 0) + 1;
        if (e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes) failed++;
      }
    }
    return { byWorker, failed };
  };

  const allSucceed = async (started: ReadonlyArray<readonly [{ regions: string[] }, string]>, version: string) => {
    for (const [s, id] of started) {
      const done = await waitForRollout(urls(gateways[1]), id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED'], 150_000);
      expect({ id, status: done.status }).toEqual({ id, status: 'SUCCEEDED' });
      for (const region of s.regions) expect(sim.fleet.get(region)?.version).toBe(version);
    }
  };

  it('spreads the activities of rollouts started through both gateways over the workers', async () => {
    const started = await startAll('v1');
    await allSucceed(started, 'v1');
    const { byWorker, failed } = await activityLog();
    const identities = new Set(workers.map((w) => w.identity));
    expect(Object.keys(byWorker).every((id) => identities.has(id))).toBe(true);
    expect(Object.keys(byWorker).length).toBeGreaterThanOrEqual(2);
    expect(failed).toBe(0);
  });

  it('finishes every rollout after 2 of the 3 workers are killed mid-bake', async () => {
    const started = await startAll('v2');
    // wait until every rollout is baking, then kill two workers at once
    for (;;) {
      const { rows: baking } = await pool.query<{ n: number }>(
        `SELECT count(DISTINCT stream_id)::int AS n FROM events WHERE type = 'HealthGateEvaluated' AND stream_id = ANY($1)`,
        [started.map(([, id]) => id)],
      );
      if (baking[0].n === started.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await Promise.all(workers.slice(0, 2).map((w) => w.kill('SIGKILL')));
    await allSucceed(started, 'v2');
    workers = [workers[2]];
  });

  it('drains a request in flight when a gateway gets SIGTERM, then exits', async () => {
    const [draining] = gateways;
    const { port } = new URL(draining.url);
    const body = JSON.stringify({
      version: '4',
      status: 'firing',
      alerts: [
        { status: 'firing', labels: { alertname: 'Drain' }, startsAt: new Date().toISOString(), fingerprint: 'drain' },
      ],
    });
    // Half the body, SIGTERM, the other half once the gateway has stopped listening: the request
    // is in flight through the signal. With `Expect: 100-continue` the gateway says when it has
    // the request (Node answers 100 once it has parsed the headers), so the signal cannot land
    // before the connection was even accepted.
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/hooks/alertmanager',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: `Bearer ${tokenOf('alertmanager')}`,
        expect: '100-continue',
      },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
    });
    const accepted = new Promise<void>((resolve) => req.once('continue', resolve));
    req.flushHeaders();
    await Promise.race([accepted, answer.then((a) => Promise.reject(new Error(`answered early: ${a.status}`)))]);
    req.write(body.slice(0, 40));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      draining.child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    draining.child.kill('SIGTERM');
    await eventually(
      () =>
        fetch(`${draining.url}/healthz`).then(
          () => undefined,
          () => true,
        ),
      { what: 'the signalled gateway to stop accepting connections', timeoutMs: 15_000, intervalMs: 50 },
    );
    req.end(body.slice(40));
    expect(await answer).toEqual({
      status: 200,
      body: JSON.stringify({ queued: 0, duplicates: 0, ignored: 1, unmatched: [] }),
    });
    expect(await exited).not.toBe('SIGKILL');
    // the other gateway carries on; a new one takes the stopped one's place
    expect((await fetch(`${gateways[1].url}/readyz`)).status).toBe(200);
    gateways[0] = await spawnGateway('gw-c', env());
    processes.push(gateways[0]);
  });

  it('loses nothing and fails no activity in a rolling restart with SIGTERM, one worker at a time', async () => {
    // back to three, then replace each in turn while rollouts run
    workers.push(...(await Promise.all(['w-4', 'w-5'].map((n) => spawnWorker(n, env())))));
    processes.push(...workers.slice(1));
    const started = await startAll('v3');
    for (const [i, old] of [...workers].entries()) {
      const replacement = await spawnWorker(`w-r${i}`, env());
      processes.push(replacement);
      await old.kill('SIGTERM');
      expect(old.child.exitCode).toBe(0);
    }
    await allSucceed(started, 'v3');
    const { failed } = await activityLog();
    expect(failed).toBe(0);
  });
});
