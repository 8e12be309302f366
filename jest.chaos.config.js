// `npm run test:chaos`: faults injected into the real stack (worker processes killed, Temporal
// and PostgreSQL restarted). Workers run as processes from dist/, so the script builds first.
const base = require('./jest.config.js');
const withStack = base.projects.find((p) => p.displayName === 'int');

module.exports = {
  testTimeout: 240_000,
  projects: [
    {
      ...withStack,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
      globalSetup: '<rootDir>/test/chaos/chaos-setup.ts',
      globalTeardown: '<rootDir>/test/chaos/chaos-teardown.ts',
    },
  ],
};
