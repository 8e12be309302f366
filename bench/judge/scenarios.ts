/**
 * The bench's scenarios: null rollouts of five waves (does any judged wave FAIL?), regressions
 * and total failures on the first wave (how fast is it caught, and is it ever passed?).
 */
import { rolloutAlpha, type CanaryReading } from '../../libs/judge/src/canary-interval';
import type { IntervalCounts } from '../../libs/judge/src/sequential-count-test';
import { seededRandom } from '../../libs/judge/src/simulation';
import {
  judgeOptions,
  judgeWave,
  oracleWave,
  twoSampleWave,
  readingsWave,
  startCanaryJudge,
  type JudgeName,
  type WaveOutcome,
} from './judges';
import {
  CounterSeries,
  diurnalWithBlip,
  logUniform,
  NO_DRIFT,
  simulateMinute,
  simulateWindow,
  type ChangeEffect,
  type DriftModel,
  type WaveTraffic,
} from './simulate';

export const ALPHA = 0.05;
export const BAKE_MINUTES = 60;
/** The canary gate's default pre-change window (`baselineWindowSeconds`: a day). */
export const PRE_CHANGE_MINUTES = 1_440;
export const CONTROL_ERROR_RATE = 0.005;
/**
 * Five waves over 12,000 requests/min: the canary (and each later wave) against the regions not
 * yet changed. The last wave has no controls left, so four waves are judged.
 */
export const WAVES = [
  { canaryPerMinute: 1_000, controlPerMinute: 11_000 },
  { canaryPerMinute: 2_000, controlPerMinute: 9_000 },
  { canaryPerMinute: 3_000, controlPerMinute: 6_000 },
  { canaryPerMinute: 3_000, controlPerMinute: 3_000 },
];
/** Each judged wave's share of the rollout's alpha, front-loaded (rolloutAlpha with the wave). */
export const WAVE_ALPHAS = WAVES.map((_, wave) => rolloutAlpha(ALPHA, WAVES.length, 1, wave));

export interface Scenario {
  name: string;
  kind: 'null' | 'regression';
  description: string;
  /** Outcome per judge of one seeded run (a rollout for null scenarios, the first wave otherwise). */
  run(seed: number): Partial<Record<JudgeName, WaveOutcome[]>>;
}

const heterogeneous = (random: () => number) => logUniform(random, 0.25, 4);

/** The pre-change window and the bake of one wave, under one drift, starting at `startMinute`. */
function waveMinutes(
  traffic: WaveTraffic,
  drift: DriftModel,
  effect: ChangeEffect,
  startMinute: number,
  random: () => number,
  preChangeMinutes = PRE_CHANGE_MINUTES,
): { baseline: IntervalCounts; bake: IntervalCounts[] } {
  const bake = Array.from({ length: BAKE_MINUTES }, (_, m) =>
    simulateMinute(traffic, drift(startMinute + m), effect, random),
  );
  return { baseline: simulateWindow(traffic, drift, startMinute - preChangeMinutes, preChangeMinutes, random), bake };
}

/** A five-wave rollout of a harmless change: every judge judges every wave with the rollout's share of alpha. */
function nullRollout(
  name: string,
  description: string,
  theta: (random: () => number) => number,
  drift: (random: () => number) => DriftModel,
): Scenario {
  return {
    name,
    kind: 'null',
    description,
    run(seed) {
      const random = seededRandom(seed);
      const model = drift(random);
      const outcomes: Partial<Record<JudgeName, WaveOutcome[]>> = {};
      WAVES.forEach((wave, w) => {
        const traffic = { ...wave, controlErrorRate: CONTROL_ERROR_RATE, theta: theta(random) };
        const { baseline, bake } = waveMinutes(
          traffic,
          model,
          { factor: 1 },
          PRE_CHANGE_MINUTES + w * BAKE_MINUTES,
          random,
        );
        for (const [judge, outcome] of Object.entries(judgeWave(WAVE_ALPHAS[w], baseline, bake))) {
          (outcomes[judge as JudgeName] ??= []).push(outcome);
        }
      });
      return outcomes;
    },
  };
}

/** The first wave of a harmful change. */
function firstWave(
  name: string,
  description: string,
  effect: ChangeEffect,
  canaryPerMinute: (random: () => number) => number,
  preChangeMinutes = PRE_CHANGE_MINUTES,
): Scenario {
  return {
    name,
    kind: 'regression',
    description,
    run(seed) {
      const random = seededRandom(seed);
      const traffic = {
        ...WAVES[0],
        canaryPerMinute: canaryPerMinute(random),
        controlErrorRate: CONTROL_ERROR_RATE,
        theta: heterogeneous(random),
      };
      const { baseline, bake } = waveMinutes(traffic, NO_DRIFT, effect, preChangeMinutes, random, preChangeMinutes);
      const judged = Object.fromEntries(
        Object.entries(judgeWave(WAVE_ALPHAS[0], baseline, bake)).map(([j, o]) => [j, [o]]),
      );
      // The ceiling: a test that knows the canary's pre-change rate (no drift in these scenarios).
      const rate = traffic.theta * traffic.controlErrorRate;
      return {
        ...judged,
        'oracle-known-rate': [oracleWave(WAVE_ALPHAS[0], rate, bake)],
        'fixed-two-sample': [twoSampleWave(WAVE_ALPHAS[0], baseline, bake)],
      };
    },
  };
}

