export * from './service-catalog';
