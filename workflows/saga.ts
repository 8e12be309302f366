import { ActivityFailure, ApplicationFailure, condition, log, patched } from '@temporalio/workflow';
import type { RolloutEvent } from '../libs/domain/src/rollout/rollout.events';
import type { RestoreOutcome, RestoreRegionConfigInput, RestoreRegionConfigResult } from './activity-contracts';
import { awaitExit, failedCompensations } from './rollback-exits';
import { failureMessage, rollbackBatch, rollbackPush } from './rollout-activities';
import type { RolloutContext } from './rollout-context';
import type { Compensation } from './run-state';

/** Records that the Temporal workflow itself was cancelled, so the history says who stopped it. */
export async function recordCancellation(ctx: RolloutContext): Promise<void> {
  if (ctx.state.rollout.aborted) return;
  await ctx.emit(
    [{ type: 'RolloutAborted', data: { by: 'temporal', reason: 'the workflow was cancelled in Temporal' } }],
    'temporal',
  );
}

/**
 * Restores every touched region, verifying each: from the `rollback-at-once` patch on, every
 * restore is scheduled at once, newest wave first, so no region (a slow or dead one, or a whole
 * older wave) waits for another; from `parallel-rollback` on, wave by wave, newest first, a
 * wave's regions in parallel; one by one before. A region that cannot be
 * restored after its retries leaves the rollout in ROLLBACK_FAILED, waiting for a person's exit
 * (rollback-exits.ts).
 * Must run in a non-cancellable scope: a rollback that can be cancelled is no guarantee.
 * `beforeEnd` (the halt assessment) is awaited before the final event, so it stays inside the history.
 */
export async function rollback(
  ctx: RolloutContext,
  reason: string,
  beforeEnd: Promise<void> = Promise.resolve(),
): Promise<void> {
  await restoreAll(ctx, reason, beforeEnd, [...ctx.state.compensations].reverse());
}

/**
 * A rollback a previous run handed over in ROLLBACK_FAILED: waits for a person (a retry asked
 * for during the hand-over came with the run state), then retries the failed regions.
 */
export async function resumeFailedRollback(ctx: RolloutContext): Promise<void> {
  const { state } = ctx;
  const reason = state.rollout.stopReason!;
  const pending = await awaitExit(ctx, reason);
  if (pending === null) return;
  await restoreAll(ctx, reason, Promise.resolve(), pending, state.rollout.rollbackAttempt);
}

async function restoreAll(
  ctx: RolloutContext,
  reason: string,
  beforeEnd: Promise<void>,
  pending: Compensation[],
  attempt = 0,
): Promise<void> {
  const { input, state } = ctx;
  // Restores go ahead while their events are still being recorded (PostgreSQL may be down):
  // Temporal's history holds them meanwhile, and the recorder stores them in order once it can.
  const behind = patched('records-behind-restores');
  const note = async (events: RolloutEvent[]): Promise<void> => {
    const recording = ctx.emit(events);
    if (!behind) return recording;
    recording.catch((err: unknown) => log.warn('recording a rollback event failed', { error: String(err) }));
  };
  for (;;) {
    attempt += 1;
    // Taken, then cleared, as the attempt starts: a retry asked for while RollbackFailed is
    // being recorded is never wiped, it starts the next attempt.
    const by = state.retryRequestedBy;
    state.retryRequestedBy = null;
    await note([
      {
        type: 'RollbackStarted',
        data: { reason, regions: pending.map((c) => c.region), attempt, ...(by ? { by } : {}) },
      },
    ]);
    const restoreOne = async (c: Compensation, together?: Promise<RestoreOutcome | null>) => {
      // Taken at the first restore: a retry finds the region ROLLBACK_FAILED, whatever it took.
      c.pushRecorded ??= state.rollout.regions[c.region] !== 'PENDING';
      const pushRecorded = c.pushRecorded;
      try {
        // Restored with every other region, or alone (skipping a config store that just failed it).
        const first = together ? await together : null;
        const restored =
          first && 'restored' in first
            ? first.restored
            : await restore(ctx, c, first?.failed.type !== 'CONFIG_UNAVAILABLE');
        await note([
          ...foundPush(ctx, c, restored, pushRecorded),
          {
            type: 'RegionRolledBack',
            data: {
              region: c.region,
              fromVersion: input.version,
              toVersion: restored.version,
              configHash: restored.configHash,
              outcome: 'RESTORED',
              ...(neverServed(restored, pushRecorded) ? { neverServedNewVersion: true } : {}),
            },
          },
        ]);
      } catch (err) {
        await note([
          {
            type: 'RegionRolledBack',
            data: {
              region: c.region,
              fromVersion: input.version,
              toVersion: c.version,
              configHash: null,
              outcome: 'FAILED',
              error: failureMessage(err),
            },
          },
        ]);
      }
    };
    if (pending.some((c) => c.wave !== undefined) && patched('parallel-rollback')) {
      // Every restore is scheduled at once, newest wave first, in the task that took the halt.
      if (patched('rollback-at-once')) {
        const together = patched('rollback-in-one-activity') ? restoreTogether(ctx, pending) : undefined;
        await Promise.all(
          pending.map((c, i) =>
            restoreOne(
              c,
              together?.then((outcomes) => outcomes?.[i] ?? null),
            ),
          ),
        );
      } else await restoreByWave(pending, restoreOne);
    } else {
      for (const c of pending) await restoreOne(c);
    }
    await beforeEnd;
    // Regions a guarded retry left alone are still failed, as are this attempt's failures.
    const unrestored = failedCompensations(ctx);
    if (unrestored.length === 0) {
      await ctx.emit([
        { type: 'RolloutRolledBack', data: { regions: state.compensations.map((c) => c.region).reverse(), reason } },
      ]);
      return;
    }
    await ctx.emit([{ type: 'RollbackFailed', data: { failedRegions: unrestored.map((c) => c.region), reason } }]);
    const next = await awaitExit(ctx, reason);
    if (next === null) return;
    pending = next;
  }
}

