import { condition } from '@temporalio/workflow';
import { failureMessage, rollbackPush } from './rollout-activities';
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
 * Restores every touched region, newest push first, verifying each. A region that cannot be
 * restored after its retries leaves the rollout in ROLLBACK_FAILED, waiting for retryRollback.
 * Must run in a non-cancellable scope: a rollback that can be cancelled is no guarantee.
 * `beforeEnd` (the halt assessment) is awaited before the final event, so it stays inside the history.
 */
export async function rollback(
  ctx: RolloutContext,
  reason: string,
  beforeEnd: Promise<void> = Promise.resolve(),
): Promise<void> {
  const { input, state } = ctx;
  let pending = [...state.compensations].reverse();
  let attempt = 0;
  for (;;) {
    attempt += 1;
    await ctx.emit([
      {
        type: 'RollbackStarted',
        data: {
          reason,
          regions: pending.map((c) => c.region),
          attempt,
          ...(state.retryRequestedBy ? { by: state.retryRequestedBy } : {}),
        },
      },
    ]);
    const failed: Compensation[] = [];
    for (const c of pending) {
      try {
        const restored = await rollbackPush.restoreRegionConfig.executeWithOptions(
          { summary: `rollback ${c.region} → ${c.version ?? 'no config'}` },
          [c],
        );
        await ctx.emit([
          {
            type: 'RegionRolledBack',
            data: {
              region: c.region,
              fromVersion: input.version,
              toVersion: restored.version,
              configHash: restored.configHash,
              outcome: 'RESTORED',
            },
          },
        ]);
      } catch (err) {
        failed.push(c);
        await ctx.emit([
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
    }
    await beforeEnd;
    if (failed.length === 0) {
      await ctx.emit([
        { type: 'RolloutRolledBack', data: { regions: state.compensations.map((c) => c.region).reverse(), reason } },
      ]);
      return;
    }
    await ctx.emit([{ type: 'RollbackFailed', data: { failedRegions: failed.map((c) => c.region), reason } }]);
    state.retryRequestedBy = null;
    await condition(() => state.retryRequestedBy !== null);
    pending = failed;
  }
}
