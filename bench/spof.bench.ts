/**
 * `npm run bench:spof [-- --quick] [--seed N]`: the redundancy rules (libs/redundancy) on a
 * seeded, labelled corpus of fleets and changes (bench/spof/corpus.ts), against a reference
 * run on the same corpus: "any change to a dependency field" (what a reviewer diffing the
 * fields would flag). Then the check's time on a 500-region and a 10,000-region fleet, every
 * region with its own override, effective configs included, against the same reference.
 * Fresh seed each run; --seed repeats one.
 */
import { DEFAULT_REDUNDANCY_POLICY } from '../libs/domain/src';
import { projectRoot } from '../libs/platform/src/project-root';
import { checkRedundancy, DependencyReader } from '../libs/redundancy/src';
import { machineInfo, percentile, writeReport } from './bench-report';
import { buildCorpus, timingFleet, type SpofCase } from './spof/corpus';

const quick = process.argv.includes('--quick');
const seedArg = process.argv.indexOf('--seed');
const SEED = seedArg > 0 ? Number(process.argv[seedArg + 1]) : Math.floor(Math.random() * 2 ** 31);
const CASES = 600;
const TIMING_RUNS = quick ? 30 : 200;
const TIMING_RUNS_10K = quick ? 5 : 30;

type Checker = (c: SpofCase) => string[];

/** Sluice: the rules a change introduced (errors and warnings alike). */
const sluice: Checker = (c) =>
  checkRedundancy({ regions: c.regions, fields: c.fields, policy: DEFAULT_REDUNDANCY_POLICY, others: c.others })
    .violations.filter((v) => v.introduced)
    .map((v) => v.rule);

/** The reference: flag any change to a dependency field's values, whatever it does. */
const anyDependencyChange: Checker = (c) => {
  const reader = new DependencyReader(c.fields);
  const text = (config: unknown) => JSON.stringify([...reader.read(config ?? null)]);
  return c.regions.some((r) => r.next !== undefined && text(r.next) !== text(r.current)) ? ['CHANGED'] : [];
};

interface Score {
  recall: number;
  precision: number;
  /** Of the SPOF cases, per rule: found / made. */
  recallByRule: Record<string, string>;
  /** Near misses and harmless changes flagged, with what they were. */
  falseAlarms: string[];
  missed: string[];
}

function score(corpus: readonly SpofCase[], check: Checker, byRule: boolean): Score {
  const spofs = corpus.filter((c) => c.kind === 'spof');
  const found = new Map<string, [number, number]>();
  const missed: string[] = [];
  let hits = 0;
  let flagged = 0;
  let rightlyFlagged = 0;
  const falseAlarms: string[] = [];
  for (const c of corpus) {
    const raised = check(c);
    if (raised.length > 0) {
      flagged += 1;
      if (c.kind === 'spof') rightlyFlagged += 1;
      else falseAlarms.push(`#${c.id} ${c.kind} ${c.rule ?? ''} (${c.mechanism}): ${c.what} → ${raised.join(', ')}`);
    }
    if (c.kind !== 'spof') continue;
    const hit = byRule ? raised.includes(c.rule!) : raised.length > 0;
    const [f, n] = found.get(`${c.rule} (${c.mechanism})`) ?? [0, 0];
    found.set(`${c.rule} (${c.mechanism})`, [f + Number(hit), n + 1]);
    if (hit) hits += 1;
    else missed.push(`#${c.id} ${c.rule} (${c.mechanism}): ${c.what}`);
  }
  return {
    recall: spofs.length === 0 ? 0 : hits / spofs.length,
    precision: flagged === 0 ? 0 : rightlyFlagged / flagged,
    recallByRule: Object.fromEntries([...found].sort().map(([k, [f, n]]) => [k, `${f}/${n}`])),
    falseAlarms: falseAlarms.slice(0, 20),
    missed: missed.slice(0, 20),
  };
}

