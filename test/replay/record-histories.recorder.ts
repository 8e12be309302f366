/**
 * Records the Temporal histories that the replay spec checks every change against.
 * Run with `npm run histories:record` only when the workflow changes on purpose and the
 * change is patched (see docs/VERSIONING.md): new histories are added, old ones are kept.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canaryGateSchema, scenarioGateSchema } from '../../libs/domain/src/gates/gate-spec';
import { scenarioVersion } from '../../libs/scenarios/src/playwright-runner';
import { scenarioDocument } from '../../libs/scenarios/src/scenario-document';
import { PgConfigStore } from '../../libs/config-store/src';
import { DEFAULT_REDUNDANCY_POLICY } from '../../libs/domain/src/service/redundancy-policy';
import { projectRoot } from '../../libs/platform/src/project-root';
import { resolveTemporalCli } from '../../libs/platform/src/temporal-cli';
import { SMALL_FLEET, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';
import {
  abandonUpdate,
  abortUpdate,
  approveWaveUpdate,
  freezeUpdate,
  haltIfAffectedUpdate,
  haltSignal,
  liveStateQuery,
  liftFreezeUpdate,
  pauseUpdate,
  resumeUpdate,
  resolveRegionUpdate,
  retryRollbackUpdate,
} from '../../workflows/rollout.messages';
import type { rolloutWorkflow } from '../../workflows/rollout.workflow';

const REGIONS = SMALL_FLEET;
const WAVES = [
  { regions: ['c1'], bakeSeconds: 0, requiresApproval: true },
  { regions: ['a1', 'b1'], bakeSeconds: 120 },
  { regions: ['h1'], bakeSeconds: 60 },
];
const stamp = process.env.SLUICE_HISTORY_STAMP ?? new Date().toISOString().slice(0, 10);

describe('record replay histories', () => {
  let h: WorkflowHarness;
  let seed = 0;
  beforeAll(async () => {
    h = await startWorkflowHarness(REGIONS);
  });
  afterAll(() => h?.stop());
  beforeEach(() => h.reset(++seed));

  /** The Temporal CLI writes the canonical JSON form of a history, the one replay reads back. */
  async function save(name: string, handle: WorkflowHandle<typeof rolloutWorkflow>, run?: string): Promise<void> {
    const cli = resolveTemporalCli(projectRoot(__dirname)).path;
    if (!cli) throw new Error('recording histories needs the Temporal CLI (npm run bootstrap)');
    const runId = run ?? (await handle.describe()).runId;
    const json = execFileSync(cli, [
      'workflow',
      'show',
      '--workflow-id',
      handle.workflowId,
      '--run-id',
      runId,
      '--output',
      'json',
      '--address',
      h.env.address,
    ]);
    writeFileSync(join(__dirname, 'histories', `${stamp}-${name}.json`), json);
  }

  it('approved, paused, resumed and succeeded', async () => {
    const handle = await h.start({ waves: WAVES });
    await h.waitFor(handle, (s) => s.phase === 'AWAITING_APPROVAL', 'approval');
    await handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'look' }] });
    await handle.executeUpdate(approveWaveUpdate, { args: [{ wave: 1, approver: 'bob' }] });
    await handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob' }] });
    expect((await handle.result()).status).toBe('SUCCEEDED');
    await save('succeeded', handle);
  });

  it('gate failure rolled back', async () => {
    h.regionSim.fleet.setFaults('b1', { probeStatus: 500 });
    const handle = await h.start({ waves: WAVES.map((w) => ({ ...w, requiresApproval: false })) });
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    await save('gate-failed-rolled-back', handle);
  });

  it('halted during a bake', async () => {
    const handle = await h.start({ waves: WAVES.map((w) => ({ ...w, requiresApproval: false })) });
    await h.waitFor(handle, (s) => s.wave === 2 && s.phase === 'BAKING', 'bake');
    await handle.signal(haltSignal, { reason: 'alert', source: 'alertmanager', by: 'alertmanager' });
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    await save('halted', handle);
  });

  it('halted by an alert for a touched region (haltIfAffected), answered once recorded', async () => {
    const handle = await h.start({ waves: WAVES.map((w) => ({ ...w, requiresApproval: false })) });
    await h.waitFor(handle, (s) => s.wave === 2 && s.phase === 'BAKING', 'bake');
    const answer = await handle.executeUpdate(haltIfAffectedUpdate, {
      args: [{ reason: 'alert', source: 'alertmanager', by: 'alertmanager', region: 'a1' }],
    });
    expect(answer.outcome).toBe('HALTED');
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    await save('halted-if-affected', handle);
  });

  it('gates watching an approval wait, then approved', async () => {
    const handle = await h.start({ waves: WAVES });
    await h.waitFor(handle, (s) => s.phase === 'AWAITING_APPROVAL', 'approval');
    await h.env.sleep('5 minutes');
    await handle.executeUpdate(approveWaveUpdate, { args: [{ wave: 1, approver: 'bob' }] });
    expect((await handle.result()).status).toBe('SUCCEEDED');
    await save('approval-watched', handle);
  });

  it('a canary gate without a pre-change window, passed by its noData policy', async () => {
    const canary = canaryGateSchema.parse({ kind: 'canary', name: 'canary', noData: 'pass' });
    const handle = await h.start({ waves: WAVES.map((w) => ({ ...w, requiresApproval: false })), gates: [canary] });
    expect((await handle.result()).status).toBe('SUCCEEDED');
    await save('canary-without-baseline', handle);
  });

  it('aborted while awaiting approval', async () => {
    const handle = await h.start({ waves: WAVES });
    await h.waitFor(handle, (s) => s.phase === 'AWAITING_APPROVAL', 'approval');
    await handle.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'no' }] });
    expect((await handle.result()).status).toBe('ABORTED');
    await save('aborted', handle);
  });

  it('rollback failed, then retried', async () => {
    const handle = await h.start({ waves: WAVES.map((w) => ({ ...w, requiresApproval: false })) });
    await h.waitFor(handle, (s) => s.wave === 2 && s.phase === 'BAKING', 'bake');
    h.regionSim.fleet.setFaults('a1', { failAllPushes: true });
    await handle.signal(haltSignal, { reason: 'alert', source: 'alertmanager', by: 'alertmanager' });
    let state = await h.live(handle);
    for (let i = 0; i < 20 && state.status !== 'ROLLBACK_FAILED'; i++) {
      await h.env.sleep('2 minutes');
      state = await h.live(handle);
    }
    expect(state.status).toBe('ROLLBACK_FAILED');
    h.regionSim.fleet.setFaults('a1', { failAllPushes: false });
    await handle.executeUpdate(retryRollbackUpdate, { args: [{ by: 'oncall' }] });
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    await save('rollback-failed-retried', handle);
  });

  it('precheck failed', async () => {
    h.regionSim.fleet.setFaults('h1', { unhealthy: true });
    const handle = await h.start({ waves: WAVES });
    expect((await handle.result()).status).toBe('FAILED');
    await save('precheck-failed', handle);
  });

  it('a redundancy precheck failed, then the same config passed with an admin override', async () => {
    // a1 and h1 are a pair, and the config puts both on one database primary
    const regions = h
      .input()
      .regions.map((r) => (r.name === 'a1' ? { ...r, pair: 'h1' } : r.name === 'h1' ? { ...r, pair: 'a1' } : r));
    const input = {
      regions,
      waves: WAVES.map((w) => ({ ...w, requiresApproval: false })),
      config: { database: { primary: 'db-main' } },
      dependencyFields: [{ path: '/database/primary', kind: 'database', role: 'primary' as const }],
      redundancy: { ...DEFAULT_REDUNDANCY_POLICY, concentration: 'off' as const },
    };
    const refused = await h.start(input);
    expect((await refused.result()).status).toBe('FAILED');
    await save('redundancy-precheck-failed', refused);
    const failed = (await h.events((await refused.query(liveStateQuery)).rolloutId)).find(
      (e) => e.type === 'PrecheckFailed',
    )!;
    const violations = [(failed.data as { reason: string }).reason];
    const overridden = await h.start({
      ...input,
      redundancyOverride: { reason: 'migration', by: 'admin', violations },
    });
    expect((await overridden.result()).status).toBe('SUCCEEDED');
    await save('redundancy-override-succeeded', overridden);
  });

  it('each region pushed its own config, halted during a bake and rolled back', async () => {
    const configs = new PgConfigStore(h.pool);
    const base = { database: { primary: 'db-main' }, feature: true };
    const regionConfigHashes: Record<string, string> = {};
    for (const region of ['a1', 'b1', 'h1']) {
      regionConfigHashes[region] = await configs.put({ ...base, database: { primary: `db-${region}` } });
    }
    const handle = await h.start({
      config: undefined,
      configHash: await configs.put(base),
      regionConfigHashes,
      waves: WAVES.map((w) => ({ ...w, requiresApproval: false })),
    });
    await h.skipToPhase(handle, 'BAKING', 2);
    await handle.signal(haltSignal, { source: 'manual', by: 'oncall', reason: 'errors in a1' });
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    await save('region-configs-halted', handle);
  });

  it('a scenario gate FAILed in the canary, naming the customers a config broke, and rolled back', async () => {
    const configs = new PgConfigStore(h.pool);
    const source = readFileSync(join(projectRoot(__dirname), 'test/scenarios/checkout.scenario.ts'), 'utf8');
    const scenario = { name: 'checkout', source, timeoutSeconds: 20 };
    const base = h.input();
    const customers: Record<string, string[]> = { c1: ['acme', 'hooli'], a1: ['globex'], b1: ['wayne'], h1: [] };
    const handle = await h.start({
      config: { faults: { breakCheckoutFor: { plan: 'enterprise' } } },
      regions: base.regions.map((r) => ({ ...r, customers: customers[r.name] ?? [] })),
      scenarios: [
        {
          name: 'checkout',
          version: scenarioVersion(source),
          sourceHash: await configs.put(scenarioDocument(scenario)),
          timeoutSeconds: 20,
        },
      ],
      customerProfiles: [
        { customer: 'acme', attributes: { plan: 'enterprise' }, credentials: {} },
        { customer: 'globex', attributes: { plan: 'enterprise' }, credentials: {} },
      ],
      gates: [scenarioGateSchema.parse({ kind: 'scenario', name: 'journeys', minRuns: 3 })],
      waves: [
        { regions: ['c1'], bakeSeconds: 600 },
        { regions: ['a1', 'b1'], bakeSeconds: 0 },
        { regions: ['h1'], bakeSeconds: 0 },
      ],
    });
    const result = await handle.result();
    expect(result).toMatchObject({
      status: 'ROLLED_BACK',
      reason: expect.stringMatching(/^gate journeys failed in c1: checkout broke for acme \(/),
    });
    await save('scenario-gate-failed', handle);
  });

  it('continued as new twice or more, then halted and rolled back', async () => {
    const handle = await h.start({
      continueAsNewAfterEvents: 60,
      waves: [
        { regions: ['c1'], bakeSeconds: 3_600 },
        { regions: ['a1', 'b1'], bakeSeconds: 3_600 },
        { regions: ['h1'], bakeSeconds: 0 },
      ],
    });
    const first = (await handle.describe()).runId;
    const runs = new Set([first]);
    while (runs.size < 4) {
      await h.env.sleep('1 minute');
      runs.add((await handle.describe()).runId);
    }
    await handle.signal(haltSignal, { source: 'alertmanager', by: 'alertmanager', reason: 'error budget burning' });
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    await save('continued-as-new-first-run', handle, first);
    await save('continued-as-new-halted-last-run', handle);
  });

  it('rollback failed, handed over while waiting for the retry, then retried in the new run', async () => {
    const halt = { source: 'alertmanager', by: 'alertmanager', reason: 'error budget burning' };
    const handle = await h.start({
      continueAsNewAfterEvents: 60,
      waves: [
        { regions: ['c1'], bakeSeconds: 0 },
        { regions: ['a1', 'b1'], bakeSeconds: 3_600 },
        { regions: ['h1'], bakeSeconds: 0 },
      ],
    });
    await h.waitFor(handle, (s) => s.wave === 2 && s.phase === 'BAKING', 'bake');
    h.regionSim.fleet.setFaults('a1', { failAllPushes: true });
    await handle.signal(haltSignal, halt);
    let state = await h.live(handle);
    for (let i = 0; i < 20 && state.status !== 'ROLLBACK_FAILED'; i++) {
      await h.env.sleep('2 minutes');
      state = await h.live(handle);
    }
    expect(state.status).toBe('ROLLBACK_FAILED');
    const failedIn = (await handle.describe()).runId;
    for (let i = 0; i < 40 && (await handle.describe()).runId === failedIn; i++) {
      await handle.signal(haltSignal, halt);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await handle.describe()).runId).not.toBe(failedIn);
    h.regionSim.fleet.setFaults('a1', { failAllPushes: false });
    await handle.executeUpdate(retryRollbackUpdate, { args: [{ by: 'oncall' }] });
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    await save('rollback-failed-handed-over', handle, failedIn);
    await save('rollback-failed-retried-after-hand-over', handle);
  });

  /** Wave 2 bakes, a1 refuses every restore (422), a halt: ROLLBACK_FAILED on a1. */
  async function failedOnA1(): Promise<WorkflowHandle<typeof rolloutWorkflow>> {
    const handle = await h.start({ waves: WAVES.map((w) => ({ ...w, requiresApproval: false })) });
    await h.waitFor(handle, (s) => s.wave === 2 && s.phase === 'BAKING', 'bake');
    h.regionSim.fleet.setFaults('a1', { rejectAllPushes: true });
    await handle.signal(haltSignal, { reason: 'alert', source: 'alertmanager', by: 'alertmanager' });
    await h.waitFor(handle, (s) => s.status === 'ROLLBACK_FAILED', 'the rollback to fail');
    h.regionSim.fleet.setFaults('a1', { rejectAllPushes: false });
    return handle;
  }

  it('rollback failed, a hotfixed region refused by the retry, then forced', async () => {
    const handle = await failedOnA1();
    h.regionSim.fleet.apply('a1', 'v2-hotfix', { hotfix: true });
    const refused = await handle.executeUpdate(retryRollbackUpdate, { args: [{ by: 'oncall' }] });
    expect(refused.refused?.map((r) => r.region)).toEqual(['a1']);
    await handle.executeUpdate(retryRollbackUpdate, { args: [{ by: 'oncall', force: true }] });
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    await save('rollback-failed-refused-then-forced', handle);
  });

  it('rollback failed, a region resolved by hand', async () => {
    const handle = await failedOnA1();
    await handle.executeUpdate(resolveRegionUpdate, { args: [{ by: 'oncall', region: 'a1', note: 'hotfixed' }] });
    expect((await handle.result()).status).toBe('ROLLED_BACK');
    await save('rollback-failed-resolved', handle);
  });

  it('rollback failed, abandoned', async () => {
    const handle = await failedOnA1();
    await handle.executeUpdate(abandonUpdate, { args: [{ by: 'oncall', reason: 'fix forward' }] });
    expect((await handle.result()).status).toBe('ABANDONED');
    await save('rollback-failed-abandoned', handle);
  });

  it('held by an emergency freeze declared during a bake, released by the lift', async () => {
    const handle = await h.start({ waves: WAVES.map((w) => ({ ...w, requiresApproval: false })) });
    await h.waitFor(handle, (s) => s.wave === 2 && s.phase === 'BAKING', 'bake');
    const freeze = {
      id: 'freeze-1',
      service: null,
      reason: 'incident',
      declaredBy: 'admin',
      declaredAt: new Date(await h.env.currentTimeMs()).toISOString(),
      until: null,
    };
    await handle.executeUpdate(freezeUpdate, { args: [freeze] });
    let state = await h.live(handle);
    for (let i = 0; i < 20 && !state.hold; i++) {
      await h.env.sleep('1 minute');
      state = await h.live(handle);
    }
    expect(state.hold?.kind).toBe('EMERGENCY');
    await handle.executeUpdate(liftFreezeUpdate, { args: [{ id: freeze.id, by: 'admin' }] });
    expect((await handle.result()).status).toBe('SUCCEEDED');
    await save('held-by-freeze-released', handle);
  });
});
