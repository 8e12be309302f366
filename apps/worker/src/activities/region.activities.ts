import { Context, heartbeat } from '@temporalio/activity';
import pLimit from 'p-limit';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, isSluiceError, SluiceError, targetKindOf } from '../../../../libs/domain/src';
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
  RestoreOutcome,
  RestoreRegionConfigInput,
  RestoreRegionConfigResult,
  RestoreRegionConfigsInput,
  RestoreRegionConfigsResult,
} from '../../../../workflows/activity-contracts';
import { serviceOfWorkflowId } from '../../../../workflows/rollout.types';
import { asActivity, toActivityFailure } from './activity-failure';

/** One push to a region: the rollout's service, the target's kind, how it went and how long it took. */
export interface RegionPush {
  service: string;
  kind: string;
  outcome: 'succeeded' | 'failed';
  seconds: number;
}
export type OnRegionPushed = (push: RegionPush) => void;

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

/**
 * Regions a batched rollback restores at once: a blast radius of fifty in one round, and
 * never more requests in flight than a worker's HTTP pool comfortably holds.
 */
const RESTORE_CONCURRENCY = 64;

/** How often a batched rollback heartbeats while a region's requests are still out. */
const RESTORE_HEARTBEAT_MS = 2_000;

type ConfigDocuments = Pick<CachedConfigStore, 'get' | 'put'>;

/** The document a workflow names: inline (older histories) or by hash from the config store. */
async function documentOf(configs: ConfigDocuments, ref: ConfigRef): Promise<Record<string, unknown>> {
  return ref.config ?? configs.get(ref.configHash);
}

const regionChanged = (err: unknown) => isSluiceError(err) && err.code === ErrorCode.RegionChanged;

/** How often a restore reads again and rewrites when a write lands between its read and its own write. */
const RESTORE_FENCE_TRIES = 3;

function finalUnavailable(err: unknown): never {
  throw ApplicationFailure.create({
    message: err instanceof Error ? err.message : String(err),
    type: ErrorCode.ConfigUnavailable,
    nonRetryable: true,
  });
}

/** Times `push` and reports it: the service from the rollout's workflow id, the kind from the endpoint. */
async function timed<T>(endpoint: string, report: OnRegionPushed, push: () => Promise<T>): Promise<T> {
  const workflowId = Context.current().info.workflowExecution?.workflowId;
  const service = (workflowId && serviceOfWorkflowId(workflowId)) || 'unknown';
  const kind = targetKindOf(endpoint) ?? 'unknown';
  const started = performance.now();
  const done = (outcome: RegionPush['outcome']) =>
    report({ service, kind, outcome, seconds: (performance.now() - started) / 1000 });
  try {
    const result = await push();
    done('succeeded');
    return result;
  } catch (err) {
    done('failed');
    throw err;
  }
}

