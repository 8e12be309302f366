export default async function clusterTeardown(): Promise<void> {
  await globalThis.__SLUICE_CLUSTER__?.stop();
}
