import {
  SluiceError,
  scenarioGateProblems,
  scenariosGated,
  type GateSpec,
  type ServiceTopology,
} from '../../../../libs/domain/src';
import type { PgConfigStore } from '../../../../libs/config-store/src';
import { scenarioVersion } from '../../../../libs/scenarios/src/playwright-runner';
import { scenarioDocument } from '../../../../libs/scenarios/src/scenario-document';
import type { ScenarioRef } from '../../../../workflows/rollout.types';

/** Refuses (BAD_USER_INPUT, per field) scenario gates that cannot run on this service. */
export function checkScenarioGates(gates: readonly GateSpec[], topology: ServiceTopology): void {
  const problems = scenarioGateProblems(gates, topology);
  if (problems.length > 0) {
    throw SluiceError.badInput(`the scenario gates cannot run: ${problems.map((p) => p.message).join('; ')}`, problems);
  }
}

/** The scenarios the rollout's gates run, each stored by hash: the workflow carries references, never the text. */
export function storeScenarios(
  configs: Pick<PgConfigStore, 'put'>,
  gates: readonly GateSpec[],
  topology: ServiceTopology,
): Promise<ScenarioRef[]> {
  return Promise.all(
    scenariosGated(gates, topology.scenarios).map(async (scenario) => ({
      name: scenario.name,
      version: scenarioVersion(scenario.source),
      sourceHash: await configs.put(scenarioDocument(scenario)),
      timeoutSeconds: scenario.timeoutSeconds,
    })),
  );
}
