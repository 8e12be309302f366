/**
 * `npm run bench:scenarios [-- --quick] [--seed N]`: customer scenarios (libs/scenarios).
 *
 * - Throughput: real Playwright runs of an API journey and of a page journey (Debian's
 *   chromium) against region-sim's shop, per minute per core of this machine.
 * - Detection: a config that breaks checkout for 10% of the customers reaches two regions;
 *   each interval every customer of those regions and a sample of the controls' walk the
 *   journey for real, and the scenario judge decides. The reference in the same run is the
 *   probe gate (`GET /probe` must answer 200) on the same regions, interval by interval.
 * - False FAILs: a harmless change with a journey that fails 5% of the time everywhere, judged
 *   over many seeded worlds (outcomes drawn, not run: the judge is what decides).
 */
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegionSim, type RegionSim } from '../apps/region-sim/src/region-sim';
import { projectRoot } from '../libs/platform/src/project-root';
import {
  DEFAULT_SCENARIO_JUDGE,
  concludeScenarioJudge,
  judgeScenarioInterval,
  runScenarios,
  startScenarioJudge,
  type JudgedRun,
  type ScenarioTarget,
} from '../libs/scenarios/src';
import { machineInfo, writeReport } from './bench-report';
import { seededRandom } from '../libs/judge/src/simulation';

const quick = process.argv.includes('--quick');
const seedArg = process.argv.indexOf('--seed');
const SEED = seedArg > 0 ? Number(process.argv[seedArg + 1]) : Math.floor(Math.random() * 2 ** 31);
const ROOT = projectRoot(__dirname);
const CORES = cpus().length;
const INTERVAL_SECONDS = 60;
const MAX_INTERVALS = 30;
const DETECT_TRIALS = quick ? 1 : 8;
const FLAKY_TRIALS = quick ? 100 : 1_000;
const API_BATCHES = quick ? 1 : 4;
const BROWSER_BATCHES = quick ? 1 : 3;

const scenario = (name: string, file: string) => ({
  name,
  source: readFileSync(join(ROOT, 'test/scenarios', file), 'utf8'),
  timeoutSeconds: 30,
});
const checkout = scenario('checkout', 'checkout.scenario.ts');
const shopPage = scenario('shop-page', 'shop-page.scenario.ts');

const CHANGED = ['canary-1', 'canary-2'];
const CONTROLS = ['west-1', 'west-2', 'east-1', 'east-2'];
const CUSTOMERS_PER_REGION = 10;
/** Control customers walked per interval: a sample, as the gate would. */
const CONTROL_SAMPLE = 10;

/** Each region's customers; one in ten is on the enterprise plan (the customers the change breaks). */
function customersOf(region: string) {
  return Array.from({ length: CUSTOMERS_PER_REGION }, (_, i) => ({
    customer: `${region}-c${i}`,
    attributes: { plan: i === 0 ? 'enterprise' : 'free' },
    credentials: {},
  }));
}

const targetsOf = (sim: RegionSim, region: string, customers = customersOf(region)): ScenarioTarget[] =>
  customers.map((customer) => ({ region, baseURL: `${sim.url}/regions/${region}`, customer }));

async function throughput(sim: RegionSim, which: typeof checkout, batches: number, targets: ScenarioTarget[]) {
  let runs = 0;
  let wallMs = 0;
  let failed = 0;
  for (let i = 0; i < batches; i++) {
    const batch = await runScenarios([which], targets, { workers: CORES });
    runs += batch.runs.length;
    failed += batch.runs.filter((r) => !r.passed).length;
    wallMs += batch.wallMs;
  }
  const perMinute = runs / (wallMs / 60_000);
  return { runs, failed, wallMs, runsPerMinPerCore: Math.round((perMinute / CORES) * 10) / 10 };
}

