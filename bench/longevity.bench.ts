/**
 * `npm run bench:longevity [-- --quick]`: a 14-day rollout on the time-skipping server (issue 16).
 *
 * 50 regions in 10 waves, each baking 24 h with a probe gate and a canary gate at the default
 * 30 s interval, a 256 KiB config, sign-offs a day after they are asked (longevity/scenario.ts).
 * The rollout runs to SUCCEEDED; the same rollout of a second service is halted on day 13 and
 * must end ROLLED_BACK with every region serving its own previous version again (read from
 * region-sim). Each rollout runs on a stack of its own (test server, PostgreSQL, region-sim,
 * worker). Then every run of both chains is read back from Temporal: events and bytes per
 * run and events per bake tick, against Temporal's own limits and bare tick workflows measured
 * on the same server (the references). The worker's RSS is sampled throughout.
 *
 * `--quick` keeps the shape with half-hour "days" and hands over every 1,000 events, so it
 * still goes through continue-as-new; the full run leaves the workflow's default (4,000).
 * Exits non-zero when a target is missed; a quick run only on outcomes, restores, hand-overs
 * and payload sizes, since its figures are not the issue's.
 */
import { performance } from 'node:perf_hooks';
import { PgConfigStore } from '../libs/config-store/src';
import { DEFAULT_GATE_INTERVAL_SECONDS } from '../libs/domain/src';
import { machineInfo, runBench, writeReport } from './bench-report';
import { rssMiB } from './bench-stack';
import { driveRollout } from './longevity/drive-rollout';
import { chainFigures, chainTotals } from './longevity/history-figures';
import { failedTargets, longevityReport } from './longevity/longevity-report';
import { sampleRss, startLongevityStack, type LongevityStack } from './longevity/longevity-stack';
import {
  CONFIG_BYTES,
  DAY_SECONDS,
  REGIONS,
  WAVES,
  configOfSize,
  regionNames,
  rolloutInput,
  seedRegions,
  serviceTopology,
} from './longevity/scenario';
import { measureTickReference } from './longevity/tick-reference';

const quick = process.argv.includes('--quick');
const haltedOnly = process.argv.includes('--halted-only');
const daySeconds = quick ? 1_800 : DAY_SECONDS;
const continueAsNewAfterEvents = quick ? 1_000 : undefined;
/** Day 13: halfway through it, while the last wave bakes (every region has been pushed). */
const HALT_AT_DAY = 12.5;
const REFERENCE_TICKS = quick ? 50 : 200;
const TRAFFIC = { rps: 40, errorShare: 0.005 };
const SERVICES = { full: 'lg-full', halted: 'lg-halted' };
/** Traffic served before a rollout starts on its stack: twice the canary gate's default pre-change window. */
const WARM_UP_MS = 2 * 3_600_000;
const log = (msg: string) => console.log(`[bench:longevity] ${msg}`);

/** The rollout's input, its config stored by hash first as the gateway does: the workflow gets only the hash. */
async function inputFor(stack: LongevityStack, configs: PgConfigStore, service: string, version: string) {
  const config = configOfSize(CONFIG_BYTES, `${service}/${version}`);
  return rolloutInput({
    service,
    topology: serviceTopology(service, stack.sim.url),
    version,
    config,
    configHash: await configs.put(config),
    daySeconds,
    continueAsNewAfterEvents,
  });
}

/** What one rollout's stack saw besides the rollout: its worker's memory and the queries answered. */
interface StackFigures {
  rssPeakMiB: number;
  rssHighWaterMiB: number;
  rssSamples: number;
  answered: { canary: number; other: number };
}

/**
 * Runs one rollout's chain on a stack of its own (test server, PostgreSQL, region-sim, worker).
 * On one shared test server the second rollout ran ten times slower than the first: the
 * server held the first chain's history (286 MiB over 14 days) in memory.
 */
