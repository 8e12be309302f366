import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { canaryGateSchema } from '../../libs/domain/src/gates/gate-spec';
import { PgConfigStore } from '../../libs/config-store/src';
import type { rolloutWorkflow } from '../../workflows/rollout.workflow';
import { haltSignal } from '../../workflows/rollout.messages';
import type { TcpProxy } from '../support/tcp-proxy';
import { expectInGroups } from '../support/expect-in-groups';
import { restoresScheduled } from '../support/restore-order';
import {
  SMALL_FLEET_WAVES,
  ofType,
  SMALL_FLEET,
  startHarnessBehindProxy,
  startWorkflowHarness,
  type WorkflowHarness,
} from '../support/workflow-harness';

type History = temporal.api.history.v1.IHistory;

const REGIONS = SMALL_FLEET;
/** Wave 2 bakes long enough to be halted while baking. */
const WAVES = SMALL_FLEET_WAVES;
const PROBE = { kind: 'probe' as const, name: 'probe', path: '/probe', expectStatus: 200, timeoutMs: 2_000 };
/** No Prometheus behind the harness: the canary counters read as no data, which this gate lets pass. */
const CANARY = canaryGateSchema.parse({ kind: 'canary', name: 'canary', noData: 'pass' });
const KIB = 1024;

/** b1, a1 and c1 restored once each, their restores scheduled wave 2 (b1, a1) before wave 1 (c1). */
async function expectRestoredNewestWaveFirst(h: WorkflowHarness, handle: WorkflowHandle, rolloutId: string) {
  const restored = ofType(await h.events(rolloutId), 'RegionRolledBack');
  expect(restored.map((e) => [e.data.region, e.data.outcome]).sort()).toEqual([
    ['a1', 'RESTORED'],
    ['b1', 'RESTORED'],
    ['c1', 'RESTORED'],
  ]);
  expectInGroups(await restoresScheduled(handle), [['b1', 'a1'], ['c1']]);
}

const historyBytes = (history: History) => temporal.api.history.v1.History.encode(history).finish();

/** How many times `text` occurs in the history's wire form: payloads are JSON, so a marker shows as is. */
function occurrences(history: History, text: string): number {
  const bytes = Buffer.from(historyBytes(history));
  let count = 0;
  for (let at = bytes.indexOf(text); at >= 0; at = bytes.indexOf(text, at + text.length)) count++;
  return count;
}

/** Each scheduled activity's type and its input as text. */
function activityInputs(history: History): { type: string; input: string }[] {
  return (history.events ?? []).flatMap((e) => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (!scheduled) return [];
    const input = (scheduled.input?.payloads ?? []).map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('');
    return [{ type: scheduled.activityType?.name ?? '?', input }];
  });
}

/**
 * A history that grows with ticks and documents, not with documents × regions: each bake tick
 * is one local activity and a locally recorded evaluation, and config documents go by hash.
 */
