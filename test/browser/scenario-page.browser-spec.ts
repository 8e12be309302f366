import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { projectRoot } from '../../libs/platform/src/project-root';
import { runScenarios } from '../../libs/scenarios/src';

const page = {
  name: 'shop-page',
  source: readFileSync(join(projectRoot(__dirname), 'test/scenarios/shop-page.scenario.ts'), 'utf8'),
  timeoutSeconds: 30,
};

/** A page journey in Debian's Chromium, through the Playwright scenario runner, against region-sim's shop page. */
describe('a page journey in Chromium', () => {
  let sim: RegionSim;
  beforeAll(async () => {
    sim = await startRegionSim({ regions: ['eu-1'], port: 0, traffic: false });
  });
  afterAll(() => sim.close());
  const target = (plan: string) => ({
    region: 'eu-1',
    baseURL: `${sim.url}/regions/eu-1`,
    customer: { customer: `c-${plan}`, attributes: { plan }, credentials: {} },
  });

  it('passes against a healthy region, and fails where the config broke checkout for the customer', async () => {
    sim.fleet.apply('eu-1', 'v2', { faults: { breakCheckoutFor: { plan: 'enterprise' } } });
    const { runs } = await runScenarios([page], [target('free'), target('enterprise')]);
    expect(runs.map((r) => [r.customer, r.passed])).toEqual([
      ['c-free', true],
      ['c-enterprise', false],
    ]);
    expect(runs[1].error).toContain('Order placed');
  });
});
