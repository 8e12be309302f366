import { Context } from '@temporalio/activity';
import type { CachedConfigStore } from '../../../../libs/config-store/src';
import { ErrorCode, SluiceError } from '../../../../libs/domain/src';
import type { Scenario } from '../../../../libs/domain/src/service/scenarios';
import { runScenarios, type RunOptions } from '../../../../libs/scenarios/src/playwright-runner';
import type { PgScenarioRuns } from '../../../../libs/scenarios/src/scenario-runs-store';
import type { ScenarioTallies } from '../../../../libs/judge/src/scenario-judge';
import type {
  ScenarioBaselineInput,
  ScenarioTickInput,
  ScenarioTickResult,
} from '../../../../workflows/activity-contracts';
import type { ScenarioRef } from '../../../../workflows/rollout.types';
import { asActivity } from './activity-failure';
import { tickIsDue } from './gate.activities';

/** A run's error as the workflow keeps it: its first line or so. */
const TICK_ERROR_CHARS = 300;

/** Each scenario's text from the config store, by the hash the rollout carries. */
export async function loadScenarios(
  configs: Pick<CachedConfigStore, 'get'>,
  refs: readonly ScenarioRef[],
): Promise<Scenario[]> {
  return Promise.all(
    refs.map(async (ref) => {
      const doc = await configs.get(ref.sourceHash);
      if (doc.kind !== 'scenario' || typeof doc.source !== 'string') {
        throw new SluiceError(ErrorCode.Internal, `document ${ref.sourceHash} is not scenario "${ref.name}"`, {
          hash: ref.sourceHash,
        });
      }
      return { name: ref.name, source: doc.source, timeoutSeconds: ref.timeoutSeconds };
    }),
  );
}

export interface ScenarioActivityOptions {
  /** Passed to the Playwright runner (Chromium's path, the environment credentials come from). */
  run?: Pick<RunOptions, 'chromiumPath' | 'env'>;
}

/** The scenario gates' activities (docs/SCENARIOS.md): runs made by Playwright and stored, baselines read back. */
export function createScenarioActivities(
  configs: Pick<CachedConfigStore, 'get'>,
  store: PgScenarioRuns,
  options: ScenarioActivityOptions = {},
) {
  return {
    /** One interval's runs, stored (a retried tick stores nothing twice) and answered without their call logs. */
    async runScenarioTick(input: ScenarioTickInput): Promise<ScenarioTickResult> {
      const context = Context.current();
      tickIsDue(input.notBefore, context.info);
      return asActivity(async () => {
        const scenarios = await loadScenarios(configs, input.scenarios);
        const versions = new Map(input.scenarios.map((s) => [s.name, s.version]));
        const targets = [...input.changed, ...input.control];
        const changed = new Set(input.changed.map((t) => t.region));
        const beat = setInterval(() => context.heartbeat(), 5_000);
        try {
          const batch = await runScenarios(
            scenarios,
            targets.map((t) => ({ region: t.region, baseURL: t.endpoint, customer: t.customer })),
            { ...options.run, workers: input.workers, signal: context.cancellationSignal },
          );
          const runs = batch.runs.map((r) => ({
            ...r,
            version: versions.get(r.scenario) ?? r.version,
            role: changed.has(r.region) ? ('changed' as const) : ('control' as const),
          }));
          await store.record(input.service, runs, {
            rolloutId: input.rolloutId,
            wave: input.wave,
            gate: input.gate,
            tick: input.tick,
          });
          return {
            runs: runs.map((r) => ({
              scenario: r.scenario,
              region: r.region,
              customer: r.customer,
              role: r.role,
              passed: r.passed,
              ...(r.error === undefined ? {} : { error: r.error.slice(0, TICK_ERROR_CHARS) }),
            })),
            wallMs: batch.wallMs,
          };
        } finally {
          clearInterval(beat);
        }
      });
    },

    /** The runs of the window before the wave's push, counted per customer (changed regions) and per scenario (controls). */
    async readScenarioBaseline(input: ScenarioBaselineInput): Promise<ScenarioTallies | null> {
      return asActivity(() =>
        store.tallies({
          service: input.service,
          scenarios: input.scenarios,
          changedRegions: input.changedRegions,
          controlRegions: input.controlRegions,
          from: new Date(input.at - input.windowSeconds * 1000),
          to: new Date(input.at),
        }),
      );
    },
  };
}
