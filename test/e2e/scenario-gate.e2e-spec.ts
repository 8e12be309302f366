import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../libs/platform/src/project-root';
import { startAppStack, type AppStack } from '../support/app-stack';
import { readRollout, registerService, startRollout, waitForRollout, type RegionFixture } from '../support/fixtures';
import { graphql } from '../support/graphql-client';
import { tokenOf } from '../support/test-tokens';
import { rolloutWorkflowId } from '../../workflows/rollout.types';

const root = projectRoot(__dirname);
const checkout = readFileSync(join(root, 'test/scenarios/checkout.scenario.ts'), 'utf8');
/** The same journey, plus a step that fails one run in twenty wherever it runs: a flaky scenario. */
const flaky = `${checkout}
test('a flaky step fails one run in twenty, everywhere', async () => {
  expect(Math.random(), 'flaky step').toBeGreaterThanOrEqual(0.05);
});
`;

const REGIONS: RegionFixture[] = [
  { name: 'sg-canary-1', tier: 'CANARY', customers: ['acme', 'hooli', 'initech'] },
  { name: 'sg-east-1', tier: 'STANDARD', customers: ['globex', 'umbrella', 'wayne'] },
  { name: 'sg-west-1', tier: 'STANDARD', customers: ['stark', 'tyrell', 'wonka'] },
];
const ENTERPRISE = new Set(['acme', 'initech', 'globex', 'stark', 'tyrell']);
const PROFILES = REGIONS.flatMap((r) => r.customers ?? []).map((customer) => ({
  customer,
  attributes: { plan: ENTERPRISE.has(customer) ? 'enterprise' : 'free' },
}));
/** The canary alone, then the rest: the canary is judged against the two unchanged regions. */
const STRATEGY = { canaryMaxShare: 0.5, growthFactor: 10, approvalAfterCanary: false };
const waves = [{ regions: ['sg-canary-1'] }, { regions: ['sg-east-1', 'sg-west-1'], bakeSeconds: 0 }];

interface CustomerVerdict {
  scenario: string;
  customer: string;
  verdict: string;
  changedRuns: number;
  changedFailures: number;
  controlRuns: number;
  controlFailures: number;
  firstFailureAt: string | null;
  lastFailureAt: string | null;
  regions: string[];
}
interface Journey {
  region: string;
  scenario: string;
  runs: number;
  failures: number;
  customers: string[];
}
interface Affected {
  customer: string;
  region: string;
  rank: number;
  observedFailing: boolean;
  failedScenarios: string[];
  firstFailureAt: string | null;
  lastFailureAt: string | null;
  journeyFailures: number | null;
}

/**
 * The scenario gate on the real stack: Temporal, PostgreSQL, region-sim's shop and real
 * Playwright runs on the worker. A change that breaks checkout for enterprise customers is
 * caught in the canary by their journeys alone, rolled back, and those customers are listed
 * as seen failing; a harmless change with a flaky journey passes.
 */
