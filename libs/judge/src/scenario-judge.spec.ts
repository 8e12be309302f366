import {
  DEFAULT_SCENARIO_JUDGE,
  concludeScenarioJudge,
  judgeScenarioInterval,
  startScenarioJudge,
  type JudgedRun,
  type ScenarioJudgement,
  type ScenarioRuns,
  type ScenarioTallies,
} from './scenario-judge';
import { seededRandom } from './simulation';

const CHANGED = ['acme', 'globex', 'initech', 'umbrella'];
const ENTERPRISE = new Set(['acme', 'initech']);
const CONTROL = ['hooli', 'stark', 'wayne', 'wonka', 'tyrell', 'cyberdyne'];

/** One interval: each customer walks `checkout` once per run; `failRate` says how often it fails. */
function interval(rnd: () => number, failRate: (customer: string, changed: boolean) => number, runs = 2): ScenarioRuns {
  const walk = (customers: string[], changed: boolean): JudgedRun[] =>
    customers.flatMap((customer) =>
      Array.from({ length: runs }, () => ({
        scenario: 'checkout',
        customer,
        passed: rnd() >= failRate(customer, changed),
      })),
    );
  return { changed: walk(CHANGED, true), control: walk(CONTROL, false) };
}

/** Runs counted per customer (changed) and per scenario (controls), as `scenario_runs` answers a window. */
function countedAsStored(runs: ScenarioRuns): ScenarioTallies {
  const tallies: ScenarioTallies = { changed: {}, control: {} };
  const add = (into: Record<string, { runs: number; failures: number }>, key: string, passed: boolean) => {
    const counts = (into[key] ??= { runs: 0, failures: 0 });
    counts.runs += 1;
    if (!passed) counts.failures += 1;
  };
  for (const r of runs.changed) add(tallies.changed, `${r.scenario}|${r.customer}`, r.passed);
  for (const r of runs.control) add(tallies.control, r.scenario, r.passed);
  return tallies;
}

/** Intervals until the gate decides (at most `max`), then the deadline. */
function bake(
  seed: number,
  failRate: (customer: string, changed: boolean) => number,
  options: { before?: number; max?: number; counted?: boolean } = {},
): { judgement: ScenarioJudgement; intervals: number } {
  const rnd = seededRandom(seed);
  const pairs = CHANGED.map((customer) => ({ scenario: 'checkout', customer }));
  const before = options.before
    ? Array.from({ length: options.before }, () => interval(rnd, (c) => failRate(c, false)))
    : null;
  const merged =
    before &&
    before.reduce((a, b) => ({ changed: [...a.changed, ...b.changed], control: [...a.control, ...b.control] }));
  let state = startScenarioJudge(pairs, merged && options.counted ? countedAsStored(merged) : merged);
  for (let i = 1; i <= (options.max ?? 60); i++) {
    const judgement = judgeScenarioInterval(state, interval(rnd, failRate));
    state = judgement.state;
    if (judgement.verdict === 'FAIL' || judgement.verdict === 'PASS') return { judgement, intervals: i };
  }
  return { judgement: concludeScenarioJudge(state), intervals: options.max ?? 60 };
}

const flaky = 0.05;
/** Checkout broken for enterprise customers in the changed regions; every journey flaky at 5% everywhere. */
const brokenForEnterprise = (customer: string, changed: boolean) => (changed && ENTERPRISE.has(customer) ? 1 : flaky);
const harmless = () => flaky;

describe('the scenario judge', () => {
  it('given checkout broken for enterprise customers in the changed regions, FAILs naming exactly them', () => {
    const { judgement, intervals } = bake(1, brokenForEnterprise);
    expect(judgement.verdict).toBe('FAIL');
    expect(judgement.failedCustomers.map((f) => f.customer).sort()).toEqual(['acme', 'initech']);
    expect(intervals).toBeLessThanOrEqual(5);
  });

  it('given half an hour of pre-change runs too, FAILs naming only enterprise customers', () => {
    for (let seed = 2; seed < 22; seed++) {
      const { judgement } = bake(seed, brokenForEnterprise, { before: 30 });
      expect(judgement.verdict).toBe('FAIL');
      const named = judgement.failedCustomers.map((f) => f.customer);
      expect(named.length).toBeGreaterThan(0);
      for (const customer of named) expect(ENTERPRISE.has(customer)).toBe(true);
    }
  });

  it('given a harmless change and a scenario that fails 5% of the time everywhere, never blames the change (200 seeds)', () => {
    const outcomes = Array.from({ length: 200 }, (_, seed) => bake(1_000 + seed, harmless).judgement.verdict);
    const falseFails = outcomes.filter((v) => v === 'FAIL').length;
    expect(falseFails / outcomes.length).toBeLessThanOrEqual(DEFAULT_SCENARIO_JUDGE.alpha);
    expect(outcomes.filter((v) => v === 'PASS').length).toBeGreaterThan(150);
  });

  it('given a customer whose journey always failed a little more before the change, does not blame the change for it', () => {
    // acme's checkout failed 20% of the time before the change and still does; the controls 5%
    const rate = (customer: string) => (customer === 'acme' ? 0.2 : flaky);
    const outcomes = Array.from({ length: 50 }, (_, seed) => bake(5_000 + seed, rate, { before: 30 }).judgement);
    const blamedAcme = outcomes.filter((j) => j.failedCustomers.some((f) => f.customer === 'acme')).length;
    expect(blamedAcme / outcomes.length).toBeLessThanOrEqual(0.1);
  });

  it('a baseline read as counts, as the stored runs answer it, decides exactly as the same runs listed', () => {
    const rate = (customer: string) => (customer === 'acme' ? 0.2 : flaky);
    for (let seed = 5_000; seed < 5_020; seed++) {
      const listed = bake(seed, rate, { before: 30 }).judgement;
      const counted = bake(seed, rate, { before: 30, counted: true }).judgement;
      expect(counted.verdicts).toEqual(listed.verdicts);
    }
  });

  it('keeps its state as plain data: a judge rebuilt from JSON decides the same', () => {
    const rnd = seededRandom(7);
    const pairs = CHANGED.map((customer) => ({ scenario: 'checkout', customer }));
    let live = startScenarioJudge(pairs, null);
    let copied = JSON.parse(JSON.stringify(live));
    for (let i = 0; i < 5; i++) {
      const runs = interval(rnd, brokenForEnterprise);
      const a = judgeScenarioInterval(live, runs);
      const b = judgeScenarioInterval(copied, runs);
      expect(b.verdicts).toEqual(a.verdicts);
      live = a.state;
      copied = JSON.parse(JSON.stringify(b.state));
    }
  });
});