/** p50 and p99 of `runs` timed checks, milliseconds, after two untimed warm-ups. */
function timeCheck(check: () => void, runs: number) {
  for (let i = 0; i < 2; i++) check();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    check();
    samples.push(performance.now() - t);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

function main(): void {
  const startedAt = new Date().toISOString();
  const corpus = buildCorpus(SEED, CASES);
  const counts = {
    spof: corpus.filter((c) => c.kind === 'spof').length,
    nearMiss: corpus.filter((c) => c.kind === 'near-miss').length,
    harmless: corpus.filter((c) => c.kind === 'harmless').length,
  };
  const ours = score(corpus, sluice, true);
  const reference = score(corpus, anyDependencyChange, false);

  const fields = corpus[0].fields;
  const timed = (size: number, runs: number) => {
    // effective configs are part of the check's cost: each timed call rebuilds them
    const { changed, others } = timingFleet(SEED, size);
    const policy = DEFAULT_REDUNDANCY_POLICY;
    return {
      ours: timeCheck(() => checkRedundancy({ regions: changed(), fields, policy, others }), runs),
      ref: timeCheck(() => anyDependencyChange({ fields, regions: changed() } as SpofCase), runs),
    };
  };
  const at500 = timed(500, TIMING_RUNS);
  const at10k = timed(10_000, TIMING_RUNS_10K);
  const round = (v: number) => Math.round(v * 100) / 100;
  const ratio = (v: number) => Math.round(v * 1e4) / 1e4;
  const recall = ratio(ours.recall);
  const precision = ratio(ours.precision);
  const checkP99Ms = round(at500.ours.p99);
  const checkP99Ms10k = round(at10k.ours.p99);

  const targets = [
    { what: 'recall on the introduced SPOFs', target: '1.0', measured: String(recall), met: recall >= 1 },
    {
      what: 'precision (near misses and harmless changes not flagged)',
      target: '≥ 0.99',
      measured: String(precision),
      met: precision >= 0.99,
    },
    { what: 'checkP99Ms (500 regions)', target: '≤ 50', measured: String(checkP99Ms), met: checkP99Ms <= 50 },
    {
      what: 'checkP99Ms10k (10,000 regions)',
      target: '≤ 1,000',
      measured: String(checkP99Ms10k),
      met: checkP99Ms10k <= 1000,
    },
  ];
  const report = {
    name: quick ? 'spof-quick' : 'spof',
    startedAt,
    // the figures, at the top level
    recall,
    precision,
    checkP99Ms,
    checkP99Ms10k,
    cases: corpus.length,
    machine: machineInfo(),
    parameters: {
      quick,
      seed: SEED,
      cases: CASES,
      timingRuns: TIMING_RUNS,
      timingRuns10k: TIMING_RUNS_10K,
      policy: DEFAULT_REDUNDANCY_POLICY,
    },
    results: {
      counts,
      sluice: { ...ours, checkP50Ms: round(at500.ours.p50), checkP50Ms10k: round(at10k.ours.p50) },
      reference: {
        name: 'any change to a dependency field',
        recall: ratio(reference.recall),
        precision: ratio(reference.precision),
        checkP99Ms: round(at500.ref.p99),
        checkP99Ms10k: round(at10k.ref.p99),
        falseAlarms: reference.falseAlarms.length,
      },
    },
    targets,
    notes: [
      'A case is labelled by how the generator made it: a SPOF case breaks one rule on purpose (through a template for every region or a per-region override), a near miss comes close without breaking it (one value shared by regions of different pairs, weight at or under the limit, a failover to the pair, a value no other service uses), a harmless change touches no dependency or gives every region a new value of its own.',
      'recall: SPOF cases where the rule the case breaks was raised as introduced. precision: of the cases where anything was raised as introduced, the share that are SPOF cases.',
      'Timing: checkRedundancy with every region\u2019s effective config computed in the call (base config with {{region}}, merged with its override) ; four dependency fields, 200 values of other services; p99 of the timed runs after two warm-ups.',
      'Reference in the same run: flagging any change to a dependency field, as a reviewer diffing those fields would.',
    ],
  };
  const paths = writeReport(projectRoot(__dirname), report);
  console.log(
    `seed ${SEED}: ${corpus.length} cases (${counts.spof} SPOF, ${counts.nearMiss} near misses, ${counts.harmless} harmless)`,
  );
  console.log('| checker | recall | precision | p99 ms at 500 | p99 ms at 10,000 |');
  console.log('|---|---|---|---|---|');
  console.log(`| sluice | ${recall} | ${precision} | ${checkP99Ms} | ${checkP99Ms10k} |`);
  const r = report.results.reference;
  console.log(`| ${r.name} | ${r.recall} | ${r.precision} | ${r.checkP99Ms} | ${r.checkP99Ms10k} |`);
  for (const t of targets) console.log(`${t.met ? 'met ' : 'MISS'} ${t.what}: ${t.measured} (target ${t.target})`);
  if (ours.missed.length) console.log('missed:\n  ' + ours.missed.join('\n  '));
  if (ours.falseAlarms.length) console.log('false alarms:\n  ' + ours.falseAlarms.join('\n  '));
  console.log(`report: ${paths.markdown}`);
}

main();
