export * from './event-id';
export * from './event-store';
export * from './transaction';
export * from './live-events';
