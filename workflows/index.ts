export { rolloutWorkflow } from './rollout.workflow';
