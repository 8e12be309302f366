import { condition, patched } from '@temporalio/workflow';
import type { RegionServed, RolloutEvent } from '../libs/domain/src/rollout/rollout.events';
import type { RegionConfigRead } from './activity-contracts';
import { ContinueAsNewRequested, historyIsLong, mayHandOver } from './continue-as-new';
import { regionRead } from './rollout-activities';
import type { RolloutContext } from './rollout-context';
import { controlAck, type RefusedRegion, type RetryRollbackAck } from './rollout.messages';
import type { Compensation } from './run-state';

/**
 * The ways out of ROLLBACK_FAILED, each a person's decision: retry (guarded against
 * overwriting a region fixed by hand since), resolve a region by hand, or abandon.
 */

/** The compensations of regions whose restore failed and that nobody resolved, newest first. */
export function failedCompensations(ctx: RolloutContext): Compensation[] {
  const { state } = ctx;
  return [...state.compensations].reverse().filter((c) => state.rollout.regions[c.region] === 'ROLLBACK_FAILED');
}

/**
 * Waits in ROLLBACK_FAILED for a person: a retry, the last failed region resolved, or an
 * abandon. Answers the regions to restore next, or null once the rollout has ended (its final
 * event recorded). May take days: a long history hands over from here (nothing is in flight).
 */
export async function awaitExit(ctx: RolloutContext, reason: string): Promise<Compensation[] | null> {
  const { state } = ctx;
  const waiting = () =>
    state.retryRequestedBy === null &&
    state.rollout.status === 'ROLLBACK_FAILED' &&
    failedCompensations(ctx).length > 0;
  let handOver = true;
  for (;;) {
    await condition(() => !waiting() || (handOver && historyIsLong(ctx)));
    if (!waiting()) break;
    if (mayHandOver()) throw new ContinueAsNewRequested({ wave: state.rollout.wave, step: 'ROLLBACK_RETRY' });
    handOver = false;
  }
  // RolloutAbandoned is recorded by the abandon update itself: stored before the workflow ends.
  if (state.rollout.status === 'ABANDONED') {
    await ctx.recorded();
    return null;
  }
  const failed = failedCompensations(ctx);
  if (failed.length === 0) {
    const resolvedRegions = Object.keys(state.rollout.regions)
      .filter((r) => state.rollout.regions[r] === 'RESOLVED')
      .sort();
    await ctx.emit([
      {
        type: 'RolloutRolledBack',
        data: { regions: state.compensations.map((c) => c.region).reverse(), reason, resolvedRegions },
      },
    ]);
    return null;
  }
  const allowed = state.retryRegions;
  state.retryRegions = null;
  return failed.filter((c) => allowed === null || allowed.includes(c.region));
}

/**
 * The retryRollback update. Each failed region is read first: one that serves neither the
 * version Sluice pushed nor what the restore puts back was changed by someone since (a hotfix)
 * and is left alone (REGION_CHANGED) unless `force`. A region that cannot be read is retried:
 * its restore fails again if it is still down. Runs before the patch retried every region blind.
 */
export async function retryRollback(
  ctx: RolloutContext,
  request: { by: string; force?: boolean },
): Promise<RetryRollbackAck> {
  const { state } = ctx;
  if (!patched('rollback-exits')) {
    state.retryRequestedBy = request.by;
    return controlAck(state.rollout);
  }
  const candidates = failedCompensations(ctx);
  const reads = await Promise.allSettled(
    candidates.map((c) =>
      regionRead.readRegionConfig.executeWithOptions({ summary: `read ${c.region} before retrying its restore` }, [
        { region: c.region, endpoint: c.endpoint },
      ]),
    ),
  );
  // Another retry, a resolve or an abandon may have been accepted while the regions were read.
  if (state.rollout.status !== 'ROLLBACK_FAILED' || state.retryRequestedBy !== null) {
    return { ...controlAck(state.rollout), refused: [] };
  }
  const events: RolloutEvent[] = [];
  const refused: RefusedRegion[] = [];
  const allowed: string[] = [];
  candidates.forEach((c, i) => {
    if (state.rollout.regions[c.region] !== 'ROLLBACK_FAILED') return;
    const read = reads[i];
    const serves = read.status === 'fulfilled' && changedSince(ctx, c, read.value) ? served(read.value) : null;
    if (serves === null) {
      allowed.push(c.region);
    } else if (request.force) {
      events.push({ type: 'RegionRestoreForced', data: { region: c.region, serves, by: request.by } });
      allowed.push(c.region);
    } else {
      events.push({
        type: 'RegionRestoreRefused',
        data: { region: c.region, code: 'REGION_CHANGED', serves, by: request.by },
      });
      refused.push({
        region: c.region,
        code: 'REGION_CHANGED',
        serves,
        message:
          `${c.region} serves ${serves.version ?? 'no config'} (hash ${serves.configHash}), neither ${ctx.input.version} ` +
          `that Sluice pushed nor ${c.version ?? 'no config'} that the restore puts back: it changed since the failed ` +
          'restore. Resolve it (resolveRegion) or retry with force: true to overwrite it',
      });
    }
  });
  if (events.length > 0) await ctx.emit(events, request.by);
  if (allowed.length > 0 && state.rollout.status === 'ROLLBACK_FAILED' && state.retryRequestedBy === null) {
    state.retryRegions = allowed;
    state.retryRequestedBy = request.by;
  }
  return { ...controlAck(state.rollout), refused };
}

function served(read: RegionConfigRead): RegionServed {
  return { version: read.version, configHash: read.configHash };
}

/**
 * Whether a region changed since its restore failed: it serves neither what Sluice pushed
 * (the failed restore left it as it was) nor what the restore puts back (it landed after all).
 * Runs whose documents travel inline know no hashes: they compare versions only.
 */
function changedSince(ctx: RolloutContext, c: Compensation, live: RegionConfigRead): boolean {
  const pushedHash = ctx.pushedHash(c.region);
  const servesPushed = live.version === ctx.input.version && (pushedHash === null || live.configHash === pushedHash);
  const servesRestored =
    live.version === c.version && (c.configHash === undefined || live.configHash === (c.configHash ?? null));
  return !servesPushed && !servesRestored;
}
