import globalTeardown from '../support/global-teardown';

export default async function chaosTeardown(): Promise<void> {
  await globalThis.__SLUICE_CHAOS_PG__?.stop();
  await globalTeardown();
}
