export {
  runScenarios,
  scenarioProblem,
  scenarioVersion,
  type RunOptions,
  type ScenarioBatch,
  type ScenarioRun,
  type ScenarioTarget,
} from './playwright-runner';
