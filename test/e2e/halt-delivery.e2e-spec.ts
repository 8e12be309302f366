import { startAppStack, type AppStack } from '../support/app-stack';
import { postAlerts } from '../support/alertmanager-webhook';
import { readRollout, registerService, startRollout, waitForApproval } from '../support/fixtures';
import { eventually, readUntil } from '../support/eventually';
import { rolloutWorkflowId } from '../../workflows/rollout.types';

const REGIONS = ['hd-canary', 'hd-west'];

/**
 * Issue 17 (15): one workflow that cannot answer must not stall halt delivery. A "stuck"
 * rollout workflow sits on a task queue no worker polls, so its haltIfAffected update never
 * completes; a real rollout halted meanwhile must still halt at once.
 */
describe('halt delivery with a workflow that cannot answer', () => {
  let stack: AppStack;
  const stamp = Date.now();
  const stuck = `hd-stuck-${stamp}`;
  const live = `hd-live-${stamp}`;
  const idleInTransaction = async () =>
    Number(
      (
        await stack.pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity
           WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()`,
        )
      ).rows[0].n,
    );
  const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

  beforeAll(async () => {
    stack = await startAppStack({
      regions: REGIONS,
      haltDelivery: { deadlineMs: 3_000, leaseSeconds: 10, maxAttempts: 2, maxBackoffSeconds: 1 },
    });
    for (const service of [stuck, live]) {
      await registerService(
        stack,
        service,
        REGIONS.map((name, i) => ({ name, tier: i === 0 ? 'CANARY' : 'STANDARD', weight: 1 })),
      );
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('delivers other halts at once, holds no transaction while it waits, and parks the stuck one as dead', async () => {
    await stack.temporal.workflow.start('rolloutWorkflow', {
      taskQueue: `nobody-polls-${stamp}`,
      workflowId: rolloutWorkflowId(stuck),
      args: [],
    });
    const id = await startRollout(stack, {
      service: live,
      version: 'v2',
      config: { v: 2 },
      strategy: { canaryMaxShare: 0.5, growthFactor: 4, bakeSeconds: 0 },
    });
    await waitForApproval(stack, id);

    const now = new Date().toISOString();
    await postAlerts(stack.gateway.url, [
      { labels: { alertname: 'Down', service: stuck }, startsAt: now, fingerprint: 'stuck-1' },
    ]);
    // its delivery is in flight, waiting on a workflow that will not answer
    await eventually(
      async () => {
        const { rows } = await stack.pool.query(`SELECT attempts FROM halt_requests WHERE fingerprint = 'stuck-1'`);
        return rows[0]?.attempts === 1 ? true : undefined;
      },
      { what: 'the stuck request claimed' },
    );
    expect(await idleInTransaction()).toBe(0);

    const sent = Date.now();
    await postAlerts(stack.gateway.url, [
      {
        labels: { alertname: 'HighErrorRate', service: live, region: 'hd-canary' },
        startsAt: now,
        fingerprint: 'live-1',
      },
    ]);
    await eventually(async () => ((await readRollout(stack, id)).stopReason ? true : undefined), {
      what: 'the live rollout halted',
      timeoutMs: 10_000,
    });
    // well inside the stuck delivery's 3 s deadline: it held up nothing
    expect(Date.now() - sent).toBeLessThan(2_500);

    const dead = await eventually(
      async () => {
        const { rows } = await stack.pool.query(
          `SELECT attempts, last_error, dead_at, delivered_at FROM halt_requests WHERE fingerprint = 'stuck-1'`,
        );
        return rows[0]?.dead_at ? rows[0] : undefined;
      },
      { what: 'the stuck request dead after its attempts', timeoutMs: 30_000 },
    );
    expect(dead).toMatchObject({ attempts: 2, delivered_at: null });
    expect(dead.last_error).toMatch(/deadline/i);

    const text = await readUntil(
      async () => (await fetch(`${stack.gateway.url}/metrics`)).text(),
      (t) => metric(t, 'sluice_halt_outbox_dead') === 1,
      {
        what: 'the dead request in the metrics',
        show: (t) =>
          t
            .split('\n')
            .filter((l) => /outbox/.test(l))
            .join('\n'),
      },
    );
    expect(metric(text, 'sluice_halt_outbox_pending')).toBe(0);
    expect(metric(text, 'sluice_halt_outbox_oldest_pending_seconds')).toBe(0);
    expect(metric(text, 'sluice_halt_delivery_failures_total')).toBe(2);
    await stack.temporal.workflow.getHandle(rolloutWorkflowId(stuck)).terminate('spec done');
  });
});
