// Three kinds of spec, each runnable alone: `.spec.ts` (pure, no I/O),
// `.int-spec.ts` and `.e2e-spec.ts` (real Temporal and PostgreSQL, started once by the global setup).
const swc = ['@swc/jest', JSON.parse(require('fs').readFileSync(`${__dirname}/.swcrc`, 'utf8'))];
const base = { transform: { '^.+\\.ts$': swc }, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };
const withStack = {
  ...base,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

module.exports = {
  // Integration and end-to-end specs drive real servers; pure specs finish far below this.
  testTimeout: 90_000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,workflows,test}/**/*.spec.ts'] },
    { ...withStack, displayName: 'int', testMatch: ['<rootDir>/{apps,libs,workflows,test}/**/*.int-spec.ts'] },
    { ...withStack, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
