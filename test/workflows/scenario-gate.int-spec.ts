import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgConfigStore } from '../../libs/config-store/src';
import { scenarioGateSchema, type ScenarioEvidence } from '../../libs/domain/src/gates/gate-spec';
import { projectRoot } from '../../libs/platform/src/project-root';
import { scenarioVersion } from '../../libs/scenarios/src/playwright-runner';
import { scenarioDocument } from '../../libs/scenarios/src/scenario-document';
import type { RolloutWorkflowInput } from '../../workflows/rollout.types';
import { eventually } from '../support/eventually';
import { ofType, SMALL_FLEET, startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';
import { haltSignal } from '../../workflows/rollout.messages';

const source = readFileSync(join(projectRoot(__dirname), 'test/scenarios/checkout.scenario.ts'), 'utf8');
const CUSTOMERS: Record<string, string[]> = { c1: ['acme', 'hooli'], a1: ['globex'], b1: ['wayne'], h1: [] };

/**
 * The scenario gate in the workflow on the time-skipping server, with real activities,
 * region-sim's shop and real Playwright: its judge's state survives continue-as-new, and
 * runs that cannot be made are no data, not a pass.
 */
describe('scenario gates in the workflow (time-skipping Temporal, real Playwright)', () => {
  let h: WorkflowHarness;
  let seed = 0;
  beforeAll(async () => {
    h = await startWorkflowHarness(SMALL_FLEET);
  });
  afterAll(() => h?.stop());
  beforeEach(() => h.reset(++seed));

  const scenarioInput = async (sourceHash?: string): Promise<Partial<RolloutWorkflowInput>> => {
    const configs = new PgConfigStore(h.pool);
    const base = h.input();
    return {
      regions: base.regions.map((r) => ({ ...r, customers: CUSTOMERS[r.name] ?? [] })),
      scenarios: [
        {
          name: 'checkout',
          version: scenarioVersion(source),
          sourceHash:
            sourceHash ?? (await configs.put(scenarioDocument({ name: 'checkout', source, timeoutSeconds: 20 }))),
          timeoutSeconds: 20,
        },
      ],
      customerProfiles: [{ customer: 'acme', attributes: { plan: 'enterprise' }, credentials: {} }],
    };
  };

  it('keeps its judge across continue-as-new: the wave’s runs counted in the run state match those stored', async () => {
    const handle = await h.start({
      ...(await scenarioInput()),
      continueAsNewAfterEvents: 60,
      gates: [scenarioGateSchema.parse({ kind: 'scenario', name: 'journeys', noData: 'pass' })],
      waves: [
        { regions: ['c1'], bakeSeconds: 40 * 60 },
        { regions: ['a1', 'b1'], bakeSeconds: 0 },
        { regions: ['h1'], bakeSeconds: 0 },
      ],
    });
    const first = (await handle.describe()).runId;
    const result = await handle.result();
    expect(result.status).toBe('SUCCEEDED');
    expect((await handle.describe()).runId).not.toBe(first);
    const evaluations = ofType(await h.events(result.rolloutId), 'HealthGateEvaluated').filter(
      (e) => e.data.kind === 'scenario' && e.data.wave === 1,
    );
    const last = evaluations.at(-1)!.data.scenario as ScenarioEvidence;
    const { rows } = await h.pool.query<{ runs: string }>(
      `SELECT count(*) AS runs FROM scenario_runs WHERE rollout_id = $1 AND wave = 1`,
      [result.rolloutId],
    );
    // 40 ticks of 2 canary and 2 control customers, over several runs of the workflow
    expect(Number(rows[0].runs)).toBeGreaterThanOrEqual(4 * 35);
    expect(last.totalRuns).toBe(Number(rows[0].runs));
    expect(last.judged).toBe(2);
    expect(last.customers).toEqual([]);
  }, 300_000);

  it('runs that cannot be made are no data: the gate’s noData policy pauses the rollout, nothing passes', async () => {
    const notAScenario = await new PgConfigStore(h.pool).put({ feature: true });
    const handle = await h.start({
      ...(await scenarioInput(notAScenario)),
      gates: [scenarioGateSchema.parse({ kind: 'scenario', name: 'journeys' })],
      waves: [
        { regions: ['c1'], bakeSeconds: 600 },
        { regions: ['a1', 'b1'], bakeSeconds: 0 },
        { regions: ['h1'], bakeSeconds: 0 },
      ],
    });
    const paused = await h.skipUntil(
      () => h.live(handle),
      (s) => s.status === 'PAUSED',
      'the rollout to pause for the gate',
    );
    expect(paused.wave).toBe(1);
    const events = ofType(await h.events(paused.rolloutId), 'RolloutPaused');
    expect(events[0].data.reason).toMatch(
      /^gate journeys has no data in c1 \(the scenarios could not run: document [0-9a-f]+ is not scenario "checkout"\); resume or abort$/,
    );
    expect(h.regionSim.fleet.get('a1')!.version).toBe(`v1-${seed}`);
    await handle.terminate('spec done');
  }, 300_000);

  it('a halt while the journeys run moves on at once: the rollback is done before the interval’s runs are', async () => {
    const slow = `import { test } from '@playwright/test';
test('a journey that takes its time', async () => {
  await new Promise((resolve) => setTimeout(resolve, 25_000));
});
`;
    const sourceHash = await new PgConfigStore(h.pool).put(
      scenarioDocument({ name: 'checkout', source: slow, timeoutSeconds: 60 }),
    );
    const handle = await h.start({
      ...(await scenarioInput(sourceHash)),
      gates: [scenarioGateSchema.parse({ kind: 'scenario', name: 'journeys' })],
      waves: [
        { regions: ['c1'], bakeSeconds: 600 },
        { regions: ['a1', 'b1'], bakeSeconds: 0 },
        { regions: ['h1'], bakeSeconds: 0 },
      ],
    });
    await eventually(
      async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        return pending.find((a) => a.activityType?.name === 'runScenarioTick' && a.lastWorkerIdentity);
      },
      { what: 'the journeys to be running', timeoutMs: 60_000, intervalMs: 100 },
    );
    await handle.signal(haltSignal, { source: 'manual', by: 'oncall', reason: 'checkout errors' });
    const result = await handle.result();
    expect(result.status).toBe('ROLLED_BACK');
    expect(h.regionSim.fleet.get('c1')!.version).toBe(`v1-${seed}`);
    // the interval's runs are still going: none was stored when the rollback had finished
    const { rows } = await h.pool.query(`SELECT 1 FROM scenario_runs WHERE rollout_id = $1`, [result.rolloutId]);
    expect(rows).toEqual([]);
  }, 300_000);
});
