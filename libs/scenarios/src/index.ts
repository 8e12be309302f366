export {
  runScenarios,
  scenarioProblem,
  scenarioVersion,
  type RunOptions,
  type ScenarioBatch,
  type ScenarioRun,
  type ScenarioTarget,
} from './playwright-runner';
export {
  DEFAULT_SCENARIO_JUDGE,
  MIN_BASELINE_FAILURES,
  concludeScenarioJudge,
  judgeScenarioInterval,
  scenarioCustomerKey,
  startScenarioJudge,
  type JudgedRun,
  type ScenarioJudgeOptions,
  type ScenarioJudgeState,
  type ScenarioJudgement,
  type ScenarioRuns,
  type ScenarioTallies,
  type ScenarioVerdict,
} from '../../judge/src/scenario-judge';
