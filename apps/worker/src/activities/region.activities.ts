import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, isSluiceError } from '../../../../libs/domain/src';
import { configHash, type RegionClient, type RegionConfigState } from '../../../../libs/targets/src';
import type {
  CheckRegionsInput,
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

export function createRegionActivities(regions: RegionClient) {
  return {
    /** What a region serves now: read before each push so the compensation knows what to restore. */
    async readRegionConfig(input: RegionRef): Promise<RegionConfigState> {
      return asActivity(() => regions.read(input.endpoint));
    },

    /** Pushes a config, then reads it back: the push only counts once the region serves it. */
    async pushRegionConfig(input: PushRegionConfigInput): Promise<PushRegionConfigResult> {
      return asActivity(async () => {
        const pushed = await regions.push(input.endpoint, input.version, input.config);
        const expectedHash = configHash(input.config);
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

    /** Puts back what the region served before the rollout, then verifies it. */
    async restoreRegionConfig(input: RestoreRegionConfigInput): Promise<RestoreRegionConfigResult> {
      return asActivity(async () => {
        if (input.version === null || input.config === null) {
          await regions.clear(input.endpoint);
          verify(input.region, await regions.read(input.endpoint), null, null);
          return { region: input.region, version: null, configHash: null };
        }
        const hash = configHash(input.config);
        await regions.push(input.endpoint, input.version, input.config);
        verify(input.region, await regions.read(input.endpoint), input.version, hash);
        return { region: input.region, version: input.version, configHash: hash };
      });
    },

    /** Precheck: every target region answers, is healthy, and whether it already runs the target. */
    async checkRegions(input: CheckRegionsInput): Promise<RegionCheck[]> {
      const hash = configHash(input.config);
      const checks: RegionCheck[] = [];
      for (const { region, endpoint } of input.regions) {
        heartbeat(region);
        try {
          const [live, health] = await Promise.all([regions.read(endpoint), regions.health(endpoint)]);
          checks.push({
            region,
            reachable: true,
            healthy: health.healthy,
            atTarget: live.version === input.version && live.configHash === hash,
            detail: health.healthy ? 'healthy' : `health check answered ${health.status}: ${health.detail}`,
          });
        } catch (err) {
          if (!isSluiceError(err)) throw err;
          checks.push({ region, reachable: false, healthy: false, atTarget: false, detail: err.message });
        }
      }
      return checks;
    },
  };
}
