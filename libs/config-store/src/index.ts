export * from './config-store';
