// `npm run histories:record`: not part of `npm test`. It records replay histories on purpose.
const base = require('./jest.config.js');
const int = base.projects.find((p) => p.displayName === 'int');

module.exports = {
  testTimeout: base.testTimeout,
  projects: [{ ...int, displayName: 'recorder', testMatch: ['<rootDir>/test/replay/*.recorder.ts'] }],
};
