export * from './projection';
export * from './projector';
export * from './rollouts.projection';
export * from './region-history.projection';
export * from './read-models';
export * from './projection-runner';
