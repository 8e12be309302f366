export * from './natural-ratio';
export * from './sequential-count-test';
export * from './sequential-judge';
export * from './simulation';
export * from './reference-judges';
export * from './canary-interval';
