export * from './channel-store';
export * from './notification-settings';
export * from './notification-store';
export * from './notifier';
export * from './sinks';
