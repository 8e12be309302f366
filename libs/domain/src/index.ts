export * from './errors';
export * from './validation';
export * from './service/service-topology';
export * from './rollout/rollout.events';
export * from './rollout/rollout-status';
export * from './rollout/start-rollout';
export * from './rollout/canonical-json';