/**
 * The first wave read as the workflow reads it: cumulative counters of three canary pods and three
 * control regions. Pods restart (their counters drop to zero) with `restartPerMinute`; pod 0 crash-loops
 * every `crashLoopMinutes` when set.
 */
function counterResets(name: string, description: string, factor: number, crashLoopMinutes: number | null): Scenario {
  return {
    name,
    kind: factor === 1 ? 'null' : 'regression',
    description,
    run(seed) {
      const random = seededRandom(seed);
      const traffic = { ...WAVES[0], controlErrorRate: CONTROL_ERROR_RATE, theta: heterogeneous(random) };
      const { baseline, bake } = waveMinutes(traffic, NO_DRIFT, { factor }, PRE_CHANGE_MINUTES, random);
      const counters = new CounterSeries(3, 3);
      counters.add(baseline, new Set(), random);
      const readings: CanaryReading[] = [counters.reading()];
      bake.forEach((minute, m) => {
        const restarts = new Set([0, 1, 2].filter(() => random() < 0.02));
        if (crashLoopMinutes !== null && m % crashLoopMinutes === 0) restarts.add(0);
        counters.add(minute, restarts, random);
        readings.push(counters.reading());
      });
      const options = judgeOptions(WAVE_ALPHAS[0], BAKE_MINUTES);
      const exact = judgeWave(WAVE_ALPHAS[0], baseline, bake);
      return {
        sluice: [readingsWave(startCanaryJudge(options, baseline), readings, true)],
        'sluice-summed-counters': [readingsWave(startCanaryJudge(options, baseline), readings, false)],
        'sluice-legacy': [readingsWave(startCanaryJudge(options), readings, false)],
        'fixed-60min': [exact['fixed-60min']],
        'naive-per-minute': [exact['naive-per-minute']],
      };
    },
  };
}

/** The blip lands in the last hour before the first wave or in a bake, as it did with an hour's window. */
const BLIP_FROM = PRE_CHANGE_MINUTES - 60;

export const SCENARIOS: Scenario[] = [
  nullRollout(
    'null-identical',
    'harmless change, canary and controls alike (θ = 1)',
    () => 1,
    () => NO_DRIFT,
  ),
  nullRollout('null-heterogeneous', 'harmless change, θ log-uniform 0.25×–4× per wave', heterogeneous, () => NO_DRIFT),
  nullRollout(
    'null-drift',
    'harmless change, θ log-uniform 0.25×–4×, a diurnal swing and a 10-minute ×4 shared-dependency blip on every region',
    heterogeneous,
    (random) =>
      diurnalWithBlip(random, PRE_CHANGE_MINUTES + WAVES.length * BAKE_MINUTES, {
        additive: false,
        blipFactor: 4,
        blipRate: 0,
        blipMinutes: 10,
        blipFrom: BLIP_FROM,
      }),
  ),
  nullRollout(
    'null-drift-additive-blip',
    'as null-drift, but the blip adds 2% errors per request to every region (not a multiple of each region’s rate)',
    heterogeneous,
    (random) =>
      diurnalWithBlip(random, PRE_CHANGE_MINUTES + WAVES.length * BAKE_MINUTES, {
        additive: true,
        blipFactor: 1,
        blipRate: 0.02,
        blipMinutes: 10,
        blipFrom: BLIP_FROM,
      }),
  ),
  firstWave(
    'regress-2x-heterogeneous',
    '2× on the first wave (1,000 req/min), θ log-uniform 0.25×–4×',
    { factor: 2 },
    () => 1_000,
  ),
  firstWave(
    'regress-1.5x-heterogeneous',
    '1.5× on the first wave (1,000 req/min), θ log-uniform 0.25×–4×',
    { factor: 1.5 },
    () => 1_000,
  ),
  firstWave(
    'regress-1.5x-heterogeneous-hour-baseline',
    'as regress-1.5x-heterogeneous with a 60-minute pre-change window instead of a day (the default before judge-deadline-test)',
    { factor: 1.5 },
    () => 1_000,
    60,
  ),
  firstWave(
    'low-traffic-total-failure',
    'every canary request fails; canary 0.5–5 req/s (log-uniform), θ log-uniform 0.25×–4× before the change',
    'total-failure',
    (random) => logUniform(random, 30, 300),
  ),
  counterResets(
    'counter-resets',
    'harmless change read from pod counters; each pod restarts with 2%/min and pod 0 crash-loops (every 2 min) for reasons of its own',
    1,
    2,
  ),
  counterResets(
    'counter-resets-regress-2x',
    '2× change whose canary pod 0 crash-loops (restarts every 2 min), read from pod counters',
    2,
    2,
  ),
];
