import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { parseServiceTopology } from '../../libs/domain/src';
import { projectRoot } from '../../libs/platform/src/project-root';
import { ContinuousScenarios } from '../../libs/scenarios/src/continuous-scenarios';
import { PgScenarioRuns } from '../../libs/scenarios/src/scenario-runs-store';
import { PgServiceCatalog } from '../../libs/service-catalog/src';
import { testServices } from '../support/test-env';

const checkout = readFileSync(join(projectRoot(__dirname), 'test/scenarios/checkout.scenario.ts'), 'utf8');
const quiet = { info: () => undefined, warn: () => undefined };

/**
 * Customer scenarios between rollouts on real PostgreSQL, region-sim's shop and real
 * Playwright: rounds store `continuous` runs, several workers share them, and the store
 * answers a judge's baseline and incident evidence from them.
 */
describe('continuous customer scenarios', () => {
  let pool: Pool;
  let sim: RegionSim;
  let store: PgScenarioRuns;
  const service = `cs-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    pool = new Pool({ connectionString: testServices().databaseUrl, max: 4 });
    sim = await startRegionSim({ regions: ['cs-eu-1', 'cs-us-1'], port: 0, traffic: false });
    store = new PgScenarioRuns(pool);
    const topology = parseServiceTopology({
      name: service,
      regions: [
        { name: 'cs-eu-1', endpoint: `${sim.url}/regions/cs-eu-1`, customers: ['acme', 'bob'] },
        { name: 'cs-us-1', endpoint: `${sim.url}/regions/cs-us-1`, customers: ['carol'] },
      ],
      scenarios: [{ name: 'checkout', source: checkout, timeoutSeconds: 20 }],
      customerProfiles: [
        { customer: 'acme', attributes: { plan: 'enterprise' } },
        { customer: 'bob', attributes: { plan: 'free' } },
      ],
    });
    await new PgServiceCatalog(pool).register(topology);
  });
  afterAll(async () => {
    await sim?.close();
    await pool?.end();
  });

  const catalogOf = (name: string) => ({
    list: async () => (await new PgServiceCatalog(pool).list()).filter((s) => s.topology.name === name),
  });
  const options = { intervalSeconds: 3_600, targetsPerRound: 2, workers: 2, retentionDays: 14 };

  it('runs a rotating share of the targets each round, stores them as continuous, and one worker per interval', async () => {
    sim.fleet.apply('cs-eu-1', 'v2', { faults: { breakCheckoutFor: { plan: 'enterprise' } } });
    const first = new ContinuousScenarios(catalogOf(service), store, quiet, options);
    const other = new ContinuousScenarios(catalogOf(service), store, quiet, options);
    expect(await first.round()).toEqual([{ service, runs: 2, failures: 1, wallMs: expect.any(Number) }]);
    // another worker within the interval: the round is already claimed
    expect(await other.round()).toEqual([]);
    await pool.query(`UPDATE scenario_rounds SET next_at = now() WHERE service = $1`, [service]);
    // the next round goes on where the last stopped: carol, then acme again
    expect(await first.round()).toEqual([{ service, runs: 2, failures: 1, wallMs: expect.any(Number) }]);

    const { rows } = await pool.query<{ customer: string; passed: boolean; role: string; rollout_id: string | null }>(
      `SELECT customer, passed, role, rollout_id FROM scenario_runs WHERE service = $1 ORDER BY id`,
      [service],
    );
    expect(rows.map((r) => [r.customer, r.passed])).toEqual([
      ['acme', false],
      ['bob', true],
      ['carol', true],
      ['acme', false],
    ]);
    expect(rows.every((r) => r.role === 'continuous' && r.rollout_id === null)).toBe(true);
  }, 120_000);

  it('answers a judge’s baseline per customer (changed regions) and per scenario (controls), and incident evidence', async () => {
    const window = { from: new Date(Date.now() - 600_000), to: new Date(Date.now() + 1_000) };
    const tallies = (span: { from: Date; to: Date }) =>
      store.tallies({
        service,
        scenarios: ['checkout'],
        changedRegions: ['cs-eu-1'],
        controlRegions: ['cs-us-1'],
        ...span,
      });
    expect(await tallies(window)).toEqual({
      changed: { 'checkout|acme': { runs: 2, failures: 2 }, 'checkout|bob': { runs: 1, failures: 0 } },
      control: { checkout: { runs: 1, failures: 0 } },
    });
    expect(await tallies({ from: new Date(0), to: new Date(1) })).toBeNull();
    expect(await store.failuresByRegion(service, window.from, window.to)).toEqual([
      {
        region: 'cs-eu-1',
        scenario: 'checkout',
        runs: 3,
        failures: 2,
        customers: ['acme'],
        lastFailureAt: expect.any(Date),
      },
      { region: 'cs-us-1', scenario: 'checkout', runs: 1, failures: 0, customers: [], lastFailureAt: null },
    ]);
  });

  it('keeps continuous runs for their retention only, and gate runs with their rollout', async () => {
    const gateRun = {
      scenario: 'checkout',
      version: 'v',
      region: 'cs-eu-1',
      customer: 'acme',
      passed: false,
      durationMs: 5,
      role: 'changed' as const,
    };
    const tick = { rolloutId: 'r-1', wave: 1, gate: 'journeys', tick: 0 };
    await store.record(service, [gateRun], tick);
    // a retried tick stores nothing twice
    await store.record(service, [gateRun], tick);
    expect(await store.observedFailures('r-1')).toEqual([
      expect.objectContaining({ region: 'cs-eu-1', customer: 'acme', scenarios: ['checkout'], failures: 1, runs: 1 }),
    ]);
    expect(await store.pruneContinuous(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(4);
    const { rows } = await pool.query(`SELECT role FROM scenario_runs WHERE service = $1`, [service]);
    expect(rows).toEqual([{ role: 'changed' }]);
  });
});
