export * from './scoring';
export * from './insight-options';
export * from './incident-analyzer';
export * from './exposure';
export * from './blame';
export * from './blame-doubts';
export * from './customer-impact';
export * from './exposure-metrics';
