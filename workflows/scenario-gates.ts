import { condition, isCancellation } from '@temporalio/workflow';
import type { Wave } from '../libs/domain/src/plan/rollout-plan';
import type { GateEvaluation, ScenarioGate } from '../libs/domain/src/gates/gate-spec';
import type { CustomerProfile } from '../libs/domain/src/service/scenarios';
import { rolloutAlpha } from '../libs/judge/src/canary-interval';
import {
  concludeScenarioJudge,
  judgeScenarioInterval,
  scenarioCustomerKey,
  startScenarioJudge,
  type ScenarioTallies,
} from '../libs/judge/src/scenario-judge';
import type { RegionRef, ScenarioTargetRef, ScenarioTickResult } from './activity-contracts';
import { baselineRegions } from './canary-judging';
import { failureMessage, gateEvaluation, scenarioTick } from './rollout-activities';
import type { RolloutContext } from './rollout-context';
import { scenarioEvaluation } from './scenario-evidence';
import type { ScenarioRef } from './rollout.types';

const MAX_ERROR_CHARS = 300;

const gateKey = (wave: Wave, gate: ScenarioGate) => `${wave.index}/${gate.name}`;

/** The scenarios a gate runs, as the rollout carries them (the gateway checked the names). */
function scenariosOf(ctx: RolloutContext, gate: ScenarioGate): ScenarioRef[] {
  const all = ctx.input.scenarios ?? [];
  return gate.scenarios ? all.filter((s) => gate.scenarios!.includes(s.name)) : all;
}

const versionsOf = (scenarios: ScenarioRef[]) => Object.fromEntries(scenarios.map((s) => [s.name, s.version]));

/** Each customer of these regions as its profile says (a customer without one runs with no attributes). */
function customerTargets(ctx: RolloutContext, regions: readonly string[]): ScenarioTargetRef[] {
  const profiles = new Map<string, CustomerProfile>((ctx.input.customerProfiles ?? []).map((p) => [p.customer, p]));
  const wanted = new Set(regions);
  return ctx.input.regions
    .filter((r) => wanted.has(r.name))
    .flatMap((r) =>
      r.customers.map((customer) => ({
        region: r.name,
        endpoint: r.endpoint,
        customer: profiles.get(customer) ?? { customer, attributes: {}, credentials: {} },
      })),
    );
}

/** `count` control targets this tick, rotating through all of them so every one is sampled in turn. */
function sampleControls(all: ScenarioTargetRef[], count: number, tick: number): ScenarioTargetRef[] {
  if (all.length <= count) return all;
  const start = (tick * count) % all.length;
  return Array.from({ length: count }, (_, i) => all[(start + i) % all.length]);
}

/**
 * One interval of every scenario gate of the wave (docs/SCENARIOS.md): each gate's runs in
 * one activity, all gates at once, then each gate's judge on its runs. `due`: the instant
 * the tick is due, which its activity waits for.
 */
export async function judgeScenarioGates(
  ctx: RolloutContext,
  gates: ScenarioGate[],
  wave: Wave,
  targets: RegionRef[],
  due?: number,
): Promise<GateEvaluation[]> {
  if (gates.length === 0) return [];
  await startScenarioJudges(ctx, gates, wave, targets);
  return Promise.all(gates.map((gate) => judgeScenarioGate(ctx, gate, wave, targets, due)));
}

async function startScenarioJudges(
  ctx: RolloutContext,
  gates: ScenarioGate[],
  wave: Wave,
  targets: RegionRef[],
): Promise<void> {
  const state = (ctx.state.scenarioJudges ??= {});
  const missing = gates.filter((g) => state[gateKey(wave, g)] === undefined);
  if (missing.length === 0) return;
  const changedRegions = targets.map((t) => t.region);
  const controlRegions = baselineRegions(ctx, targets);
  const at = ctx.state.pushesStartedAt?.[wave.index] ?? Date.now();
  const baselines = await Promise.all(
    missing.map((gate) =>
      gateEvaluation.readScenarioBaseline
        .executeWithOptions({ summary: `scenario baseline wave ${wave.index}: ${gate.name}` }, [
          {
            service: ctx.input.service,
            scenarios: scenariosOf(ctx, gate).map((s) => s.name),
            changedRegions,
            controlRegions,
            at,
            windowSeconds: gate.baselineWindowSeconds,
          },
        ])
        // without a baseline the judge takes each customer to fail as often as the controls
        .catch((err: unknown): ScenarioTallies | null => {
          if (isCancellation(err)) throw err;
          return null;
        }),
    ),
  );
  const judgedWaves = Math.max(1, (ctx.state.rollout.plan?.waves.length ?? 1) - 1);
  const scenarioGates = ctx.input.gates.filter((g) => g.kind === 'scenario').length;
  const customers = [...new Set(customerTargets(ctx, changedRegions).map((t) => t.customer.customer))].sort();
  missing.forEach((gate, i) => {
    const pairs = scenariosOf(ctx, gate).flatMap((s) => customers.map((customer) => ({ scenario: s.name, customer })));
    state[gateKey(wave, gate)] = {
      judge: startScenarioJudge(pairs, baselines[i], {
        alpha: rolloutAlpha(gate.alpha, judgedWaves, scenarioGates, Math.min(wave.index, judgedWaves) - 1),
        beta: gate.beta,
        tolerance: gate.tolerance,
        maxTolerated: gate.maxTolerated,
        minRuns: gate.minRuns,
        intervalSeconds: ctx.input.gateIntervalSeconds,
        maxDurationSeconds: gate.maxDurationSeconds,
      }),
      ticks: 0,
      failures: {},
    };
  });
}

