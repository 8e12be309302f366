import type { Client } from '@temporalio/client';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startTemporalDevServer, type TemporalDevServer } from '../../libs/platform/src/temporal-dev-server';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../workflows/rollout.search-attributes';
import { rolloutWorkflowId } from '../../workflows/rollout.types';
import { startAppStack, type AppStack } from '../support/app-stack';
import { readUntil } from '../support/eventually';
import { registerService, startRollout, waitForRollout } from '../support/fixtures';
import { graphql } from '../support/graphql-client';
import { expectInGroups } from '../support/expect-in-groups';
import { restoresScheduled } from '../support/restore-order';

const REGIONS = ['lr-canary-1', 'lr-west-1', 'lr-west-2', 'lr-east-1'];
/** Temporal suggests continue-as-new after this many events: a few bake ticks (about 6 events each), not 4,096. */
const SUGGEST_AFTER = 70;

/**
 * Rollouts longer than one run's history, for real: a dev server whose continue-as-new
 * suggestion comes after 70 events, so a half-minute rollout goes through several runs.
 */
describe('a rollout that outlives its history: continue-as-new at safe points', () => {
  let temporal: TemporalDevServer;
  let stack: AppStack;
  const service = `long-${Date.now()}`;
  // Long enough bakes for several hand-overs at about 6 history events per tick.
  const strategy = { canaryMaxShare: 0.3, growthFactor: 4, bakeSeconds: 12, approvalAfterCanary: false };
  const gates = [{ kind: 'probe', name: 'probe', path: '/probe' }];

  beforeAll(async () => {
    temporal = await startTemporalDevServer({
      projectRoot: projectRoot(__dirname),
      searchAttributes: SLUICE_SEARCH_ATTRIBUTES,
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_AFTER },
    });
    stack = await startAppStack({ regions: REGIONS, temporalAddress: temporal.address });
    await registerService(stack, service, REGIONS);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await temporal?.stop();
  });

  /** Every run of the service's workflow id, oldest first, with its history length. */
  async function runsOf(
    client: Client,
  ): Promise<Array<{ runId: string; status: string; historyLength: number; start: number }>> {
    const runs: Array<{ runId: string; status: string; historyLength: number; start: number }> = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = "${rolloutWorkflowId(service)}"` })) {
      runs.push({
        runId: w.runId,
        status: w.status.name,
        historyLength: w.historyLength,
        start: w.startTime.getTime(),
      });
    }
    return runs.sort((a, b) => a.start - b.start);
  }

  const served = (region: string) => stack.regionSim.fleet.get(region)?.version ?? null;

  it('succeeds through at least three runs, each under the suggested size, with one event stream', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'v1',
      config: { greeting: 'one' },
      strategy,
      gates,
      gateIntervalSeconds: 1,
    });
    const done = await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED'], 180_000);
    expect(done.status).toBe('SUCCEEDED');
    for (const region of REGIONS) expect(served(region)).toBe('v1');

    const runs = await readUntil(
      () => runsOf(stack.temporal),
      (r) => r.at(-1)?.status === 'COMPLETED',
      {
        what: 'the last run to close',
      },
    );
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(runs.slice(0, -1).every((r) => r.status === 'CONTINUED_AS_NEW')).toBe(true);
    // A run hands over at the first safe point after the suggestion: a bake tick later at most.
    // Every run hands over at the first safe point (a bake tick, a wave boundary) after the
    // suggestion, so no run grows much past it.
    for (const r of runs) expect(r.historyLength).toBeLessThan(SUGGEST_AFTER + 40);

    // One stream across runs: gap-free positions, one RolloutRequested, one final event, every wave once.
    const positions = await stack.pool.query<{ stream_position: string; type: string }>(
      'SELECT stream_position, type FROM events WHERE stream_id = $1 ORDER BY stream_position',
      [id],
    );
    const types = positions.rows.map((r) => r.type);
    expect(positions.rows.map((r) => Number(r.stream_position))).toEqual(types.map((_, i) => i + 1));
    expect(types.filter((t) => t === 'RolloutRequested')).toHaveLength(1);
    expect(types.filter((t) => t === 'PrecheckPassed')).toHaveLength(1);
    expect(types.filter((t) => t === 'RolloutSucceeded')).toHaveLength(1);
    const waves = done.events.filter((e) => e.type === 'WaveStarted').map((e) => e.data.wave);
    expect(waves).toEqual([...new Set(waves)]);
    expect(done.events.filter((e) => e.type === 'WaveCompleted')).toHaveLength(waves.length);
  });

  it('a halt after the third run rolls back every region, those of the first run too, newest first', async () => {
    const id = await startRollout(stack, {
      service,
      version: 'v2',
      config: { greeting: 'two' },
      strategy: { ...strategy, bakeSeconds: 30 },
      waves: [{ regions: [REGIONS[0]], bakeSeconds: 10 }, { regions: REGIONS.slice(1) }],
      gates,
      gateIntervalSeconds: 1,
    });
    // The canary is pushed in the first run; the second wave a few runs later.
    await readUntil(
      async () => ({
        runs: (await runsOf(stack.temporal)).filter((x) => x.status !== 'COMPLETED').length,
        live: (
          await graphql<{ rolloutLive: { wave: number; phase: string | null } }>(
            stack.gateway.url,
            `{ rolloutLive(id: "${id}") { wave phase } }`,
          )
        ).data?.rolloutLive,
      }),
      // baking: the second wave's pushes are done (a halt before them would leave them unpushed)
      (r) => r.runs >= 3 && (r.live?.wave ?? 0) >= 2 && r.live?.phase === 'BAKING',
      { what: 'a third run of the v2 rollout, baking its second wave', timeoutMs: 120_000 },
    );
    const live = await graphql<{ rolloutLive: { status: string; regions: Array<{ region: string; state: string }> } }>(
      stack.gateway.url,
      `{ rolloutLive(id: "${id}") { status regions { region state } } }`,
    );
    expect(live.errors).toBeUndefined();
    expect(live.data!.rolloutLive.status).toBe('ROLLING');
    const halted = await graphql(
      stack.gateway.url,
      `mutation { haltRollout(id: "${id}", reason: "error budget burning") { rolloutId } }`,
      {},
      'carol',
    );
    expect(halted.errors).toBeUndefined();
    const rolled = await waitForRollout(stack, id, ['ROLLED_BACK', 'ROLLBACK_FAILED'], 120_000);
    expect(rolled.status).toBe('ROLLED_BACK');

    const pushedEvents = rolled.events.filter((e) => e.type === 'RegionConfigPushed');
    const pushed = pushedEvents.map((e) => e.data.region as string);
    const restored = rolled.events.filter((e) => e.type === 'RegionRolledBack');
    // wave by wave in plan order; within a wave, each push is recorded as it settles
    expect([...pushed].sort()).toEqual([...REGIONS].sort());
    const pushedWaves = pushedEvents.map((e) => e.data.wave as number);
    expect(pushedWaves).toEqual([...pushedWaves].sort((a, b) => a - b));
    // every restore scheduled at once, newest wave first; the regions answer in any order
    expect(restored.map((e) => e.data.region as string).sort()).toEqual([...REGIONS].sort());
    const waves = [...new Set(pushedEvents.map((e) => e.data.wave as number))].sort((a, b) => b - a);
    expectInGroups(
      await restoresScheduled(stack.temporal.workflow.getHandle(rolloutWorkflowId(service))),
      waves.map((w) => pushedEvents.filter((e) => e.data.wave === w).map((e) => e.data.region)),
    );
    expect(restored.every((e) => e.data.outcome === 'RESTORED' && e.data.toVersion === 'v1')).toBe(true);
    for (const region of REGIONS) expect(served(region)).toBe('v1');
  });

  it("bake ticks wait for their instant in the activity's retry, on a real Temporal server", async () => {
    const startedAt = Date.now();
    const interval = 3;
    const id = await startRollout(stack, {
      service,
      version: 'v3',
      config: { greeting: 'three' },
      strategy,
      waves: [
        { regions: [REGIONS[0]], bakeSeconds: 12 },
        { regions: REGIONS.slice(1), bakeSeconds: 12 },
      ],
      gates,
      gateIntervalSeconds: interval,
    });
    expect((await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED'], 120_000)).status).toBe('SUCCEEDED');
    const runs = (await runsOf(stack.temporal)).filter((r) => r.start >= startedAt - 1_000);
    const ticks: Array<{ lateMs: number | null; attempt: number; failure: string | undefined }> = [];
    for (const run of runs) {
      const events = (await stack.temporal.workflow.getHandle(rolloutWorkflowId(service), run.runId).fetchHistory())
        .events!;
      const ms = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + (e.eventTime!.nanos ?? 0) / 1e6;
      for (const scheduled of events) {
        const attributes = scheduled.activityTaskScheduledEventAttributes;
        if (attributes?.activityType?.name !== 'evaluateTick') continue;
        const started = events.find(
          (e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled.eventId),
        );
        if (!started) continue;
        const input = JSON.parse(Buffer.from(attributes.input!.payloads![0].data!).toString('utf8')) as {
          notBefore?: number;
        };
        ticks.push({
          lateMs: input.notBefore === undefined ? null : ms(started) - input.notBefore,
          attempt: started.activityTaskStartedEventAttributes!.attempt!,
          failure: started.activityTaskStartedEventAttributes!.lastFailure?.applicationFailureInfo?.type ?? undefined,
        });
      }
    }
    // Two bakes of 12 s at 3 s: the first tick of each evaluates at once; each later one was
    // scheduled as the tick before ended, with the instant it is due, and its evaluating
    // attempt started at that instant (its first, TICK_NOT_DUE, only waited): not the retry
    // policy's 1 s backoff, not after a second wait.
    const waited = ticks.filter((t) => t.lateMs !== null);
    expect(ticks.length).toBeGreaterThanOrEqual(8);
    expect(waited.length).toBeGreaterThanOrEqual(6);
    for (const t of waited) {
      expect(t).toMatchObject({ attempt: 2, failure: 'TICK_NOT_DUE' });
      expect(t.lateMs).toBeGreaterThanOrEqual(-50);
      expect(t.lateMs).toBeLessThan(1_000);
    }
  });
});
