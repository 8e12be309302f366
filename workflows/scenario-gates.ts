import { condition, isCancellation } from '@temporalio/workflow';
import type { Wave } from '../libs/domain/src/plan/rollout-plan';
import type {
  GateEvaluation,
  ScenarioCustomerVerdict,
  ScenarioEvidence,
  ScenarioGate,
} from '../libs/domain/src/gates/gate-spec';
import type { CustomerProfile } from '../libs/domain/src/service/scenarios';
import { rolloutAlpha } from '../libs/judge/src/canary-interval';
import {
  concludeScenarioJudge,
  judgeScenarioInterval,
  scenarioCustomerKey,
  startScenarioJudge,
  type ScenarioJudgeState,
  type ScenarioJudgement,
  type ScenarioTallies,
} from '../libs/judge/src/scenario-judge';
import type { RegionRef, ScenarioTargetRef, ScenarioTickResult } from './activity-contracts';
import { baselineRegions } from './canary-judging';
import { failureMessage, gateEvaluation, scenarioTick } from './rollout-activities';
import type { RolloutContext } from './rollout-context';
import type { ScenarioRef } from './rollout.types';

/** What a customer's failures in the changed regions looked like, for the affected-customers list. */
export interface ObservedScenarioFailure {
  /** Workflow time (ms) of the first and last failed run. */
  first: number;
  last: number;
  regions: string[];
  error: string | null;
}

/** One scenario gate's state in one wave, in the run state: it survives a crash or a continue-as-new. */
export interface ScenarioGateState {
  judge: ScenarioJudgeState;
  /** Ticks made so far: the control sample rotates with it, and a retried tick's runs are stored once. */
  ticks: number;
  /** Runs made and Playwright's wall time in this wave so far: the gate's cost (absent before they were kept). */
  runs?: number;
  wallMs?: number;
  /** Per `scenario|customer`, failures seen in the changed regions. */
  failures: Record<string, ObservedScenarioFailure>;
}

/** Customers named in one evaluation at most: the rest are counted, not listed. */
const MAX_LISTED_CUSTOMERS = 50;
const MAX_ERROR_CHARS = 300;

const gateKey = (wave: Wave, gate: ScenarioGate) => `${wave.index}/${gate.name}`;

/** The scenarios a gate runs, as the rollout carries them (the gateway checked the names). */
function scenariosOf(ctx: RolloutContext, gate: ScenarioGate): ScenarioRef[] {
  const all = ctx.input.scenarios ?? [];
  return gate.scenarios ? all.filter((s) => gate.scenarios!.includes(s.name)) : all;
}

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
  missing.forEach((gate, i) => {
    const customers = [...new Set(customerTargets(ctx, changedRegions).map((t) => t.customer.customer))].sort();
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
  return scenarioEvaluation(gate, base, judgement, gateState, { runs: result.runs.length, wallMs: result.wallMs }, ctx);
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
    return [scenarioEvaluation(gate, base, judgement, gateState, { runs: 0, wallMs: 0 }, ctx)];
  });
}

function scenarioEvaluation(
  gate: ScenarioGate,
  base: Pick<GateEvaluation, 'gate' | 'kind' | 'region'>,
  judgement: ScenarioJudgement,
  gateState: ScenarioGateState,
  cost: { runs: number; wallMs: number },
  ctx: RolloutContext,
): GateEvaluation {
  const named = judgement.verdicts
    .filter((v) => v.verdict === 'FAIL' || v.tally.changedFailures > 0)
    .sort(
      (a, b) => Number(b.verdict === 'FAIL') - Number(a.verdict === 'FAIL') || a.customer.localeCompare(b.customer),
    );
  const customers: ScenarioCustomerVerdict[] = named.slice(0, MAX_LISTED_CUSTOMERS).map((v) => {
    const seen = gateState.failures[scenarioCustomerKey(v.scenario, v.customer)];
    return {
      scenario: v.scenario,
      customer: v.customer,
      verdict: v.verdict,
      changedRuns: v.tally.changedRuns,
      changedFailures: v.tally.changedFailures,
      controlRuns: v.tally.controlRuns,
      controlFailures: v.tally.controlFailures,
      eFail: v.eFail === undefined ? null : Number.isFinite(v.eFail) ? v.eFail : Number.MAX_VALUE,
      firstFailureAt: seen ? new Date(seen.first).toISOString() : null,
      lastFailureAt: seen ? new Date(seen.last).toISOString() : null,
      regions: seen ? [...seen.regions].sort() : [],
      error: seen?.error ?? null,
    };
  });
  const evidence: ScenarioEvidence = {
    versions: Object.fromEntries(scenariosOf(ctx, gate).map((s) => [s.name, s.version])),
    customers,
    judged: judgement.verdicts.length,
    passed: judgement.verdicts.filter((v) => v.verdict === 'PASS').length,
    runs: cost.runs,
    wallMs: cost.wallMs,
    totalRuns: gateState.runs ?? 0,
    totalWallMs: gateState.wallMs ?? 0,
  };
  const failed = judgement.failedCustomers;
  const value = failed.length;
  switch (judgement.verdict) {
    case 'FAIL':
      return { ...base, verdict: 'FAIL', value, detail: failDetail(customers), scenario: evidence };
    case 'PASS':
      return {
        ...base,
        verdict: 'PASS',
        value,
        detail: `${evidence.passed} customer journeys judged unharmed`,
        scenario: evidence,
      };
    case 'INCONCLUSIVE':
      return {
        ...base,
        verdict: 'NO_DATA',
        noData: gate.noData,
        value,
        detail: `${evidence.judged - evidence.passed} of ${evidence.judged} customer journeys undecided at the bake's end`,
        scenario: evidence,
      };
    default:
      return {
        ...base,
        verdict: 'CONTINUE',
        value,
        detail: `${evidence.passed} of ${evidence.judged} customer journeys judged unharmed so far`,
        scenario: evidence,
      };
  }
}

/** "checkout broke for acme, initech (12 of 12 runs failed; 0 of 30 in the controls)", per scenario. */
function failDetail(customers: ScenarioCustomerVerdict[]): string {
  const byScenario = new Map<string, ScenarioCustomerVerdict[]>();
  for (const c of customers.filter((c) => c.verdict === 'FAIL')) {
    byScenario.set(c.scenario, [...(byScenario.get(c.scenario) ?? []), c]);
  }
  return [...byScenario]
    .map(([scenario, failed]) => {
      const runs = failed.reduce((n, c) => n + c.changedRuns, 0);
      const failures = failed.reduce((n, c) => n + c.changedFailures, 0);
      const { controlRuns, controlFailures } = failed[0];
      return (
        `${scenario} broke for ${failed.map((c) => c.customer).join(', ')} ` +
        `(${failures} of ${runs} runs failed; ${controlFailures} of ${controlRuns} in the controls)`
      );
    })
    .join('; ');
}
