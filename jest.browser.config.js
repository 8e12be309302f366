// `npm run test:browser`: the web board in Debian's chromium (playwright-core), against the real
// stack the global setup starts. The board is served from dist/web, so the script builds first.
const base = require('./jest.config.js');
const withStack = base.projects.find((p) => p.displayName === 'int');

module.exports = {
  testTimeout: 120_000,
  projects: [{ ...withStack, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] }],
};