/** Runs between `parallel-rollback` and `rollback-at-once`: how long a wave's restores held up the older waves'. */
const WAVE_GRACE_MS = 5_000;

/**
 * Runs between `parallel-rollback` and `rollback-at-once` (their histories replay through it):
 * restores wave by wave, newest wave first, each wave's regions in parallel. The next older
 * wave starts once the newer one is done, or after WAVE_GRACE_MS while a region of it is still
 * retrying: a dead region delays no other region by more than that.
 */
async function restoreByWave(pending: Compensation[], restoreOne: (c: Compensation) => Promise<void>): Promise<void> {
  const waves: Compensation[][] = [];
  for (const c of pending) {
    const last = waves.at(-1);
    if (last && last[0].wave === c.wave) last.push(c);
    else waves.push([c]);
  }
  const all: Promise<void>[] = [];
  for (const wave of waves) {
    let done = false;
    const restoring = Promise.all(wave.map((c) => restoreOne(c))).then(() => {
      done = true;
    });
    all.push(restoring);
    await condition(() => done, WAVE_GRACE_MS);
  }
  await Promise.all(all);
}

/**
 * Every region's first restore in one activity (`rollback-in-one-activity`): the workflow task
 * that takes the halt schedules one command instead of one per region, and the worker runs one
 * activity. A region it did not restore is then restored alone, with {@link restore}'s
 * retries; so is every region, should the activity itself fail (null).
 */
async function restoreTogether(ctx: RolloutContext, pending: Compensation[]): Promise<RestoreOutcome[] | null> {
  try {
    const { outcomes } = await rollbackBatch.restoreRegionConfigs.executeWithOptions(
      { summary: `rollback ${pending.length} region(s) at once: ${listShort(pending.map((c) => c.region))}` },
      [{ restores: pending.map((c) => restoreTarget(ctx, c)) }],
    );
    return outcomes;
  } catch (err) {
    log.warn('the rollback in one activity failed: every region is restored alone', { error: failureMessage(err) });
    return null;
  }
}

/** A few names and how many more: an activity's summary stays one short line (Temporal caps its size). */
function listShort(names: string[], shown = 5): string {
  const more = names.length - shown;
  return more > 0 ? `${names.slice(0, shown).join(', ')} and ${more} more` : names.join(', ');
}

/** A restore's input: the compensation, and the rollout's own version, so the restore can say whether the region took the change. */
const restoreTarget = (ctx: RolloutContext, c: Compensation): RestoreRegionConfigInput => ({
  ...c,
  rollout: { version: ctx.input.version, configHash: ctx.pushedHash(c.region) },
  change: { rolloutId: ctx.input.rolloutId, actor: ctx.state.retryRequestedBy ?? 'sluice (rollback)' },
});

/**
 * Puts one region back. Lean runs name the document by hash; when the config store cannot
 * give it (CONFIG_UNAVAILABLE, now or, `storeAnswered` false, in the restore just before),
 * the body the run holds goes inline, so a rollback never waits on the database.
 */
async function restore(ctx: RolloutContext, c: Compensation, storeAnswered = true): Promise<RestoreRegionConfigResult> {
  const call = (input: RestoreRegionConfigInput, how = '') =>
    rollbackPush.restoreRegionConfig.executeWithOptions(
      { summary: `rollback ${c.region} → ${c.version ?? 'no config'}${how}` },
      [input],
    );
  const target = restoreTarget(ctx, c);
  if (c.config !== undefined || !c.configHash) return call(target);
  const body = ctx.state.documents[c.configHash];
  if (storeAnswered || body === undefined) {
    try {
      return await call(target);
    } catch (err) {
      if (!configUnavailable(err) || body === undefined) throw err;
    }
  }
  const { configHash: _byHash, ...inline } = target;
  return call({ ...inline, config: body }, ' (inline: the config store is unavailable)');
}

/**
 * A push whose activity failed but which had landed: the restore found the rollout's version
 * on the region. Recorded as a push before the region's restore, so the region counts among
 * those the change reached (affected customers, exposure, changes).
 */
function foundPush(
  ctx: RolloutContext,
  c: Compensation,
  restored: RestoreRegionConfigResult,
  pushRecorded: boolean,
): RolloutEvent[] {
  if (pushRecorded || restored.tookChange !== true) return [];
  const { input, state } = ctx;
  return [
    {
      type: 'RegionConfigPushed',
      data: {
        region: c.region,
        wave: c.wave ?? state.rollout.wave,
        version: input.version,
        previousVersion: c.version,
        configHash: ctx.pushedHash(c.region) ?? '',
        changed: true,
        foundByRestore: true,
      },
    },
  ];
}

/** No push was recorded, and the restore found the region at the revision read before the push. */
function neverServed(restored: RestoreRegionConfigResult, pushRecorded: boolean): boolean {
  return !pushRecorded && restored.untouched === true && restored.tookChange !== true;
}

function configUnavailable(err: unknown): boolean {
  return (
    err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'CONFIG_UNAVAILABLE'
  );
}