async function judgeScenarioGate(
  ctx: RolloutContext,
  gate: ScenarioGate,
  wave: Wave,
  targets: RegionRef[],
  due?: number,
): Promise<GateEvaluation> {
  const key = gateKey(wave, gate);
  const gateState = ctx.state.scenarioJudges![key];
  const base = { gate: gate.name, kind: gate.kind, region: targets.map((t) => t.region).join(',') };
  const changed = customerTargets(
    ctx,
    targets.map((t) => t.region),
  );
  if (changed.length === 0) {
    return { ...base, verdict: 'NO_DATA', noData: gate.noData, detail: "the wave's regions list no customers" };
  }
  const control = sampleControls(
    customerTargets(ctx, baselineRegions(ctx, targets)),
    gate.controlSamples,
    gateState.ticks,
  );
  const scenarios = scenariosOf(ctx, gate);
  const tick = gateState.ticks;
  gateState.ticks += 1;
  const running = scenarioTick.runScenarioTick.executeWithOptions(
    { summary: `scenarios wave ${wave.index}: ${gate.name} (${changed.length} + ${control.length} customers)` },
    [
      {
        rolloutId: ctx.input.rolloutId,
        service: ctx.input.service,
        wave: wave.index,
        gate: gate.name,
        tick,
        scenarios,
        workers: gate.workers,
        changed,
        control,
        notBefore: due,
      },
    ],
  );
  // a halt or an abort moves on at once: the runs finish unobserved (they only read and store)
  let settled = false;
  running.then(
    () => (settled = true),
    () => (settled = true),
  );
  await condition(() => settled || ctx.stopped);
  ctx.throwIfStopped();
  let result: ScenarioTickResult;
  try {
    result = await running;
  } catch (err) {
    if (isCancellation(err)) throw err;
    return {
      ...base,
      verdict: 'NO_DATA',
      noData: gate.noData,
      detail: `the scenarios could not run: ${failureMessage(err)}`,
    };
  }
  gateState.runs = (gateState.runs ?? 0) + result.runs.length;
  gateState.wallMs = (gateState.wallMs ?? 0) + result.wallMs;
  const now = Date.now();
  for (const run of result.runs) {
    if (run.role !== 'changed' || run.passed) continue;
    const k = scenarioCustomerKey(run.scenario, run.customer);
    const seen = (gateState.failures[k] ??= { first: now, last: now, regions: [], error: null });
    seen.last = now;
    if (!seen.regions.includes(run.region)) seen.regions.push(run.region);
    seen.error = run.error?.slice(0, MAX_ERROR_CHARS) ?? seen.error;
  }
  const judgement = judgeScenarioInterval(gateState.judge, {
    changed: result.runs.filter((r) => r.role === 'changed'),
    control: result.runs.filter((r) => r.role === 'control'),
  });
  gateState.judge = judgement.state;
  return scenarioEvaluation(
    gate,
    base,
    judgement,
    gateState,
    { runs: result.runs.length, wallMs: result.wallMs },
    versionsOf(scenarios),
  );
}

/**
 * The bake's deadline: a scenario gate whose customers have not all been judged is
 * INCONCLUSIVE, and its noData policy applies, as a canary gate's does.
 */
export function concludeScenarioGates(
  ctx: RolloutContext,
  gates: ScenarioGate[],
  wave: Wave,
  targets: RegionRef[],
): GateEvaluation[] {
  return gates.flatMap((gate) => {
    const gateState = ctx.state.scenarioJudges?.[gateKey(wave, gate)];
    if (!gateState) return [];
    const judgement = concludeScenarioJudge(gateState.judge);
    gateState.judge = judgement.state;
    if (judgement.verdict !== 'INCONCLUSIVE') return [];
    const base = { gate: gate.name, kind: gate.kind, region: targets.map((t) => t.region).join(',') };
    return [
      scenarioEvaluation(gate, base, judgement, gateState, { runs: 0, wallMs: 0 }, versionsOf(scenariosOf(ctx, gate))),
    ];
  });
}
