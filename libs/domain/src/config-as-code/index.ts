export * from './documents';
export * from './json-schema';
