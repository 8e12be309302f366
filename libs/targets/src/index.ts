export * from './config-hash';
export * from './region-client';
