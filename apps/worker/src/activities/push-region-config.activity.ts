import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, isSluiceError } from '../../../../libs/domain/src';
import { configHash, type RegionClient } from '../../../../libs/targets/src';

export interface PushRegionConfigInput {
  region: string;
  endpoint: string;
  version: string;
  config: Record<string, unknown>;
}

export interface PushRegionConfigResult {
  region: string;
  version: string;
  previousVersion: string | null;
  configHash: string;
  changed: boolean;
}

/** Turns a target error into a Temporal failure: a refused request is final, an unreachable region is retried. */
export function toActivityFailure(err: unknown): unknown {
  if (!isSluiceError(err)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: err.code,
    nonRetryable: err.code !== ErrorCode.RegionUnreachable,
    details: [err.details],
  });
}

/** Pushes a config to one region, then reads it back: the push only counts once the region serves it. */
export function createPushRegionConfig(regions: RegionClient) {
  return async function pushRegionConfig(input: PushRegionConfigInput): Promise<PushRegionConfigResult> {
    try {
      const pushed = await regions.push(input.endpoint, input.version, input.config);
      const live = await regions.read(input.endpoint);
      const expectedHash = configHash(input.config);
      if (live.version !== input.version || live.configHash !== expectedHash) {
        throw ApplicationFailure.create({
          message: `region ${input.region} serves ${live.version ?? 'nothing'} (hash ${live.configHash}) after a push of ${input.version} (hash ${expectedHash})`,
          type: ErrorCode.VerificationFailed,
          nonRetryable: true,
        });
      }
      return {
        region: input.region,
        version: input.version,
        previousVersion: pushed.previousVersion,
        configHash: expectedHash,
        changed: pushed.changed,
      };
    } catch (err) {
      throw toActivityFailure(err);
    }
  };
}
