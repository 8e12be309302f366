/**
 * `npm run bench:judge [-- --quick]`: Sluice's canary judge (pre-change baseline) against the
 * legacy judge (θ = 1), a Kayenta-style fixed-window Mann-Whitney judge over the 60-minute bake
 * and a naive per-minute z-test, on the same seeded simulated minutes. Scenarios and traffic are
 * in bench/judge/scenarios.ts; 1,000 runs per scenario (200 with --quick).
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_BASELINE_SHARE, DEFAULT_JUDGE } from '../libs/judge/src/sequential-judge';
import { projectRoot } from '../libs/platform/src/project-root';
import { machineInfo, percentile, writeReport, type Report } from './bench-report';
import { judgeOptions, type JudgeName, type WaveOutcome } from './judge/judges';
import {
  ALPHA,
  BAKE_MINUTES,
  CONTROL_ERROR_RATE,
  PRE_CHANGE_MINUTES,
  SCENARIOS,
  WAVE_ALPHAS,
  WAVES,
  type Scenario,
} from './judge/scenarios';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 200 : 1_000;
const BETA = DEFAULT_JUDGE.beta;

interface ScenarioResult {
  name: string;
  judge: JudgeName;
  runs: number;
  /** Null scenarios: share of rollouts in which any judged wave FAILed. */
  falseAlarmRate: number | null;
  /** Regressions: share of runs PASSed (bake ended) before any FAIL. */
  wrongPassRate: number | null;
  inconclusiveRate: number;
  detectMedianMin: number | null;
  detectP90Min: number | null;
  detectWithin60MinRate: number | null;
  /** Null scenarios: share of judged waves that FAILed. */
  perWaveFalseAlarmRate?: number;
}

const rate = (count: number, of: number) => Number((count / of).toFixed(4));
const finite = (v: number) => (Number.isFinite(v) ? v : null);

function summarize(scenario: Scenario, judge: JudgeName, runs: WaveOutcome[][]): ScenarioResult {
  const base = { name: scenario.name, judge, runs: runs.length };
  if (scenario.kind === 'null') {
    const alarms = runs.filter((waves) => waves.some((w) => w.failAt !== null)).length;
    const waves = runs.flat();
    return {
      ...base,
      falseAlarmRate: rate(alarms, runs.length),
      wrongPassRate: null,
      inconclusiveRate: rate(
        runs.filter((ws) => ws.every((w) => !w.failAt) && ws.some((w) => w.inconclusive)).length,
        runs.length,
      ),
      detectMedianMin: null,
      detectP90Min: null,
      detectWithin60MinRate: null,
      perWaveFalseAlarmRate: rate(waves.filter((w) => w.failAt !== null).length, waves.length),
    };
  }
  const first = runs.map((waves) => waves[0]);
  const times = first.map((w) => w.failAt ?? Infinity);
  return {
    ...base,
    falseAlarmRate: null,
    wrongPassRate: rate(
      first.filter((w) => w.passAt !== null && (w.failAt === null || w.passAt < w.failAt)).length,
      first.length,
    ),
    inconclusiveRate: rate(
      first.filter((w) => w.failAt === null && w.passAt === null && w.inconclusive).length,
      first.length,
    ),
    detectMedianMin: finite(percentile(times, 50)),
    detectP90Min: finite(percentile(times, 90)),
    detectWithin60MinRate: rate(times.filter((t) => t <= 60).length, first.length),
  };
}

function ratio(sluice: number | null, reference: number | null): string {
  if (sluice === null || reference === null) return '–';
  if (sluice === 0) return reference === 0 ? '1' : '0';
  return `${(sluice / reference).toFixed(2)}`;
}

function markdownTable(results: ScenarioResult[]): string[] {
  const lines = [
    '## Scenarios',
    '',
    'Ratios are Sluice ÷ reference: false-alarm rate for null scenarios, median detection minutes for regressions (below 1 is better).',
    '',
    '| scenario | judge | runs | false alarms (rollout) | wrong pass | inconclusive | detect median | detect p90 | ≤ 60 min | ÷ fixed-60min | ÷ naive |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const of = (judge: JudgeName) => results.find((x) => x.name === r.name && x.judge === judge);
    const metric = (x: ScenarioResult | undefined) => (x ? (x.falseAlarmRate ?? x.detectMedianMin) : null);
    const ratios =
      r.judge === 'sluice'
        ? [ratio(metric(r), metric(of('fixed-60min'))), ratio(metric(r), metric(of('naive-per-minute')))]
        : ['', ''];
    const show = (v: number | null) => (v === null ? '–' : String(v));
    lines.push(
      `| ${r.name} | ${r.judge} | ${r.runs} | ${show(r.falseAlarmRate)} | ${show(r.wrongPassRate)} | ${show(r.inconclusiveRate)} | ` +
        `${show(r.detectMedianMin)} | ${show(r.detectP90Min)} | ${show(r.detectWithin60MinRate)} | ${ratios.join(' | ')} |`,
    );
  }
  return ['', ...lines, ''];
}