async function onItsOwnStack<T>(
  service: string,
  work: (stack: LongevityStack, configs: PgConfigStore) => Promise<T>,
): Promise<{ value: T; figures: StackFigures }> {
  const stack = await startLongevityStack({ regions: regionNames(service), traffic: TRAFFIC });
  // A fresh server's clock starts now: the regions first serve traffic for longer than the
  // canary gate's pre-change window (an hour by default), so its baseline read finds data.
  await stack.client.sleep(WARM_UP_MS);
  // an interrupted run still stops the test server, PostgreSQL and the worker it started
  const stopOnSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping`);
    void stack.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  const workerPid = stack.worker.child.pid!;
  const rss = sampleRss(workerPid);
  try {
    const value = await work(stack, new PgConfigStore(stack.pool));
    rss.stop();
    const figures = {
      rssPeakMiB: rss.peak(),
      rssHighWaterMiB: rssMiB(workerPid).peak,
      rssSamples: rss.count(),
      answered: { ...stack.metrics.answered },
    };
    return { value, figures };
  } finally {
    rss.stop();
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    await stack.stop();
  }
}

type Drive = Parameters<typeof driveRollout>[2];

/** The rollout halted on day 13, on a stack of its own. */
function haltedChain(drive: Drive) {
  return onItsOwnStack(SERVICES.halted, async (stack, configs) => {
    const { fleet } = stack.sim;
    const previous = await seedRegions(fleet, configs, SERVICES.halted);
    const input = await inputFor(stack, configs, SERVICES.halted, 'v3');
    const result = await driveRollout(stack, input, { ...drive, haltAtDay: HALT_AT_DAY });
    const regionsRestored = [...previous].filter(
      ([r, p]) => fleet.get(r)?.version === p.version && fleet.get(r)?.configHash === p.configHash,
    ).length;
    log(`${SERVICES.halted}: ${result.result.status}, ${regionsRestored} regions serve their own previous version`);
    log(`reading every run of ${SERVICES.halted} back from Temporal`);
    const runs = await chainFigures(stack.client.workflows, result.workflowId, result.firstRunId);
    return { result, regionsRestored, runs, root: stack.root };
  });
}

/**
 * `--halted-only`: the halted rollout alone (its chain takes as long as the 14-day one), for a
 * machine that cannot give the bench two hours at once. Its own report, `longevity-halted-*`.
 */
async function haltedChainOnly(startedAt: string, drive: Drive): Promise<void> {
  const wallStart = performance.now();
  const { value, figures } = await haltedChain(drive);
  const totals = chainTotals(value.runs);
  const { halt } = value.result;
  const results = {
    haltedOutcome: value.result.result.status,
    regionsRestored: value.regionsRestored,
    runs: totals.runs,
    maxEventsPerRun: totals.maxEventsPerRun,
    maxHistoryBytesPerRun: totals.maxHistoryBytesPerRun,
    eventsPerTick: totals.eventsPerTick,
    totalEvents: totals.totalEvents,
    workerPeakRssMiB: figures.rssPeakMiB,
    workerRssHighWaterMiB: figures.rssHighWaterMiB,
    haltedOnDay: halt && Math.round(halt.day * 100) / 100,
    regionsServingNewVersionAtHalt: halt?.regionsServing,
    reason: value.result.result.reason,
    wallSeconds: Math.round((performance.now() - wallStart) / 1000),
  };
  const met = results.haltedOutcome === 'ROLLED_BACK' && results.regionsRestored === REGIONS;
  const paths = writeReport(value.root, {
    name: quick ? 'longevity-halted-quick' : 'longevity-halted',
    startedAt,
    machine: machineInfo({ temporal: 'time-skipping test server (pinned)' }),
    parameters: { quick, daySeconds, haltAtDay: HALT_AT_DAY, regions: REGIONS, traffic: TRAFFIC },
    results,
    targets: [
      {
        what: 'halted on day 13',
        target: 'ROLLED_BACK, 50 restored',
        measured: `${results.haltedOutcome}, ${results.regionsRestored}`,
        met,
      },
    ],
    notes: ['The halted rollout of `npm run bench:longevity` alone (`--halted-only`); the same stack and drive.'],
  });
  console.log(JSON.stringify(results, null, 2));
  log(`report: ${paths.markdown}`);
  if (!met) process.exitCode = 1;
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const wallStart = performance.now();
  const drive = { daySeconds, stepSeconds: daySeconds / 24, log };

  if (haltedOnly) return haltedChainOnly(startedAt, drive);
  const first = await onItsOwnStack(SERVICES.full, async (stack, configs) => {
    const reference = await measureTickReference(stack, REFERENCE_TICKS, DEFAULT_GATE_INTERVAL_SECONDS);
    log(`reference tick: ${reference.activityTick} events (activity), ${reference.localActivityTick} (local activity)`);
    const { fleet } = stack.sim;
    await seedRegions(fleet, configs, SERVICES.full);
    const input = await inputFor(stack, configs, SERVICES.full, 'v2');
    log(`${SERVICES.full}: ${WAVES} waves of ${REGIONS / WAVES} regions, days of ${daySeconds} s`);
    const result = await driveRollout(stack, input, drive);
    const regionsAtNewVersion = regionNames(SERVICES.full).filter(
      (r) => fleet.get(r)?.version === 'v2' && fleet.get(r)?.configHash === input.configHash,
    ).length;
    log(
      `${SERVICES.full}: ${result.result.status} after ${result.simulatedDays.toFixed(2)} days (${result.wallSeconds.toFixed(0)} s)`,
    );
    log(`reading every run of ${SERVICES.full} back from Temporal`);
    const runs = await chainFigures(stack.client.workflows, result.workflowId, result.firstRunId);
    const { rows } = await stack.pool.query<{ count: number; last_position: number }>(
      'SELECT count(*)::int AS count, max(stream_position)::int AS last_position FROM events WHERE stream_id = $1',
      [input.rolloutId],
    );
    const storedEvents = { count: rows[0].count, lastPosition: rows[0].last_position };
    return { reference, input, result, regionsAtNewVersion, runs, storedEvents, root: stack.root };
  });

  const second = await haltedChain(drive);

  const full = first.value;
  const halted = second.value;
  const stacks = [first.figures, second.figures];
  const report = longevityReport({
    quick,
    startedAt,
    settings: {
      daySeconds,
      haltAtDay: HALT_AT_DAY,
      continueAsNewAfterEvents,
      gateIntervalSeconds: full.input.gateIntervalSeconds,
      gates: full.input.gates.map((g) => g.kind),
      traffic: TRAFFIC,
      referenceTicks: REFERENCE_TICKS,
    },
    full: {
      ...full.result,
      service: SERVICES.full,
      runs: full.runs,
      regionsAtNewVersion: full.regionsAtNewVersion,
      storedEvents: full.storedEvents,
    },
    halted: { ...halted.result, service: SERVICES.halted, runs: halted.runs, regionsRestored: halted.regionsRestored },
    reference: full.reference,
    workerRss: {
      peakSampledMiB: Math.max(...stacks.map((f) => f.rssPeakMiB)),
      highWaterMiB: Math.max(...stacks.map((f) => f.rssHighWaterMiB)),
      samples: stacks.reduce((n, f) => n + f.rssSamples, 0),
    },
    canaryQueriesAnswered: {
      canary: stacks.reduce((n, f) => n + f.answered.canary, 0),
      other: stacks.reduce((n, f) => n + f.answered.other, 0),
    },
    wallSeconds: (performance.now() - wallStart) / 1000,
  });
  const paths = writeReport(full.root, report);
  console.log(JSON.stringify(report.results, (k, v) => (k === 'reference' || k === 'approvals' ? undefined : v), 2));
  for (const t of report.targets)
    console.log(`${t.met ? 'MET ' : 'MISS'} ${t.what}: ${t.measured} (target ${t.target})`);
  log(`report: ${paths.markdown}`);
  const failed = failedTargets(report, quick);
  if (failed.length > 0) {
    log(`failed: ${failed.map((t) => t.what).join(', ')}`);
    process.exitCode = 1;
  } else if (report.targets.some((t) => !t.met)) {
    log("a quick run fails only on outcomes, restores, hand-overs and payload sizes: its figures are not the issue's");
  }
}

runBench(main);
