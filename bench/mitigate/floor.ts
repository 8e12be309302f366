import { configHash, type HttpRegionClient } from '../../libs/targets/src';

export interface RestoreTarget {
  region: string;
  endpoint: string;
}

/**
 * The floor: what restoring the regions costs with nothing around it. A bare client makes the
 * requests Sluice's restoreRegionConfig makes, through the same adapter (GET {endpoint}/config
 * for the region's revision, PUT {endpoint}/config with the old version and document on that
 * revision, then GET {endpoint}/config, checked), every region at once.
 * Resolves when the last region is restored and verified.
 */
export async function restoreBare(
  client: HttpRegionClient,
  targets: readonly RestoreTarget[],
  version: string,
  config: Record<string, unknown>,
): Promise<void> {
  const hash = configHash(config);
  await Promise.all(
    targets.map(async ({ region, endpoint }) => {
      const before = await client.read(endpoint);
      await client.push(endpoint, version, config, before.revision);
      const live = await client.read(endpoint);
      if (live.version !== version || live.configHash !== hash) {
        throw new Error(`floor: ${region} serves ${live.version} (hash ${live.configHash}) after its restore`);
      }
    }),
  );
}
