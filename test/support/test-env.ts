/**
 * Where the global setup publishes the shared real services; tests read them from the
 * environment because globals set up there are not visible inside test files.
 */
export const TEST_TEMPORAL_ADDRESS = 'SLUICE_TEST_TEMPORAL_ADDRESS';
export const TEST_DATABASE_URL = 'SLUICE_TEST_DATABASE_URL';

export function testServices(): { temporalAddress: string; databaseUrl: string } {
  const temporalAddress = process.env[TEST_TEMPORAL_ADDRESS];
  const databaseUrl = process.env[TEST_DATABASE_URL];
  if (!temporalAddress || !databaseUrl) {
    throw new Error('the test stack is not running: run int and e2e specs through jest (see jest.config.js)');
  }
  return { temporalAddress, databaseUrl };
}
