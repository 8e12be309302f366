export default async function globalTeardown(): Promise<void> {
  const stack = globalThis.__SLUICE_TEST_STACK__;
  if (!stack) return;
  await stack.dropDatabase?.();
  await Promise.allSettled([stack.temporal.stop(), stack.database.stop()]);
}
