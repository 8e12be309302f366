import { startAppStack, type AppStack } from '../support/app-stack';
import { postAlerts } from '../support/alertmanager-webhook';
import { registerService, startRollout, waitForRollout } from '../support/fixtures';
import { eventually, graphql, readUntil } from '../support/graphql-client';
import { slowInserts } from '../support/slow-inserts';
import { chaosPostgres } from './chaos-env';
import { streamOf } from './chaos-checks';
import { closedWorkflow } from '../support/workflow-status';

/**
 * Issue 17's chaos scenarios: a halt lands and the rollback runs under real faults, on the
 * chaos suite's own PostgreSQL (stopped and started for real), the real gateway, worker,
 * Temporal dev server and region-sim.
 */
const suffix = Date.now().toString(36);
/** Each scenario has its own regions: canary, west and east. */
const regionsOf = (scenario: string) => [`${scenario}-canary`, `${scenario}-west`, `${scenario}-east`];
const SCENARIOS = ['hfpg', 'hf503', 'hfcancel', 'hfdead'];
/** The canary, then west and east; the second wave bakes `bakeSeconds`. */
const waves = (regions: string[], bakeSeconds: number) => [
  { regions: [regions[0]], bakeSeconds: 0, requiresApproval: false },
  { regions: regions.slice(1), bakeSeconds },
];
const plan = (bakeSeconds: number) => ({
  canaryMaxShare: 0.34,
  growthFactor: 3,
  bakeSeconds,
  approvalAfterCanary: false,
});

