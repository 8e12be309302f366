export * from './config-hash';
export * from './region-contract';
export * from './region-client';
export * from './prometheus-client';
export * from './alertmanager-client';
export * from './monitoring-connection';