describe('scenario gates (real stack, real Playwright)', () => {
  let stack: AppStack;
  beforeAll(async () => {
    stack = await startAppStack({ regions: REGIONS.map((r) => r.name) });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const register = (service: string, scenarios: Array<{ name: string; source: string }>) =>
    registerService(stack, service, REGIONS, undefined, { scenarios, customerProfiles: PROFILES });

  const gateEvents = async (id: string) =>
    (await readRollout(stack, id)).events.filter((e) => e.type === 'HealthGateEvaluated' && e.data.kind === 'scenario');

  it('a change that breaks checkout for enterprise customers FAILs in the canary, naming exactly them, and rolls back', async () => {
    const service = 'shop-enterprise';
    await register(service, [{ name: 'checkout', source: checkout }]);
    const id = await startRollout(stack, {
      service,
      version: 'v2',
      config: { faults: { breakCheckoutFor: { plan: 'enterprise' } } },
      waves,
      strategy: { ...STRATEGY, bakeSeconds: 600 },
      gates: [{ kind: 'scenario', name: 'journeys', minRuns: 3 }],
      gateIntervalSeconds: 2,
    });
    const done = await waitForRollout(stack, id, ['ROLLED_BACK'], 240_000);
    expect(done.stopReason).toMatch(/^gate journeys failed in sg-canary-1: checkout broke for acme, initech \(/);

    const requested = done.events.find((e) => e.type === 'RolloutRequested')!;
    expect(requested.data.scenarioVersions).toEqual({ checkout: expect.stringMatching(/^[0-9a-f]{12}$/) });
    const failed = (await gateEvents(id)).find((e) => e.data.verdict === 'FAIL')!;
    const evidence = failed.data.scenario as { customers: CustomerVerdict[]; versions: Record<string, string> };
    expect(evidence.versions).toEqual(requested.data.scenarioVersions);
    const failing = evidence.customers.filter((c) => c.verdict === 'FAIL');
    expect(failing.map((c) => c.customer)).toEqual(['acme', 'initech']);
    for (const c of failing) {
      expect(c).toMatchObject({ scenario: 'checkout', regions: ['sg-canary-1'], controlFailures: 0 });
      expect(c.changedFailures).toBe(c.changedRuns);
      expect(c.controlRuns).toBeGreaterThan(0);
    }
    // hooli, a free-plan customer of the canary, passed every run: never named
    expect(evidence.customers.map((c) => c.customer)).not.toContain('hooli');
    // only the canary was ever pushed, and it serves what it served before again
    expect(done.events.filter((e) => e.type === 'RegionConfigPushed').map((e) => e.data.region)).toEqual([
      'sg-canary-1',
    ]);

    const res = await graphql<{ affectedCustomers: Affected[] }>(
      stack.gateway.url,
      /* GraphQL */ `
        query ($id: ID!) {
          affectedCustomers(rolloutId: $id) {
            customer
            region
            rank
            observedFailing
            failedScenarios
            firstFailureAt
            lastFailureAt
            journeyFailures
          }
        }
      `,
      { id },
    );
    expect(res.errors).toBeUndefined();
    const affected = res.data!.affectedCustomers;
    // observed beside exposed: all three canary customers were exposed, two were seen failing
    expect(affected.map((a) => [a.customer, a.region, a.observedFailing])).toEqual([
      [expect.stringMatching(/^(acme|initech)$/), 'sg-canary-1', true],
      [expect.stringMatching(/^(acme|initech)$/), 'sg-canary-1', true],
      ['hooli', 'sg-canary-1', false],
    ]);
    for (const a of affected.filter((x) => x.observedFailing)) {
      expect(a.rank).toBeLessThanOrEqual(2);
      expect(a.failedScenarios).toEqual(['checkout']);
      expect(a.journeyFailures).toBeGreaterThanOrEqual(3);
      expect(Date.parse(a.firstFailureAt!)).toBeLessThanOrEqual(Date.parse(a.lastFailureAt!));
    }
    expect(affected.find((a) => a.customer === 'hooli')).toMatchObject({ failedScenarios: [], firstFailureAt: null });

    const csv = await fetch(`${stack.gateway.url}/rollouts/${id}/affected-customers.csv`, {
      headers: { authorization: `Bearer ${tokenOf('viewer')}` },
    });
    const lines = (await csv.text()).trim().split('\r\n');
    const header = lines[0].split(',');
    const observed = header.indexOf('observed_failing');
    expect(observed).toBeGreaterThan(0);
    expect(lines.slice(1).map((l) => [l.split(',')[0], l.split(',')[observed]])).toEqual(
      affected.map((a) => [a.customer, String(a.observedFailing)]),
    );

    // an alert on the canary now: the journeys are its evidence, failing only there
    const incident = await graphql<{ incident: { journeys: Journey[] } }>(
      stack.gateway.url,
      /* GraphQL */ `
        query ($alert: AlertInput!) {
          incident(alert: $alert) {
            journeys {
              region
              scenario
              runs
              failures
              customers
            }
          }
        }
      `,
      {
        alert: {
          labels: { alertname: 'CheckoutErrors', service, region: 'sg-canary-1' },
          startsAt: new Date().toISOString(),
        },
      },
      'viewer',
    );
    expect(incident.errors).toBeUndefined();
    const journeys = incident.data!.incident.journeys;
    expect(journeys[0]).toMatchObject({ region: 'sg-canary-1', scenario: 'checkout', customers: ['acme', 'initech'] });
    expect(journeys[0].failures).toBeGreaterThanOrEqual(6);
    expect(journeys.slice(1).every((j) => j.failures === 0 && j.runs > 0)).toBe(true);
  }, 300_000);

  it('a harmless change with a flaky journey (one run in twenty fails everywhere) is never blamed, and goes on', async () => {
    const service = 'shop-flaky';
    await register(service, [{ name: 'checkout-flaky', source: flaky }]);
    const id = await startRollout(stack, {
      service,
      version: 'v2',
      config: { banner: 'winter sale' },
      waves,
      strategy: { ...STRATEGY, bakeSeconds: 75 },
      // A journey failing this rarely gives a PASS only after hundreds of control runs (its
      // failures are the evidence): within this short bake it stays undecided, which passes.
      // At the default alpha (0.05) a harmless change is FAILed at most 5% of the time by
      // design (bench:scenarios measures it: falseFailRateFlaky); CI once drew acme failing 4
      // of 7 runs against 1 of 42 in the controls. Here alpha is 0.001, so the spec itself
      // fails at most once in a thousand runs.
      gates: [{ kind: 'scenario', name: 'journeys', minRuns: 3, noData: 'pass', alpha: 0.001 }],
      gateIntervalSeconds: 2,
    });
    const done = await waitForRollout(stack, id, ['SUCCEEDED', 'ROLLED_BACK', 'FAILED'], 240_000);
    expect(done.stopReason).toBeNull();
    expect(done.status).toBe('SUCCEEDED');
    const evaluations = await gateEvents(id);
    expect(evaluations.length).toBeGreaterThan(5);
    expect(evaluations.filter((e) => e.data.verdict === 'FAIL')).toEqual([]);
    expect(evaluations.at(-1)!.data.verdict).toMatch(/^(PASS|NO_DATA)$/);
    // the journey did fail now and then, in the canary and in the controls alike
    const { rows } = await stack.pool.query<{ role: string; runs: string; failures: string }>(
      `SELECT role, count(*) AS runs, count(*) FILTER (WHERE NOT passed) AS failures
         FROM scenario_runs WHERE rollout_id = $1 GROUP BY role ORDER BY role`,
      [id],
    );
    expect(rows.map((r) => r.role)).toEqual(['changed', 'control']);
    const failures = rows.reduce((n, r) => n + Number(r.failures), 0);
    const runs = rows.reduce((n, r) => n + Number(r.runs), 0);
    expect(failures).toBeGreaterThan(0);
    expect(failures / runs).toBeLessThan(0.2);
  }, 300_000);

  it('refuses a scenario gate naming a scenario the service does not have, and starts nothing', async () => {
    const service = 'shop-unknown';
    await register(service, [{ name: 'checkout', source: checkout }]);
    const res = await graphql(
      stack.gateway.url,
      /* GraphQL */ `
        mutation ($input: StartRolloutInput!) {
          startRollout(input: $input) {
            id
          }
        }
      `,
      {
        input: {
          service,
          version: 'v2',
          config: {},
          waves,
          strategy: STRATEGY,
          gates: [{ kind: 'scenario', name: 'journeys', scenarios: ['checkout', 'refund'] }],
        },
      },
      'alice',
    );
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].extensions?.fields).toEqual([
      {
        field: 'gates.0.scenarios',
        message: 'not scenarios of service "shop-unknown": refund (it has checkout)',
      },
    ]);
    // no workflow was started for the service
    await expect(stack.temporal.workflow.getHandle(rolloutWorkflowId(service)).describe()).rejects.toThrow(
      /not found/i,
    );
  });
});