/** One trial: intervals until the judge FAILs (minutes), or null within MAX_INTERVALS; the probe gate alongside. */
async function detectionTrial(sim: RegionSim, rnd: () => number) {
  for (const r of [...CHANGED, ...CONTROLS]) sim.fleet.apply(r, `v1-${Math.floor(rnd() * 1e9)}`, {});
  const pairs = CHANGED.flatMap((r) => customersOf(r).map((c) => ({ scenario: 'checkout', customer: c.customer })));
  let state = startScenarioJudge(pairs, null, { ...DEFAULT_SCENARIO_JUDGE, intervalSeconds: INTERVAL_SECONDS });
  const broken = { faults: { breakCheckoutFor: { plan: 'enterprise' } } };
  for (const r of CHANGED) sim.fleet.apply(r, `v2-${Math.floor(rnd() * 1e9)}`, broken);
  let scenarioAt: number | null = null;
  let probeAt: number | null = null;
  let runs = 0;
  for (let i = 1; i <= MAX_INTERVALS && scenarioAt === null; i++) {
    const controls = CONTROLS.flatMap((r) => customersOf(r).map((c) => ({ region: r, c })))
      .sort(() => rnd() - 0.5)
      .slice(0, CONTROL_SAMPLE);
    const changedTargets = CHANGED.flatMap((r) => targetsOf(sim, r));
    const controlTargets = controls.map(({ region, c }) => targetsOf(sim, region, [c])[0]);
    const { runs: done } = await runScenarios([checkout], [...changedTargets, ...controlTargets], { workers: CORES });
    runs += done.length;
    const judged = (from: number, to: number): JudgedRun[] =>
      done.slice(from, to).map((r) => ({ scenario: r.scenario, customer: r.customer, passed: r.passed }));
    const judgement = judgeScenarioInterval(state, {
      changed: judged(0, changedTargets.length),
      control: judged(changedTargets.length, done.length),
    });
    state = judgement.state;
    if (judgement.verdict === 'FAIL') scenarioAt = (i * INTERVAL_SECONDS) / 60;
    if (probeAt === null) {
      const statuses = await Promise.all(
        CHANGED.map(async (r) => (await fetch(`${sim.url}/regions/${r}/probe`)).status),
      );
      if (statuses.some((s) => s !== 200)) probeAt = (i * INTERVAL_SECONDS) / 60;
    }
    if (judgement.verdict === 'FAIL') {
      const named = judgement.failedCustomers.map((f) => f.customer);
      if (named.some((c) => !c.endsWith('-c0')))
        throw new Error(`blamed a customer the change did not break: ${named}`);
    }
  }
  return { scenarioAt, probeAt, runs };
}

/** A harmless change, a journey that fails 5% of the time for everyone: does the judge ever FAIL? */
function flakyTrial(rnd: () => number): boolean {
  const changed = CHANGED.flatMap((r) => customersOf(r).map((c) => c.customer));
  const controls = CONTROLS.flatMap((r) => customersOf(r).map((c) => c.customer));
  let state = startScenarioJudge(
    changed.map((customer) => ({ scenario: 'checkout', customer })),
    null,
  );
  const walk = (customers: string[]): JudgedRun[] =>
    customers.map((customer) => ({ scenario: 'checkout', customer, passed: rnd() >= 0.05 }));
  for (let i = 0; i < MAX_INTERVALS; i++) {
    const sample = [...controls].sort(() => rnd() - 0.5).slice(0, CONTROL_SAMPLE);
    const judgement = judgeScenarioInterval(state, { changed: walk(changed), control: walk(sample) });
    if (judgement.verdict === 'FAIL') return true;
    if (judgement.verdict === 'PASS') return false;
    state = judgement.state;
  }
  return concludeScenarioJudge(state).verdict === 'FAIL';
}

