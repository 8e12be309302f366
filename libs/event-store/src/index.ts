export * from './event-id';
export * from './event-store';
