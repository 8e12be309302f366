import { condition } from '@temporalio/workflow';
import type { Wave } from '../libs/domain/src/plan/rollout-plan';
import type { RegionRef } from './activity-contracts';
import { bake } from './bake';
import { failureMessage, regionPush, regionRead } from './rollout-activities';
import { StopRollout, type RolloutContext } from './rollout-context';

/** Holds while paused; unwinds when the rollout was stopped. */
export async function checkpoint(ctx: RolloutContext): Promise<void> {
  await condition(() => ctx.state.rollout.status !== 'PAUSED' || ctx.stopped);
  ctx.throwIfStopped();
}

/** One wave: register each region's compensation, push, verify, bake, and wait for approval if asked. */
export async function runWave(ctx: RolloutContext, wave: Wave): Promise<void> {
  await checkpoint(ctx);
  const { input } = ctx;
  await ctx.emit([{ type: 'WaveStarted', data: { wave: wave.index, regions: wave.regions } }]);
  const endpoints = new Map(input.regions.map((r) => [r.name, r.endpoint]));
  const targets: RegionRef[] = wave.regions.map((region) => ({ region, endpoint: endpoints.get(region)! }));

  let before;
  try {
    before = await Promise.all(
      targets.map((t) => regionRead.readRegionConfig.executeWithOptions({ summary: `read ${t.region}` }, [t])),
    );
  } catch (err) {
    throw new StopRollout(`reading wave ${wave.index} before the push failed: ${failureMessage(err)}`);
  }
  // Each compensation is registered before the push it undoes, so a push that fails halfway
  // (or whose answer is lost) is still rolled back.
  before.forEach((live, i) =>
    ctx.state.compensations.push({ ...targets[i], version: live.version, config: live.config }),
  );
  ctx.throwIfStopped();

  const results = await Promise.allSettled(
    targets.map((t) =>
      regionPush.pushRegionConfig.executeWithOptions({ summary: `push ${input.version} → ${t.region}` }, [
        { ...t, version: input.version, config: input.config },
      ]),
    ),
  );
  const pushed = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (pushed.length > 0) {
    await ctx.emit(
      pushed.map((p) => ({
        type: 'RegionConfigPushed',
        data: {
          region: p.region,
          wave: wave.index,
          version: p.version,
          previousVersion: p.previousVersion,
          configHash: p.configHash,
          changed: p.changed,
        },
      })),
    );
    await ctx.emit(
      pushed.map((p) => ({
        type: 'RegionConfigVerified',
        data: { region: p.region, wave: wave.index, version: p.version, configHash: p.configHash },
      })),
    );
  }
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) {
    const reason = (results[failed] as PromiseRejectedResult).reason;
    throw new StopRollout(`push of ${input.version} to ${targets[failed].region} failed: ${failureMessage(reason)}`);
  }

  await bake(ctx, wave, targets);
  if (wave.requiresApproval) await awaitApproval(ctx, wave);
  await ctx.emit([{ type: 'WaveCompleted', data: { wave: wave.index } }]);
}

async function awaitApproval(ctx: RolloutContext, wave: Wave): Promise<void> {
  await ctx.emit([{ type: 'ApprovalRequested', data: { wave: wave.index } }]);
  const approved = () => ctx.state.rollout.actions.some((a) => a.action === 'APPROVED' && a.wave === wave.index);
  await condition(() => approved() || ctx.stopped);
  if (!approved()) ctx.throwIfStopped();
}