const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const rnd = seededRandom(SEED);
  const sim = await startRegionSim({ regions: [...CHANGED, ...CONTROLS], port: 0, traffic: false });
  try {
    const apiTargets = [...CHANGED, ...CONTROLS].flatMap((r) => targetsOf(sim, r));
    const api = await throughput(sim, checkout, API_BATCHES, apiTargets);
    const browser = await throughput(sim, shopPage, BROWSER_BATCHES, apiTargets.slice(0, quick ? 4 : 12));
    const trials = [];
    for (let t = 0; t < DETECT_TRIALS; t++) trials.push(await detectionTrial(sim, rnd));
    const detected = trials.flatMap((t) => (t.scenarioAt === null ? [] : [t.scenarioAt]));
    const probeDetected = trials.flatMap((t) => (t.probeAt === null ? [] : [t.probeAt]));
    const falseFails = Array.from({ length: FLAKY_TRIALS }, () => flakyTrial(rnd)).filter(Boolean).length;

    const apiRunsPerMinPerCore = api.runsPerMinPerCore;
    const browserRunsPerMinPerCore = browser.runsPerMinPerCore;
    const detectMedianMin = detected.length === trials.length ? median(detected) : null;
    const probeDetectMedianMin = probeDetected.length === trials.length ? median(probeDetected) : null;
    const falseFailRateFlaky = Math.round((falseFails / FLAKY_TRIALS) * 1e4) / 1e4;
    const alpha = DEFAULT_SCENARIO_JUDGE.alpha;
    const targets = [
      {
        what: 'falseFailRateFlaky (harmless change, journey flaky at 5% everywhere)',
        target: `≤ α (${alpha})`,
        measured: String(falseFailRateFlaky),
        met: falseFailRateFlaky <= alpha,
      },
      {
        what: 'detectMedianMin (checkout broken for 10% of customers)',
        target: 'detected in every trial',
        measured: `${detectMedianMin ?? 'not every trial'} (${detected.length}/${trials.length} trials)`,
        met: detectMedianMin !== null,
      },
      {
        what: 'probeDetectMedianMin (the probe gate, same trials)',
        target: 'expected never to detect (null)',
        measured: String(probeDetectMedianMin),
        met: probeDetectMedianMin === null,
      },
    ];
    const report = {
      name: quick ? 'scenarios-quick' : 'scenarios',
      startedAt,
      // the figures, at the top level
      apiRunsPerMinPerCore,
      browserRunsPerMinPerCore,
      detectMedianMin,
      probeDetectMedianMin,
      falseFailRateFlaky,
      machine: machineInfo(),
      parameters: {
        quick,
        seed: SEED,
        cores: CORES,
        intervalSeconds: INTERVAL_SECONDS,
        maxIntervals: MAX_INTERVALS,
        detectTrials: DETECT_TRIALS,
        flakyTrials: FLAKY_TRIALS,
        customersPerRegion: CUSTOMERS_PER_REGION,
        changedRegions: CHANGED.length,
        controlSample: CONTROL_SAMPLE,
        judge: DEFAULT_SCENARIO_JUDGE,
      },
      results: {
        api,
        browser,
        detection: trials,
        reference: {
          name: 'probe gate (GET /probe answers 200)',
          detected: probeDetected.length,
          trials: trials.length,
        },
        falseFails,
      },
      targets,
      notes: [
        'Throughput: one @playwright/test process per batch, as many Playwright workers as cores; runs per minute of wall time divided by the cores. The page journey runs in Debian\u2019s chromium.',
        'Detection: real Playwright runs against region-sim each interval (every customer of the two changed regions, 10 sampled control customers); minutes are intervals \u00d7 60 s of bake time, the runs themselves take seconds. One customer in ten is on the enterprise plan, whose checkout the config breaks.',
        'Reference in the same trials: the probe gate on the changed regions. The change breaks one journey step for some customers; the probe answers 200 throughout.',
        'falseFailRateFlaky: outcomes drawn (5% failures everywhere) and judged by the same judge, over seeded worlds, until PASS, FAIL or the 30-interval deadline.',
      ],
    };
    const paths = writeReport(ROOT, report);
    console.log(`seed ${SEED}, ${CORES} cores`);
    console.log(`apiRunsPerMinPerCore ${apiRunsPerMinPerCore}, browserRunsPerMinPerCore ${browserRunsPerMinPerCore}`);
    console.log(`detectMedianMin ${detectMedianMin}, probeDetectMedianMin ${probeDetectMedianMin}`);
    console.log(`falseFailRateFlaky ${falseFailRateFlaky} (${falseFails}/${FLAKY_TRIALS})`);
    for (const t of targets) console.log(`${t.met ? 'met ' : 'MISS'} ${t.what}: ${t.measured} (target ${t.target})`);
    console.log(`report: ${paths.markdown}`);
  } finally {
    await sim.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
