import { gateSpecSchema } from '../gates/gate-spec';
import { scenarioGateProblems, scenariosGated } from './scenarios';

const service = {
  name: 'shop',
  scenarios: [{ name: 'checkout' }, { name: 'sign-in' }],
  regions: [{ customers: ['acme'] }, { customers: [] }],
};

describe('scenario gates on a service', () => {
  it('a gate naming the service’s scenarios, or none (all of them), can run', () => {
    expect(
      scenarioGateProblems([{ kind: 'scenario', scenarios: ['checkout'] }, { kind: 'scenario' }], service),
    ).toEqual([]);
  });

  it('names every scenario the service does not have, and the service’s own', () => {
    expect(
      scenarioGateProblems([{ kind: 'probe' }, { kind: 'scenario', scenarios: ['refund', 'checkout', 'x'] }], service),
    ).toEqual([
      { field: 'gates.1.scenarios', message: 'not scenarios of service "shop": refund, x (it has checkout, sign-in)' },
    ]);
  });

  it('refuses a gate on a service without scenarios, or without a customer in any region', () => {
    expect(scenarioGateProblems([{ kind: 'scenario' }], { ...service, scenarios: [] })).toEqual([
      {
        field: 'gates.0',
        message: 'service "shop" has no scenarios: register them with the service first (docs/SCENARIOS.md)',
      },
    ]);
    expect(scenarioGateProblems([{ kind: 'scenario' }], { ...service, regions: [{ customers: [] }] })).toEqual([
      { field: 'gates.0', message: 'no region of service "shop" lists customers to run its scenarios as' },
    ]);
  });

  it('refuses gates that would judge more (scenario, customer) pairs than a run state holds', () => {
    const customers = (n: number) => [{ customers: Array.from({ length: n }, (_, i) => `c${i}`) }];
    expect(scenarioGateProblems([{ kind: 'scenario' }], { ...service, regions: customers(250) })).toEqual([]);
    expect(
      scenarioGateProblems([{ kind: 'scenario', scenarios: ['checkout'] }, { kind: 'scenario' }], {
        ...service,
        regions: customers(200),
      }),
    ).toEqual([
      {
        field: 'gates',
        message:
          'the scenario gates would judge 600 (scenario, customer) pairs, more than 500: name fewer scenarios in them',
      },
    ]);
  });

  it('the scenarios a rollout carries: the union the gates name, all when one names none, none without a gate', () => {
    const all = [{ name: 'checkout' }, { name: 'sign-in' }, { name: 'page' }];
    expect(
      scenariosGated(
        [
          { kind: 'scenario', scenarios: ['page'] },
          { kind: 'scenario', scenarios: ['checkout'] },
        ],
        all,
      ),
    ).toEqual([{ name: 'checkout' }, { name: 'page' }]);
    expect(scenariosGated([{ kind: 'scenario', scenarios: ['page'] }, { kind: 'scenario' }], all)).toEqual(all);
    expect(scenariosGated([{ kind: 'probe' }], all)).toEqual([]);
  });

  it('the gate’s defaults, and its bounds refused', () => {
    expect(gateSpecSchema.parse({ kind: 'scenario', name: 'journeys' })).toEqual({
      kind: 'scenario',
      name: 'journeys',
      controlSamples: 6,
      alpha: 0.05,
      beta: 0.01,
      tolerance: 1,
      maxTolerated: 5,
      minRuns: 5,
      maxDurationSeconds: 3_600,
      baselineWindowSeconds: 3_600,
      workers: 2,
      noData: 'pause',
    });
    const problems = (gate: Record<string, unknown>) =>
      gateSpecSchema.safeParse({ kind: 'scenario', name: 'j', ...gate }).error?.issues.map((i) => i.path.join('.'));
    expect(problems({ scenarios: [] })).toEqual(['scenarios']);
    expect(problems({ scenarios: ['a', 'a'] })).toEqual(['scenarios']);
    expect(problems({ tolerance: 5, maxTolerated: 2 })).toEqual(['maxTolerated']);
    expect(problems({ workers: 0 })).toEqual(['workers']);
    expect(problems({ controlSamples: 51 })).toEqual(['controlSamples']);
  });
});