describe('lean rollout histories (time-skipping Temporal, real activities, real PostgreSQL)', () => {
  let h: WorkflowHarness;
  let seed = 100;
  beforeAll(async () => {
    h = await startWorkflowHarness(REGIONS);
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => h.reset(++seed));

  it('a bake tick with a probe and a canary gate adds at most 10 events to the history (23 before)', async () => {
    // Wave 2 bakes 20 minutes at the default 30 s interval: 40 ticks.
    const waves = WAVES.map((w) => (w.bakeSeconds > 0 ? { ...w, bakeSeconds: 1_200 } : w));
    const input = h.input({ waves, gates: [PROBE, CANARY], gateIntervalSeconds: 30 });
    const handle = await h.start(input);
    expect((await handle.result()).status).toBe('SUCCEEDED');

    const events = (await handle.fetchHistory()).events ?? [];
    const ticks = events.flatMap((e, i) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name === 'evaluateTick' ? [i] : [],
    );
    expect(ticks.length).toBeGreaterThanOrEqual(38);
    // From one tick's evaluation to the next: the whole tick. A routine tick costs 6 events (one
    // evaluation activity that waits for its instant, one workflow task); every tenth also
    // records the batch of evaluations (6 more). With a timer between ticks: 11; before lean histories: 23.
    const perTick = ticks
      .slice(1)
      .map((at, i) => at - ticks[i])
      .slice(2, -2);
    expect(perTick.reduce((a, b) => a + b, 0) / perTick.length).toBeLessThanOrEqual(10);
    expect(Math.max(...perTick)).toBeLessThanOrEqual(17);
    // The ticks still come every 30 s of workflow time: the wait moved, it did not go away.
    const scheduledAt = ticks.map((i) => Number(events[i].eventTime?.seconds ?? 0));
    const spacing = scheduledAt
      .slice(1)
      .map((t, i) => t - scheduledAt[i])
      .slice(2, -2);
    for (const s of spacing) expect(s).toBeGreaterThanOrEqual(29);
    // Every tick still evaluated both gates: the probe in a1 and b1, the canary against h1.
    const evaluated = ofType(await h.events(input.rolloutId), 'HealthGateEvaluated').filter((e) => e.data.wave === 2);
    expect(evaluated.filter((e) => e.data.gate === 'probe').length).toBeGreaterThanOrEqual(2 * ticks.length - 4);
    expect(evaluated.filter((e) => e.data.gate === 'canary').length).toBeGreaterThanOrEqual(ticks.length - 2);
  });

  it('activity inputs carry the config by hash: no document is copied per region, on the way out or back', async () => {
    const target = `target-marker-${seed}`;
    const previous = `previous-marker-${seed}`;
    const config = { feature: true, tag: target, blob: 't'.repeat(64 * KIB) };
    for (const { name } of REGIONS)
      h.regionSim.fleet.apply(name, `v0-${seed}`, { tag: previous, blob: 'p'.repeat(64 * KIB) });

    const input = h.input({ config, waves: WAVES, gates: [PROBE], gateIntervalSeconds: 60 });
    const handle = await h.start(input);
    await h.waitFor(handle, (s) => s.wave === 2 && s.phase === 'BAKING', 'wave 2 baking');
    await handle.signal(haltSignal, { source: 'alertmanager', by: 'alertmanager', reason: 'error budget burning' });
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    for (const { name } of REGIONS) expect(h.regionSim.fleet.get(name)!.version).toBe(`v0-${seed}`);

    const history = await handle.fetchHistory();
    const inputs = activityInputs(history);
    expect(inputs.map((a) => a.type)).toEqual(expect.arrayContaining(['pushRegionConfig', 'restoreRegionConfigs']));
    for (const { type, input: text } of inputs) {
      if (type !== 'storeConfig') expect({ type, target: text.includes(target) }).toEqual({ type, target: false });
      expect({ type, previous: text.includes(previous) }).toEqual({ type, previous: false });
    }
    // The rollout's document: the workflow's input and the one activity that stores it.
    expect(occurrences(history, target)).toBe(2);
    // The previous document, served by all four regions: once, in the first wave's read.
    expect(occurrences(history, previous)).toBe(1);
    expect(historyBytes(history).length).toBeLessThan(4 * 64 * KIB);
    await expectRestoredNewestWaveFirst(h, handle, input.rolloutId);
  });

  it('a rollout started by hash (as the gateway starts it) never has the document in its history', async () => {
    const target = `by-hash-marker-${seed}`;
    const configHash = await new PgConfigStore(h.pool).put({ feature: true, tag: target });
    const handle = await h.start({ config: undefined, configHash, waves: WAVES, gates: [PROBE] });
    expect((await handle.result()).status).toBe('SUCCEEDED');
    expect(occurrences(await handle.fetchHistory(), target)).toBe(0);
    for (const { name } of REGIONS) expect(h.regionSim.fleet.get(name)!.config).toMatchObject({ tag: target });
  });
});

describe('a rollback while the config store is down (real PostgreSQL behind a proxy that is cut)', () => {
  let h: WorkflowHarness;
  let proxy: TcpProxy;
  beforeAll(async () => {
    ({ h, proxy } = await startHarnessBehindProxy(REGIONS, 'config-store'));
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('restores every region from the documents the run holds, newest first', async () => {
    h.reset(7);
    const previous = 'previous-during-outage';
    for (const { name } of REGIONS) h.regionSim.fleet.apply(name, 'v0-7', { tag: previous });
    const input = h.input({ waves: WAVES, gates: [PROBE], gateIntervalSeconds: 60 });
    const handle: WorkflowHandle<typeof rolloutWorkflow> = await h.start(input);
    await h.waitFor(handle, (s) => s.wave === 2 && s.phase === 'BAKING', 'wave 2 baking');

    proxy.cut();
    await handle.signal(haltSignal, { source: 'alertmanager', by: 'alertmanager', reason: 'error budget burning' });
    expect((await handle.result()).status).toBe('ROLLED_BACK');

    for (const { name } of REGIONS) {
      expect(h.regionSim.fleet.get(name)).toMatchObject({ version: 'v0-7', config: { tag: previous } });
    }
    await expectRestoredNewestWaveFirst(h, handle, input.rolloutId);
    // The rollback asked for every region by hash at once, was told CONFIG_UNAVAILABLE for each,
    // and each region went again alone with the body inline (not by hash again).
    const inputs = activityInputs(await handle.fetchHistory());
    const together = inputs.filter((a) => a.type === 'restoreRegionConfigs');
    expect(together).toHaveLength(1);
    expect(together[0].input.includes(previous)).toBe(false);
    const alone = inputs.filter((a) => a.type === 'restoreRegionConfig');
    expect(alone).toHaveLength(3);
    expect(alone.every((r) => r.input.includes(previous))).toBe(true);
  });
});
