/**
 * `npm run bench:longevity [-- --quick]`: a 14-day rollout on the time-skipping server (issue 16).
 *
 * 50 regions in 10 waves, each baking 24 h with a probe gate and a canary gate at the default
 * 30 s interval, a 256 KiB config, sign-offs a day after they are asked (longevity/scenario.ts).
 * The rollout runs to SUCCEEDED; the same rollout of a second service is halted on day 13 and
 * must end ROLLED_BACK with every region serving its own previous version again (read from
 * region-sim). Then every run of both chains is read back from Temporal: events and bytes per
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
import { runBench, writeReport } from './bench-report';
import { rssMiB } from './bench-stack';
import { driveRollout } from './longevity/drive-rollout';
import { chainFigures } from './longevity/history-figures';
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
const daySeconds = quick ? 1_800 : DAY_SECONDS;
const continueAsNewAfterEvents = quick ? 1_000 : undefined;
/** Day 13: halfway through it, while the last wave bakes (every region has been pushed). */
const HALT_AT_DAY = 12.5;
const REFERENCE_TICKS = quick ? 50 : 200;
const TRAFFIC = { rps: 40, errorShare: 0.005 };
const SERVICES = { full: 'lg-full', halted: 'lg-halted' };
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

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const wallStart = performance.now();
  const stack = await startLongevityStack({
    regions: [...regionNames(SERVICES.full), ...regionNames(SERVICES.halted)],
    traffic: TRAFFIC,
  });
  // an interrupted run still stops the test server, PostgreSQL and the worker it started
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void stack.stop().finally(() => process.exit(130));
    });
  }
  const workerPid = stack.worker.child.pid!;
  const rss = sampleRss(workerPid);
  const { fleet } = stack.sim;
  const configs = new PgConfigStore(stack.pool);
  const drive = { daySeconds, stepSeconds: daySeconds / 24, log };
  try {
    const reference = await measureTickReference(stack, REFERENCE_TICKS, DEFAULT_GATE_INTERVAL_SECONDS);
    log(`reference tick: ${reference.activityTick} events (activity), ${reference.localActivityTick} (local activity)`);

    await seedRegions(fleet, configs, SERVICES.full);
    const fullInput = await inputFor(stack, configs, SERVICES.full, 'v2');
    log(`${SERVICES.full}: ${WAVES} waves of ${REGIONS / WAVES} regions, days of ${daySeconds} s`);
    const full = await driveRollout(stack, fullInput, drive);
    const regionsAtNewVersion = regionNames(SERVICES.full).filter(
      (r) => fleet.get(r)?.version === 'v2' && fleet.get(r)?.configHash === fullInput.configHash,
    ).length;
    log(
      `${SERVICES.full}: ${full.result.status} after ${full.simulatedDays.toFixed(2)} days (${full.wallSeconds.toFixed(0)} s)`,
    );

    const previous = await seedRegions(fleet, configs, SERVICES.halted);
    const haltedInput = await inputFor(stack, configs, SERVICES.halted, 'v3');
    const halted = await driveRollout(stack, haltedInput, { ...drive, haltAtDay: HALT_AT_DAY });
    const regionsRestored = [...previous].filter(
      ([r, p]) => fleet.get(r)?.version === p.version && fleet.get(r)?.configHash === p.configHash,
    ).length;
    log(`${SERVICES.halted}: ${halted.result.status}, ${regionsRestored} regions serve their own previous version`);

    log('reading every run of both chains back from Temporal');
    const fullRuns = await chainFigures(stack.client.workflows, full.workflowId, full.firstRunId);
    const haltedRuns = await chainFigures(stack.client.workflows, halted.workflowId, halted.firstRunId);
    rss.stop();
    const { rows } = await stack.pool.query<{ count: number; last_position: number }>(
      'SELECT count(*)::int AS count, max(stream_position)::int AS last_position FROM events WHERE stream_id = $1',
      [fullInput.rolloutId],
    );

    const report = longevityReport({
      quick,
      startedAt,
      settings: {
        daySeconds,
        haltAtDay: HALT_AT_DAY,
        continueAsNewAfterEvents,
        gateIntervalSeconds: fullInput.gateIntervalSeconds,
        gates: fullInput.gates.map((g) => g.kind),
        traffic: TRAFFIC,
        referenceTicks: REFERENCE_TICKS,
      },
      full: {
        ...full,
        service: SERVICES.full,
        runs: fullRuns,
        regionsAtNewVersion,
        storedEvents: { count: rows[0].count, lastPosition: rows[0].last_position },
      },
      halted: { ...halted, service: SERVICES.halted, runs: haltedRuns, regionsRestored },
      reference,
      workerRss: { peakSampledMiB: rss.peak(), highWaterMiB: rssMiB(workerPid).peak, samples: rss.count() },
      canaryQueriesAnswered: stack.metrics.answered,
      wallSeconds: (performance.now() - wallStart) / 1000,
    });
    const paths = writeReport(stack.root, report);
    console.log(JSON.stringify(report.results, (k, v) => (k === 'reference' || k === 'approvals' ? undefined : v), 2));
    for (const t of report.targets)
      console.log(`${t.met ? 'MET ' : 'MISS'} ${t.what}: ${t.measured} (target ${t.target})`);
    log(`report: ${paths.markdown}`);
    const failed = failedTargets(report, quick);
    if (failed.length > 0) {
      log(`failed: ${failed.map((t) => t.what).join(', ')}`);
      process.exitCode = 1;
    } else if (report.targets.some((t) => !t.met)) {
      log(
        "a quick run fails only on outcomes, restores, hand-overs and payload sizes: its figures are not the issue's",
      );
    }
  } finally {
    rss.stop();
    await stack.stop();
  }
}

runBench(main);
