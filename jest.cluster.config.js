// `npm run test:cluster`: the production topology for real. Temporal as separate frontend, two
// history, matching and worker processes on PostgreSQL (built from source, see
// scripts/build-temporal-server.sh), gateways and workers as processes from dist/, and faults
// injected into all of them. The global setup owns the cluster and PostgreSQL; specs stop and
// start their processes through a loopback control port (test/cluster/cluster-env.ts).
const base = require('./jest.config.js');
const unit = base.projects.find((p) => p.displayName === 'unit');

module.exports = {
  testTimeout: 240_000,
  projects: [
    {
      ...unit,
      displayName: 'cluster',
      testMatch: ['<rootDir>/test/cluster/**/*.cluster-spec.ts'],
      globalSetup: '<rootDir>/test/cluster/cluster-setup.ts',
      globalTeardown: '<rootDir>/test/cluster/cluster-teardown.ts',
    },
  ],
};