describe('chaos: halts and rollbacks under faults', () => {
  const postgres = chaosPostgres();
  let stack: AppStack;
  const served = (region: string) => stack.regionSim.fleet.get(region)?.version ?? null;
  const live = async (id: string) =>
    (
      await graphql<{
        rolloutLive: { wave: number; phase: string | null; regions: { region: string; state: string }[] };
      }>(stack.gateway.url, `{ rolloutLive(id: "${id}") { wave phase regions { region state } } }`)
    ).data?.rolloutLive;
  /** Each region served `before` ahead of the rollout (one rollout of its own), so a restore has somewhere to go. */
  const seed = async (service: string, before: string) => {
    const id = await startRollout(stack, { service, version: before, config: { v: before }, strategy: plan(0) });
    await waitForRollout(stack, id, ['SUCCEEDED'], 60_000);
  };

  /** A service of the scenario's regions on v1, then a v2 rollout baking its second wave for ten minutes. */
  const bakingWaveTwo = async (name: string, scenario: string) => {
    const service = `${name}-${suffix}`;
    const REGIONS = regionsOf(scenario);
    await registerService(stack, service, REGIONS);
    await seed(service, 'v1');
    const id = await startRollout(stack, {
      service,
      version: 'v2',
      config: { v: 'v2' },
      strategy: plan(600),
      waves: waves(REGIONS, 600),
    });
    await readUntil(
      () => live(id),
      (s) => s?.wave === 2 && s.phase === 'BAKING',
      { what: 'wave 2 baking', timeoutMs: 60_000 },
    );
    return { service, REGIONS, id };
  };

  beforeAll(async () => {
    stack = await startAppStack({ regions: SCENARIOS.flatMap(regionsOf), databaseUrl: postgres.url });
  }, 120_000);
  afterAll(async () => {
    await postgres.start();
    await stack?.stop();
  });

  it('a halt while PostgreSQL is down restores every touched region before it returns, and stores each event once after', async () => {
    const { service, REGIONS, id } = await bakingWaveTwo('hf-pg', 'hfpg');
    const touched = REGIONS.filter((r) => served(r) === 'v2');
    expect(touched.length).toBeGreaterThanOrEqual(2);

    await postgres.stop();
    try {
      const res = await postAlerts(stack.gateway.url, [
        { labels: { alertname: 'HighErrorRate', service, region: touched[0] }, fingerprint: `pg-${suffix}` },
      ]);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ queued: 0, delivered: [{ outcome: 'HALTED', rolloutId: id }] });
      await readUntil(
        () => Promise.resolve(touched.map(served)),
        (versions) => versions.every((v) => v === 'v1'),
        { what: 'every touched region back on v1 with PostgreSQL still down', timeoutMs: 30_000, intervalMs: 100 },
      );
    } finally {
      await postgres.start();
    }

    const done = await waitForRollout(stack, id, ['ROLLED_BACK'], 120_000);
    expect(done.status).toBe('ROLLED_BACK');
    const stream = await streamOf(stack.pool, id);
    expect(stream.map((e) => e.position)).toEqual(stream.map((_, i) => i + 1));
    expect(stream.filter((e) => e.type === 'RolloutHalted')).toHaveLength(1);
    const restored = stream.filter((e) => e.type === 'RegionRolledBack').map((e) => e.region);
    expect([...restored].sort()).toEqual([...touched].sort());
    expect(stream.at(-1)?.type).toBe('RolloutRolledBack');
  });

  it('halts for a region whose push landed while another region of the wave is still in 503 retries', async () => {
    const service = `hf-503-${suffix}`;
    const REGIONS = regionsOf('hf503');
    await registerService(stack, service, REGIONS);
    await seed(service, 'v1');
    // wave 2 is west and east: east answers 503 to its next pushes, west takes v2 at once
    stack.regionSim.fleet.setFaults('hf503-east', { failNextPushes: 3 });
    const id = await startRollout(stack, { service, version: 'v2', config: { v: 'v2' }, strategy: plan(0) });
    await readUntil(
      () => Promise.resolve(served('hf503-west')),
      (v) => v === 'v2',
      { what: 'west serving v2', timeoutMs: 60_000, intervalMs: 50 },
    );
    expect(served('hf503-east')).toBe('v1');
    const halted = Date.now();
    const res = await postAlerts(stack.gateway.url, [
      { labels: { alertname: 'HighErrorRate', service, region: 'hf503-west' }, fingerprint: `503-${suffix}` },
    ]);
    expect(await res.json()).toMatchObject({ queued: 1 });
    await eventually(
      async () => {
        const { rows } = await stack.pool.query(`SELECT outcome FROM halt_requests WHERE fingerprint = $1`, [
          `503-${suffix}`,
        ]);
        return rows[0]?.outcome ?? undefined;
      },
      { what: 'the halt delivered' },
    ).then((outcome) => expect(outcome).toBe('HALTED'));
    const done = await waitForRollout(stack, id, ['ROLLED_BACK'], 120_000);
    expect(done.status).toBe('ROLLED_BACK');
    for (const region of REGIONS) expect({ region, version: served(region) }).toEqual({ region, version: 'v1' });
    // the alerting region was not left on v2 while the other one retried
    console.log(`[chaos] halt to ROLLED_BACK with a region in 503 retries: ${Date.now() - halted} ms`);
    stack.regionSim.fleet.setFaults('hf503-east', { failNextPushes: 0 });
  });

  it('a cancel from Temporal while an append is in flight stores RolloutAborted and every push', async () => {
    const service = `hf-cancel-${suffix}`;
    const REGIONS = regionsOf('hfcancel');
    await registerService(stack, service, REGIONS);
    await seed(service, 'v1');
    const id = await startRollout(stack, {
      service,
      version: 'v2',
      config: { v: 'v2' },
      strategy: plan(600),
      waves: waves(REGIONS, 600),
    });
    const workflowId = (
      await graphql<{ rollout: { workflowId: string } }>(stack.gateway.url, `{ rollout(id: "${id}") { workflowId } }`)
    ).data!.rollout.workflowId;
    // PostgreSQL takes 3 s to store wave 2's start: the cancel lands during that append
    const dropTrigger = await slowInserts(stack.pool, `hf_wave2_${suffix}`, {
      type: 'WaveStarted',
      streamId: id,
      wave: 2,
    });
    try {
      await readUntil(
        () => live(id),
        (s) => s?.wave === 2,
        { what: 'wave 2 started', timeoutMs: 60_000, intervalMs: 20 },
      );
      await stack.temporal.workflow.getHandle(workflowId).cancel();
      const done = await waitForRollout(stack, id, ['ABORTED'], 120_000);
      expect((await closedWorkflow(stack.temporal, workflowId)).status.name).toBe('CANCELLED');
      const stream = await streamOf(stack.pool, id);
      expect(stream.map((e) => e.position)).toEqual(stream.map((_, i) => i + 1));
      expect(stream.filter((e) => e.type === 'RolloutAborted')).toHaveLength(1);
      const pushed = new Set(stream.filter((e) => e.type === 'RegionConfigPushed').map((e) => e.region));
      const rolledBack = stream.filter((e) => e.type === 'RegionRolledBack').map((e) => e.region);
      // every region that was restored was recorded as pushed first
      for (const region of rolledBack) expect(pushed.has(region)).toBe(true);
      expect(stream.at(-1)?.type).toBe('RolloutRolledBack');
      expect(done.status).toBe('ABORTED');
      for (const region of REGIONS) expect({ region, version: served(region) }).toEqual({ region, version: 'v1' });
    } finally {
      await dropTrigger();
    }
  });

  it('one region dead during the rollback: the others are restored within 3 s, the dead one fails, abandon frees the service', async () => {
    const { service, REGIONS, id } = await bakingWaveTwo('hf-dead', 'hfdead');
    const [canary, west, east] = REGIONS;
    // west dies: every write to it fails from now on
    stack.regionSim.fleet.setFaults(west, { failAllPushes: true });
    const halted = Date.now();
    await postAlerts(stack.gateway.url, [
      { labels: { alertname: 'HighErrorRate', service, region: east }, fingerprint: `dead-${suffix}` },
    ]);
    await readUntil(
      () => Promise.resolve([canary, east].map(served)),
      (versions) => versions.every((v) => v === 'v1'),
      { what: 'the live regions restored', timeoutMs: 3_000, intervalMs: 50 },
    );
    const restoredMs = Date.now() - halted;
    expect(restoredMs).toBeLessThan(3_000);
    console.log(`[chaos] halt to the live regions restored, one region dead: ${restoredMs} ms`);
    expect(served(west)).toBe('v2');

    const failed = await waitForRollout(stack, id, ['ROLLBACK_FAILED'], 240_000);
    expect(failed.status).toBe('ROLLBACK_FAILED');
    // the service is locked until someone takes an exit
    const blocked = await graphql(
      stack.gateway.url,
      'mutation ($input: StartRolloutInput!) { startRollout(input: $input) { id } }',
      { input: { service, version: 'v3', config: { v: 'v3' }, strategy: plan(0) } },
      'alice',
    );
    expect(blocked.errors?.[0].extensions?.code).toBe('ROLLOUT_IN_PROGRESS');

    const abandoned = await graphql<{ abandonRollout: { status: string } }>(
      stack.gateway.url,
      `mutation { abandonRollout(id: "${id}", reason: "west is being rebuilt by hand") { status } }`,
      {},
      'oncall',
    );
    expect(abandoned.errors).toBeUndefined();
    const done = await waitForRollout(stack, id, ['ABANDONED'], 60_000);
    expect(done.events.at(-1)?.type).toBe('RolloutAbandoned');

    // fix forward: west is back, and a new rollout of the service starts and runs
    stack.regionSim.fleet.setFaults(west, { failAllPushes: false });
    const next = await eventually(
      async () => {
        const res = await graphql<{ startRollout: { id: string } }>(
          stack.gateway.url,
          'mutation ($input: StartRolloutInput!) { startRollout(input: $input) { id } }',
          { input: { service, version: 'v3', config: { v: 'v3' }, strategy: plan(0) } },
          'alice',
        );
        return res.data?.startRollout.id;
      },
      { what: 'a fix-forward rollout to start', timeoutMs: 30_000 },
    );
    const fixed = await waitForRollout(stack, next, ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'ROLLBACK_FAILED'], 120_000);
    expect({ status: fixed.status, stopReason: fixed.stopReason }).toEqual({ status: 'SUCCEEDED', stopReason: null });
  });
});
