import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegionSim, type RegionSim } from '../../apps/region-sim/src/region-sim';
import { projectRoot } from '../../libs/platform/src/project-root';
import { runScenarios, scenarioProblem, scenarioVersion, type ScenarioTarget } from '../../libs/scenarios/src';

const ROOT = projectRoot(__dirname);
const checkout = {
  name: 'checkout',
  source: readFileSync(join(ROOT, 'test/scenarios/checkout.scenario.ts'), 'utf8'),
  timeoutSeconds: 20,
};
const acme = { customer: 'acme', attributes: { plan: 'enterprise' }, credentials: { authorization: 'ACME_TOKEN' } };
const bob = { customer: 'bob', attributes: { plan: 'free' }, credentials: {} };

/** Real Playwright (`@playwright/test`) against region-sim's shop: API journeys per region and customer. */
describe('the Playwright scenario runner', () => {
  let sim: RegionSim;
  beforeAll(async () => {
    sim = await startRegionSim({ regions: ['eu-1', 'eu-2'], port: 0, traffic: false });
  });
  afterAll(() => sim.close());
  const targets = (): ScenarioTarget[] =>
    ['eu-1', 'eu-2'].flatMap((region) =>
      [acme, bob].map((customer) => ({ region, baseURL: `${sim.url}/regions/${region}`, customer })),
    );

  it('runs each scenario once per region and customer, and names the customers a config broke', async () => {
    sim.fleet.apply('eu-1', 'v2', { faults: { breakCheckoutFor: { plan: 'enterprise' } } });
    const { runs, wallMs } = await runScenarios([checkout], targets(), {
      env: { ...process.env, ACME_TOKEN: 's3cret' },
    });
    expect(wallMs).toBeGreaterThan(0);
    expect(runs.map((r) => [r.region, r.customer, r.passed])).toEqual([
      ['eu-1', 'acme', false],
      ['eu-1', 'bob', true],
      ['eu-2', 'acme', true],
      ['eu-2', 'bob', true],
    ]);
    expect(runs[0].error).toContain('checkout');
    expect(runs[0].error).toContain('Received: 500');
    expect(runs.every((r) => r.version === scenarioVersion(checkout.source) && r.scenario === 'checkout')).toBe(true);
  });

  it('a scenario sees its customer’s credentials, and nothing else of the runner’s environment', async () => {
    const probe = {
      name: 'env',
      timeoutSeconds: 10,
      source: `import { expect, test } from '@playwright/test';
test('sees only what it needs', async ({}, info) => {
  expect(process.env.SLUICE_TEST_SECRET).toBeUndefined();
  expect(info.project.use.extraHTTPHeaders).toMatchObject({ authorization: 's3cret', 'x-customer': 'acme', 'x-customer-plan': 'enterprise' });
});`,
    };
    const env = { ...process.env, SLUICE_TEST_SECRET: 'database-password', ACME_TOKEN: 's3cret' };
    const { runs } = await runScenarios([probe], targets().slice(0, 1), { env });
    expect(runs).toEqual([expect.objectContaining({ customer: 'acme', passed: true })]);
  });

  it('refuses a file that does not parse, or has no tests, with Playwright’s own words', async () => {
    expect(await scenarioProblem(checkout)).toBeNull();
    const broken = await scenarioProblem({
      name: 'broken',
      source: "import { test } from '@playwright/test';\ntest('x', async () => {",
    });
    expect(broken).toMatch(/SyntaxError|Unexpected token|expected/i);
    const empty = await scenarioProblem({ name: 'empty', source: "import { test } from '@playwright/test';\n" });
    expect(empty).toBe('Error: No tests found');
  });
});
