import { heartbeat } from '@temporalio/activity';
import pLimit from 'p-limit';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, isSluiceError } from '../../../../libs/domain/src';
import { configHash, type RegionClient, type RegionConfigState } from '../../../../libs/targets/src';
import type { CachedConfigStore } from '../../../../libs/config-store/src';
import type {
  CheckRegionsInput,
  ConfigRef,
  ReadRegionConfigsInput,
  RegionConfigsRead,
  PushRegionConfigInput,
  PushRegionConfigResult,
  RegionCheck,
  RegionRef,
  RestoreRegionConfigInput,
  RestoreRegionConfigResult,
} from '../../../../workflows/activity-contracts';
import { asActivity } from './activity-failure';

function verify(region: string, live: RegionConfigState, version: string | null, hash: string | null): void {
  if (live.version !== version || live.configHash !== hash) {
    throw ApplicationFailure.create({
      message: `region ${region} serves ${live.version ?? 'no config'} (hash ${live.configHash}) but ${version ?? 'no config'} (hash ${hash}) was expected`,
      type: ErrorCode.VerificationFailed,
      nonRetryable: true,
    });
  }
}

/** Regions checked at once by the precheck: a hundred regions take a few rounds, not a hundred. */
const CHECK_CONCURRENCY = 16;

type ConfigDocuments = Pick<CachedConfigStore, 'get' | 'put'>;

/** The document a workflow names: inline (older histories) or by hash from the config store. */
async function documentOf(configs: ConfigDocuments, ref: ConfigRef): Promise<Record<string, unknown>> {
  return ref.config ?? configs.get(ref.configHash);
}

function finalUnavailable(err: unknown): never {
  throw ApplicationFailure.create({
    message: err instanceof Error ? err.message : String(err),
    type: ErrorCode.ConfigUnavailable,
    nonRetryable: true,
  });
}

export function createRegionActivities(regions: RegionClient, configs: ConfigDocuments) {
  return {
    /** What a region serves now: read before each push so the compensation knows what to restore. */
    async readRegionConfig(input: RegionRef): Promise<RegionConfigState> {
      return asActivity(() => regions.read(input.endpoint));
    },

    /** A wave's regions read at once; each distinct document the workflow lacks comes once, and is stored. */
    async readRegionConfigs(input: ReadRegionConfigsInput): Promise<RegionConfigsRead> {
      return asActivity(async () => {
        const known = new Set(input.knownHashes);
        const read = await Promise.all(
          input.regions.map(async (r) => {
            const live = await regions.read(r.endpoint);
            heartbeat(r.region);
            return live;
          }),
        );
        const documents: RegionConfigsRead['documents'] = {};
        for (const live of read) {
          if (live.configHash !== null && live.config !== null && !known.has(live.configHash)) {
            documents[live.configHash] = live.config;
          }
        }
        // Stored too, so a restore by hash finds them; the workflow keeps the bodies for when it cannot.
        for (const doc of Object.values(documents)) await configs.put(doc);
        return {
          regions: read.map((live, i) => ({
            region: input.regions[i].region,
            version: live.version,
            configHash: live.configHash,
          })),
          documents,
        };
      });
    },

    /** Pushes a config, then reads it back: the push only counts once the region serves it. */
    async pushRegionConfig(input: PushRegionConfigInput): Promise<PushRegionConfigResult> {
      return asActivity(async () => {
        const config = await documentOf(configs, input);
        const pushed = await regions.push(input.endpoint, input.version, config);
        const expectedHash = configHash(config);
        verify(input.region, await regions.read(input.endpoint), input.version, expectedHash);
        return {
          region: input.region,
          version: input.version,
          previousVersion: pushed.previousVersion,
          configHash: expectedHash,
          changed: pushed.changed,
        };
      });
    },

    /**
     * Puts back what the region served before the rollout, then verifies it. A document named
     * by hash that the config store cannot give is a final CONFIG_UNAVAILABLE at once: the
     * workflow holds the body and asks again with it inline, rather than wait on a database.
     */
    async restoreRegionConfig(input: RestoreRegionConfigInput): Promise<RestoreRegionConfigResult> {
      return asActivity(async () => {
        if (input.version === null || (input.config ?? input.configHash ?? null) === null) {
          await regions.clear(input.endpoint);
          verify(input.region, await regions.read(input.endpoint), null, null);
          return { region: input.region, version: null, configHash: null };
        }
        const config = input.config ?? (await configs.get(input.configHash!).catch(finalUnavailable));
        const hash = configHash(config);
        await regions.push(input.endpoint, input.version, config);
        verify(input.region, await regions.read(input.endpoint), input.version, hash);
        return { region: input.region, version: input.version, configHash: hash };
      });
    },

    /** Precheck: every target region answers, is healthy, and whether it already runs the target. */
    async checkRegions(input: CheckRegionsInput): Promise<RegionCheck[]> {
      const hash = input.configHash ?? configHash(input.config);
      // In parallel, bounded: one after another, a fleet of a hundred never fit the timeout.
      const limit = pLimit(CHECK_CONCURRENCY);
      return Promise.all(
        input.regions.map(({ region, endpoint }) =>
          limit(async (): Promise<RegionCheck> => {
            heartbeat(region);
            try {
              const [live, health] = await Promise.all([regions.read(endpoint), regions.health(endpoint)]);
              return {
                region,
                reachable: true,
                healthy: health.healthy,
                atTarget: live.version === input.version && live.configHash === hash,
                detail: health.healthy ? 'healthy' : `health check answered ${health.status}: ${health.detail}`,
              };
            } catch (err) {
              if (!isSluiceError(err)) throw err;
              return { region, reachable: false, healthy: false, atTarget: false, detail: err.message };
            }
          }),
        ),
      );
    },
  };
}