export function createRegionActivities(
  regions: RegionClient,
  configs: ConfigDocuments,
  onPushed: OnRegionPushed = () => undefined,
) {
  /** One region put back and verified: see `restoreRegionConfig`. */
  async function restoreRegion(input: RestoreRegionConfigInput): Promise<RestoreRegionConfigResult> {
    const clearing = input.version === null || (input.config ?? input.configHash ?? null) === null;
    const config = clearing ? null : (input.config ?? (await configs.get(input.configHash!).catch(finalUnavailable)));
    const hash = config === null ? null : configHash(config);
    const seen = { tookChange: false, untouched: false };
    for (let attempt = 1; ; attempt++) {
      const live = await regions.read(input.endpoint);
      const { rollout } = input;
      if (rollout && live.version === rollout.version && (rollout.configHash ?? live.configHash) === live.configHash) {
        seen.tookChange = true;
      }
      if (attempt === 1) seen.untouched = input.revision !== undefined && live.revision === input.revision;
      // Already back (an earlier attempt whose answer was lost) and moved past the revision
      // every forward write is conditioned on: those are fenced, nothing needs writing.
      const back = live.version === (config === null ? null : input.version) && live.configHash === hash;
      if (back && input.revision !== undefined && live.revision !== input.revision) break;
      try {
        if (config === null) await regions.clear(input.endpoint, live.revision, input.change);
        else await regions.push(input.endpoint, input.version!, config, live.revision, input.change);
        break;
      } catch (err) {
        if (!regionChanged(err) || attempt >= RESTORE_FENCE_TRIES) {
          // Another write keeps winning the race: worth a retry of the whole restore.
          if (regionChanged(err)) {
            throw ApplicationFailure.create({
              message: (err as Error).message,
              type: ErrorCode.RegionChanged,
              nonRetryable: false,
            });
          }
          throw err;
        }
      }
    }
    verify(input.region, await regions.read(input.endpoint), config === null ? null : input.version, hash);
    return {
      region: input.region,
      version: config === null ? null : input.version,
      configHash: hash,
      ...(input.rollout ? seen : {}),
    };
  }

  /** See `pushRegionConfig`; timed from the write to the read-back, not the document's load. */
  async function push(input: PushRegionConfigInput): Promise<PushRegionConfigResult> {
    const config = await documentOf(configs, input);
    const expectedHash = configHash(config);
    return timed(input.endpoint, onPushed, async () => {
      let outcome: { previousVersion: string | null; changed: boolean };
      try {
        const pushed = await regions.push(input.endpoint, input.version, config, input.ifRevision, input.change);
        outcome = { previousVersion: pushed.previousVersion, changed: pushed.changed };
      } catch (err) {
        if (!regionChanged(err)) throw err;
        const live = await regions.read(input.endpoint);
        if (live.version !== input.version || live.configHash !== expectedHash) {
          throw new SluiceError(
            ErrorCode.RegionChanged,
            `region ${input.region} changed since Sluice read it (revision ${input.ifRevision}, now ${live.revision} serving ${live.version ?? 'no config'}): not overwriting it`,
            { region: input.region, expectedRevision: input.ifRevision, revision: live.revision },
          );
        }
        const previousVersion = input.previousVersion ?? null;
        outcome = { previousVersion, changed: previousVersion !== input.version };
      }
      verify(input.region, await regions.read(input.endpoint), input.version, expectedHash);
      return { region: input.region, version: input.version, configHash: expectedHash, ...outcome };
    });
  }

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
            revision: live.revision,
          })),
          documents,
        };
      });
    },

    /**
     * Pushes a config, conditioned on the revision read before the wave, then reads it back:
     * the push only counts once the region serves it. A 412 means the region moved on since the
     * read: if it now serves exactly this push, an earlier attempt whose answer was lost landed;
     * anything else is someone else's write, final (REGION_CHANGED), never overwritten.
     */
    async pushRegionConfig(input: PushRegionConfigInput): Promise<PushRegionConfigResult> {
      return asActivity(() => push(input));
    },

    /**
     * Puts back what the region served before the rollout, then verifies it. It reads the
     * region first and writes conditioned on that read, always, even when the region still
     * serves the old version: the write takes a new revision, so a forward push still in flight
     * (conditioned on the revision read before the wave) can never land after it. A write that
     * lands between the read and this one is read again and overwritten. A region already back,
     * at another revision than the one read before the push, needs no write. A document named by
     * hash that the config store cannot give is a final CONFIG_UNAVAILABLE at once: the
     * workflow holds the body and asks again with it inline, rather than wait on a database.
     */
    async restoreRegionConfig(input: RestoreRegionConfigInput): Promise<RestoreRegionConfigResult> {
      return asActivity(() => restoreRegion(input));
    },

    /**
     * A rollback's restores in one activity: every region at once (bounded), each restored and
     * verified as {@link restoreRegionConfig} does it, once. One activity instead of one per
     * region spares the workflow task that takes a halt a command per region and the worker
     * an activity per region; a region that fails here is retried alone by the workflow, with
     * `restoreRegionConfig`'s retries. Waits for every region (a region's requests time out
     * within seconds), heartbeating meanwhile.
     */
    async restoreRegionConfigs(input: RestoreRegionConfigsInput): Promise<RestoreRegionConfigsResult> {
      const limit = pLimit(RESTORE_CONCURRENCY);
      let settled = 0;
      const beat = setInterval(() => heartbeat({ settled }), RESTORE_HEARTBEAT_MS);
      try {
        const outcomes = await Promise.all(
          input.restores.map((restore) =>
            limit(async (): Promise<RestoreOutcome> => {
              try {
                return { restored: await restoreRegion(restore) };
              } catch (err) {
                const failure = toActivityFailure(err);
                const type = failure instanceof ApplicationFailure ? (failure.type ?? null) : null;
                return { failed: { type, message: failure instanceof Error ? failure.message : String(failure) } };
              } finally {
                settled += 1;
              }
            }),
          ),
        );
        return { outcomes };
      } finally {
        clearInterval(beat);
      }
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
                atTarget:
                  live.version === input.version && live.configHash === (input.regionConfigHashes?.[region] ?? hash),
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