function targets(results: ScenarioResult[]): Report['targets'] {
  const sluice = (name: string) => results.find((r) => r.name === name && r.judge === 'sluice') as ScenarioResult;
  const margin = 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS);
  const nulls = SCENARIOS.filter((s) => s.kind === 'null').map((s) => sluice(s.name));
  const regressions = SCENARIOS.filter((s) => s.kind === 'regression').map((s) => sluice(s.name));
  const low = sluice('low-traffic-total-failure');
  const ceiling = (name: string, judge: JudgeName) =>
    results.find((r) => r.name === name && r.judge === judge)?.detectWithin60MinRate ?? null;
  return [
    ...nulls.map((r) => ({
      what: `per-rollout false-alarm rate, ${r.name}`,
      target: `≤ ${ALPHA} (3σ sampling margin at ${RUNS} runs: ±${margin.toFixed(3)})`,
      measured: String(r.falseAlarmRate),
      met: (r.falseAlarmRate ?? 1) <= ALPHA,
    })),
    {
      what: 'median detection, 2× on heterogeneous regions (canary 16.7 req/s)',
      target: '≤ 5 min',
      measured: `${sluice('regress-2x-heterogeneous').detectMedianMin} min`,
      met: (sluice('regress-2x-heterogeneous').detectMedianMin ?? Infinity) <= 5,
    },
    {
      what: '1.5× on heterogeneous regions detected within 60 min',
      target: '≥ 0.99',
      measured: `${sluice('regress-1.5x-heterogeneous').detectWithin60MinRate} (ceilings, same minutes and alpha: ${ceiling('regress-1.5x-heterogeneous', 'fixed-two-sample')} for one test at the end against the same pre-change window (a day), ${ceiling('regress-1.5x-heterogeneous', 'oracle-known-rate')} for one that knows the canary's pre-change rate)`,
      met: (sluice('regress-1.5x-heterogeneous').detectWithin60MinRate ?? 0) >= 0.99,
    },
    ...regressions.map((r) => ({
      what: `wrong-pass rate, ${r.name}`,
      target: `≤ β = ${BETA}`,
      measured: String(r.wrongPassRate),
      met: (r.wrongPassRate ?? 1) <= BETA,
    })),
    {
      what: 'low-traffic total failure: FAILs in every run, PASSes in none',
      target: '1 and 0',
      measured: `${low.detectWithin60MinRate} and ${low.wrongPassRate}`,
      met: low.detectWithin60MinRate === 1 && low.wrongPassRate === 0,
    },
  ];
}

function main(): void {
  const startedAt = new Date().toISOString();
  const started = Date.now();
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    const byJudge = new Map<JudgeName, WaveOutcome[][]>();
    for (let run = 0; run < RUNS; run++) {
      const outcomes = scenario.run(1_000_003 * (SCENARIOS.indexOf(scenario) + 1) + run);
      for (const [judge, waves] of Object.entries(outcomes)) {
        if (!byJudge.has(judge as JudgeName)) byJudge.set(judge as JudgeName, []);
        byJudge.get(judge as JudgeName)?.push(waves);
      }
    }
    for (const [judge, runs] of byJudge) results.push(summarize(scenario, judge, runs));
    console.log(`[bench:judge] ${scenario.name} done (${RUNS} runs, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  const report: Report = {
    name: quick ? 'judge-quick' : 'judge',
    startedAt,
    machine: machineInfo(),
    parameters: {
      runs: RUNS,
      alpha: ALPHA,
      waveAlphas: WAVE_ALPHAS,
      beta: BETA,
      waves: WAVES,
      judgedWaves: WAVES.length,
      controlErrorRate: CONTROL_ERROR_RATE,
      bakeMinutes: BAKE_MINUTES,
      preChangeMinutes: PRE_CHANGE_MINUTES,
      judge: { ...judgeOptions(ALPHA, BAKE_MINUTES), baselineShare: DEFAULT_BASELINE_SHARE },
      scenarios: Object.fromEntries(SCENARIOS.map((s) => [s.name, s.description])),
      seconds: (Date.now() - started) / 1000,
    },
    results: { scenarios: 'one entry per scenario and judge: top-level `scenarios` in the JSON, the table below' },
    targets: targets(results),
    notes: [
      'All judges see the same simulated minutes (seeded per scenario and run); each judged wave gets its front-loaded share of the rollout’s alpha (rolloutAlpha with the wave: 0.025, 0.0125, 0.00625, 0.00625 for the 4 judged waves), references included; regressions are judged on the first wave, at 0.025.',
      'Null scenarios are 5-wave rollouts (4 judged waves, the last has no controls): a rollout false-alarms if any judged wave FAILs. Regression scenarios and both counter-resets scenarios judge the first wave only.',
      'Wrong pass: the judge said PASS (the bake would end) before any FAIL; for the fixed window and the naive test, no alarm by the end of the bake; for the legacy judge, PASS or undecided at the end (the old workflow passed silently).',
      'sluice-legacy is the judge before this change (θ = 1), kept for in-flight workflows; sluice-summed-counters is the new judge fed differences of summed counters (the old reading).',
      'oracle-known-rate (regression scenarios only) is no judge anyone could run: one count test at the end of the bake that knows the canary’s true pre-change rate. It is the most powerful level-α test on the same canary minutes, so its detection within the bake is the ceiling for every judge, at this traffic and alpha.',
      'fixed-two-sample (regression scenarios only) knows no more than Sluice: one conditional binomial test at the end of the bake, the canary’s errors during the bake against its own pre-change window. Without a sequential penalty, its detection within the bake is the ceiling for a judge that learns the canary’s rate from that window alone.',
      'null-drift-additive-blip is outside the model (a shared failure that adds the same error rate to every region is not a multiple of each region’s own rate): it shows the limit, see docs/CANARY-JUDGE.md.',
    ],
  };
  const paths = writeReport(projectRoot(__dirname), report);
  appendFileSync(paths.markdown, markdownTable(results).join('\n'));
  const json = JSON.parse(readFileSync(paths.json, 'utf8')) as Report;
  writeFileSync(paths.json, JSON.stringify({ ...json, scenarios: results }, null, 2));
  console.table(results.map(({ perWaveFalseAlarmRate: _, ...r }) => r));
  for (const t of report.targets)
    console.log(`${t.met ? 'MET ' : 'MISS'} ${t.what}: ${t.measured} (target ${t.target})`);
  console.log(`[bench:judge] report: ${paths.markdown}`);
}

main();
