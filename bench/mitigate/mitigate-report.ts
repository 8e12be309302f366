import { appendFileSync } from 'node:fs';
import { percentile, writeReport, type Report } from '../bench-report';
import type { TrialStages } from './trial-timeline';

export interface SizeSamples {
  regions: number;
  waves: number;
  sluice: Array<{ stages: TrialStages; restoredMs: number }>;
  floor: Array<{ floorMs: number; restoredMs: number }>;
}

/** One entry of the report's top-level `sizes`: the five named fields first, then the rest. */
export interface SizeFigures {
  regions: number;
  mitigateP50Ms: number;
  mitigateP99Ms: number;
  floorP50Ms: number;
  ratioP50: number;
  targetMs: number;
  met: boolean;
  /** How far the p50 is above the target (0 when met). */
  missedByMs: number;
  trials: number;
  mitigateP95Ms: number;
  floorP99Ms: number;
  /** Until region-sim served the old version in every touched region (polled in-process every ms), before the read-back. */
  restoredInSimP50Ms: number;
  floorRestoredInSimP50Ms: number;
  /** Each stage's p50 and mean; the critical-path means add up to the mean time to mitigation. */
  stagesP50Ms: Record<keyof TrialStages, number>;
  stagesMeanMs: Record<keyof TrialStages, number>;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The target: mitigation within 1.5× the floor plus 100 ms, at every size. */
export const targetMs = (floorP50Ms: number) => 1.5 * floorP50Ms + 100;

export function summarize(size: SizeSamples): SizeFigures {
  const mitigate = size.sluice.map((t) => t.stages.mitigateMs);
  const floor = size.floor.map((t) => t.floorMs);
  const mitigateP50Ms = r1(percentile(mitigate, 50));
  const floorP50Ms = r1(percentile(floor, 50));
  const target = r1(targetMs(floorP50Ms));
  const keys = Object.keys(size.sluice[0]?.stages ?? {}) as Array<keyof TrialStages>;
  const stage = (f: (xs: number[]) => number) =>
    Object.fromEntries(keys.map((k) => [k, r1(f(size.sluice.map((t) => t.stages[k])))])) as Record<
      keyof TrialStages,
      number
    >;
  return {
    regions: size.regions,
    mitigateP50Ms,
    mitigateP99Ms: r1(percentile(mitigate, 99)),
    floorP50Ms,
    ratioP50: Math.round((mitigateP50Ms / floorP50Ms) * 100) / 100,
    targetMs: target,
    met: mitigateP50Ms <= target,
    missedByMs: r1(Math.max(0, mitigateP50Ms - target)),
    trials: size.sluice.length,
    mitigateP95Ms: r1(percentile(mitigate, 95)),
    floorP99Ms: r1(percentile(floor, 99)),
    restoredInSimP50Ms: r1(
      percentile(
        size.sluice.map((t) => t.restoredMs),
        50,
      ),
    ),
    floorRestoredInSimP50Ms: r1(
      percentile(
        size.floor.map((t) => t.restoredMs),
        50,
      ),
    ),
    stagesP50Ms: stage((xs) => percentile(xs, 50)),
    stagesMeanMs: stage(mean),
  };
}

/** The critical path's stages, in order, with what each covers. */
const CRITICAL_PATH: Array<[keyof TrialStages, string]> = [
  ['webhookToOutboxMs', 'webhook → outbox committed (the 200)'],
  ['outboxToHaltAcceptedMs', 'outbox → haltIfAffected update accepted in the workflow'],
  ['haltToRestoresScheduledMs', 'halt accepted → restores of the newest wave scheduled'],
  ['restoreDispatchMs', 'scheduled → the last region’s restore activity started on the worker'],
  ['restorePutMs', 'started → its PUT applied by region-sim (incl. 50 ms latency)'],
  ['verifyAndReportMs', 'PUT applied → answered, read back, checked, completion in Temporal'],
  ['olderWavesMs', 'newest wave done → older waves restored (reverse wave order)'],
];
const BESIDE: Array<[keyof TrialStages, string]> = [
  ['outboxPickupMs', 'of which: the 200 → the delivering outbox transaction began'],
  ['olderWaveGapMs', 'of which: newest wave done → older wave scheduled'],
  ['eventsRecordedAfterMs', 'after mitigation: last RegionRolledBack stored in PostgreSQL'],
  ['haltRecordedMs', 'webhook → RolloutHalted stored in PostgreSQL'],
];

export function publishMitigate(
  root: string,
  run: {
    name: string;
    startedAt: string;
    machine: Record<string, string>;
    parameters: Record<string, unknown>;
    samples: SizeSamples[];
    pushesToUntouched: number;
    log: (msg: string) => void;
  },
): void {
  const sizes = run.samples.map(summarize);
  const report: Report & { sizes: SizeFigures[] } = {
    name: run.name,
    startedAt: run.startedAt,
    machine: run.machine,
    parameters: run.parameters,
    sizes,
    results: {
      pushesToUntouchedRegions: run.pushesToUntouched,
      raw: Object.fromEntries(
        run.samples.map((s) => [
          s.regions,
          {
            mitigateMs: s.sluice.map((t) => r1(t.stages.mitigateMs)),
            floorMs: s.floor.map((t) => r1(t.floorMs)),
          },
        ]),
      ),
    },
    targets: [
      ...sizes.map((s) => ({
        what: `${s.regions} touched region${s.regions === 1 ? '' : 's'}: mitigation p50`,
        target: `≤ 1.5 × floor p50 + 100 ms = ${s.targetMs} ms`,
        measured: `${s.mitigateP50Ms} ms (floor ${s.floorP50Ms} ms, ${s.ratioP50}×)${s.met ? '' : `, ${s.missedByMs} ms over`}`,
        met: s.met,
      })),
      {
        what: 'pushes to regions the rollouts never reached',
        target: '0',
        measured: String(run.pushesToUntouched),
        met: run.pushesToUntouched === 0,
      },
    ],
    notes: [
      'Mitigated: the last restore activity (restoreRegionConfigs for every region at once, or a region’s own restoreRegionConfig: PUT of the old version, then GET and a check of version and hash) completed, by its event time in the rollout’s Temporal history. The webhook’s send time is taken on the same clock.',
      'restoredInSimP50Ms: until region-sim (in this process, polled every millisecond) served the old version in every touched region, before the read-back.',
      'Floor: the same regions restored at once by a bare client with the same adapter and requests (PUT, then GET and check), measured from the benchmark process, after each trial, against the same region-sim.',
      'With more than one touched region the rollback takes two rounds: the newest wave (all but one region, in parallel), then the canary wave. The floor restores every region in one round.',
      'Stages: the last region of the newest wave is followed along its path; p50s of stages do not add up to the p50, their means add up to the mean.',
    ],
  };
  // Top-level `sizes` is the benchmark's contract; results keep the raw samples.
  const paths = writeReport(root, report);
  appendFileSync(paths.markdown, breakdownMarkdown(sizes));
  console.log(JSON.stringify({ sizes }, null, 2));
  run.log(`report: ${paths.markdown}`);
}

function breakdownMarkdown(sizes: SizeFigures[]): string {
  const head = `| stage | ${sizes.map((s) => `${s.regions} region${s.regions === 1 ? '' : 's'}: p50 / mean`).join(' | ')} |`;
  const rule = `|---|${sizes.map(() => '---').join('|')}|`;
  const row = ([key, label]: [keyof TrialStages, string]) =>
    `| ${label} | ${sizes.map((s) => `${s.stagesP50Ms[key]} / ${s.stagesMeanMs[key]} ms`).join(' | ')} |`;
  return [
    '',
    '## Sizes',
    '| regions | mitigate p50 | p95 | p99 | floor p50 | ratio p50 | target | met |',
    '|---|---|---|---|---|---|---|---|',
    ...sizes.map(
      (s) =>
        `| ${s.regions} | ${s.mitigateP50Ms} ms | ${s.mitigateP95Ms} ms | ${s.mitigateP99Ms} ms | ${s.floorP50Ms} ms | ${s.ratioP50}× | ≤ ${s.targetMs} ms | ${s.met ? 'yes' : `**no** (+${s.missedByMs} ms)`} |`,
    ),
    '',
    '## Where the time goes',
    head,
    rule,
    row(['mitigateMs', '**webhook → every touched region restored and verified**']),
    ...CRITICAL_PATH.map(row),
    ...BESIDE.map(row),
    '',
  ].join('\n');
}
