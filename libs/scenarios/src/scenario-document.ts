import type { Scenario } from '../../domain/src/service/scenarios';

/**
 * A scenario as the config store keeps it for a rollout: `{ kind: 'scenario', name, source,
 * timeoutSeconds }`, stored by hash at start so the workflow carries the hash, never the text.
 */
export function scenarioDocument(scenario: Scenario): Record<string, unknown> {
  return { kind: 'scenario', name: scenario.name, source: scenario.source, timeoutSeconds: scenario.timeoutSeconds };
}
