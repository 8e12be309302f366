import { CancellationScope, condition, isCancellation, patched } from '@temporalio/workflow';
import type { Wave } from '../libs/domain/src/plan/rollout-plan';
import type { RolloutEvent } from '../libs/domain/src/rollout/rollout.events';
import type { ChangeContext, PushRegionConfigResult, RegionRef } from './activity-contracts';
import { bake } from './bake';
import { baselineRegions } from './canary-judging';
import { historyIsLong, safePoint } from './continue-as-new';
import { holdWhileFrozen } from './freeze-hold';
import { failureMessage, regionPush, regionRead } from './rollout-activities';
import { StopRollout, type RolloutContext } from './rollout-context';
import type { ResumePoint } from './rollout.types';
import type { Compensation } from './run-state';

/**
 * Holds while paused; unwinds when the rollout was stopped. `watched`, the wave before the
 * hold, keeps its gates running while paused (from the `gates-watch-waits` patch on): a
 * region that degrades meanwhile stops the rollout. A long pause hands over at `next`.
 */
export async function checkpoint(ctx: RolloutContext, watched?: Wave, next?: ResumePoint): Promise<void> {
  const resumed = () => ctx.state.rollout.status !== 'PAUSED' || ctx.stopped;
  const targets = watched && targetsOf(ctx, watched);
  if (watched && targets && next && !resumed() && watches(ctx, targets) && patched('gates-watch-waits')) {
    await bake(ctx, watched, targets, undefined, { done: resumed, at: next });
  }
  await condition(resumed);
  ctx.throwIfStopped();
}

/** Whether a wave has gates to watch: per-region ones, or a canary judge (which needs unchanged regions). */
function watches(ctx: RolloutContext, targets: RegionRef[]): boolean {
  const { gates } = ctx.input;
  return (
    gates.some((g) => g.kind !== 'canary') ||
    (gates.some((g) => g.kind === 'canary') && baselineRegions(ctx, targets).length > 0)
  );
}

/** The wave before `wave` in the plan, if any: the one a pause before `wave` watches. */
function waveBefore(ctx: RolloutContext, wave: Wave): Wave | undefined {
  return ctx.state.rollout.plan?.waves.find((w) => w.index === wave.index - 1);
}

function targetsOf(ctx: RolloutContext, wave: Wave): RegionRef[] {
  const endpoints = new Map(ctx.input.regions.map((r) => [r.name, r.endpoint]));
  return wave.regions.map((region) => ({ region, endpoint: endpoints.get(region)! }));
}

/** One wave: register each region's compensation, push, verify, bake, and wait for approval if asked. */
export async function runWave(ctx: RolloutContext, wave: Wave): Promise<void> {
  const start: ResumePoint = { wave: wave.index, step: 'START' };
  await checkpoint(ctx, waveBefore(ctx, wave), start);
  // A pause taken while held still holds once the freeze ends.
  if (await holdWhileFrozen(ctx, wave)) await checkpoint(ctx, waveBefore(ctx, wave), start);
  const { input } = ctx;
  await ctx.advance([{ type: 'WaveStarted', data: { wave: wave.index, regions: wave.regions } }]);
  const targets = targetsOf(ctx, wave);

  let compensations: Compensation[];
  try {
    compensations = await readBeforePush(ctx, wave, targets);
  } catch (err) {
    // A cancellation from Temporal stays one: the rollout then records who stopped it.
    if (isCancellation(err)) throw err;
    throw new StopRollout(`reading wave ${wave.index} before the push failed: ${failureMessage(err)}`);
  }
  // Each compensation is registered before the push it undoes, so a push that fails halfway
  // (or whose answer is lost) is still rolled back.
  ctx.state.compensations.push(...compensations);
  ctx.throwIfStopped();

  const config = await ctx.configRef();
  ctx.state.pushesStartedAt = { ...ctx.state.pushesStartedAt, [wave.index]: Date.now() };
  // From this patch on, each region's push is recorded as it settles, so its exposure starts at
  // its own push, not at the wave's slowest. Its record is not waited for here (PostgreSQL may
  // be down): the recorder keeps the order, and the wave waits for them below, as a halt allows.
  const perRegion = patched('push-events-per-region');
  const recordings: Promise<void>[] = [];
  // Not cancelled halfway: a push that lands after its cancellation would go unrecorded. A
  // cancellation from Temporal takes effect once the batch is done (and rolls it back).
  const results = await CancellationScope.nonCancellable(() =>
    Promise.allSettled(
      targets.map(async (t, i) => {
        const pushed = await regionPush.pushRegionConfig.executeWithOptions(
          { summary: `push ${input.version} → ${t.region}` },
          [
            {
              ...t,
              version: input.version,
              ...conditionOf(compensations[i]),
              ...ctx.regionConfigRef(t.region, config),
              change: changeOf(input),
            },
          ],
        );
        if (perRegion) {
          const recording = ctx.emit(pushEvents(wave.index, [pushed]));
          recording.catch(() => undefined); // awaited below, once the batch has settled
          recordings.push(recording);
        }
        return pushed;
      }),
    ),
  );
  const pushed = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (perRegion) {
    if (recordings.length > 0) await ctx.advanceWith(Promise.all(recordings).then(() => undefined));
  } else if (pushed.length > 0) {
    const events = pushEvents(wave.index, pushed);
    await ctx.advance(events.filter((e) => e.type === 'RegionConfigPushed'));
    await ctx.advance(events.filter((e) => e.type === 'RegionConfigVerified'));
  }
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) {
    const reason = (results[failed] as PromiseRejectedResult).reason;
    throw new StopRollout(`push of ${input.version} to ${targets[failed].region} failed: ${failureMessage(reason)}`);
  }

  await finishWave(ctx, wave, targets);
}

/** The rollout and its requester, as git commit trailers name them. */
const changeOf = (input: { rolloutId: string; requestedBy: string }): ChangeContext => ({
  rolloutId: input.rolloutId,
  actor: input.requestedBy,
});

/** A push lands only on the revision read before the wave (compensations of older runs have none). */
function conditionOf(c: Compensation): { ifRevision?: number; previousVersion: string | null } {
  return c.revision === undefined
    ? { previousVersion: c.version }
    : { ifRevision: c.revision, previousVersion: c.version };
}

/** Each push's RegionConfigPushed, then each one's RegionConfigVerified (the push activity read it back). */
function pushEvents(wave: number, pushed: PushRegionConfigResult[]): RolloutEvent[] {
  return [
    ...pushed.map((p): RolloutEvent => ({
      type: 'RegionConfigPushed',
      data: {
        region: p.region,
        wave,
        version: p.version,
        previousVersion: p.previousVersion,
        configHash: p.configHash,
        changed: p.changed,
      },
    })),
    ...pushed.map((p): RolloutEvent => ({
      type: 'RegionConfigVerified',
      data: { region: p.region, wave, version: p.version, configHash: p.configHash },
    })),
  ];
}

/**
 * What each region serves before the push. Lean runs read the wave at once and keep each
 * distinct previous document once, by hash; older runs read region by region, inline.
 */
async function readBeforePush(ctx: RolloutContext, wave: Wave, targets: RegionRef[]): Promise<Compensation[]> {
  if (!ctx.lean) {
    const before = await Promise.all(
      targets.map((t) => regionRead.readRegionConfig.executeWithOptions({ summary: `read ${t.region}` }, [t])),
    );
    return before.map((live, i) => ({
      ...targets[i],
      version: live.version,
      config: live.config,
      ...(live.revision === undefined ? {} : { revision: live.revision }),
    }));
  }
  const { documents } = ctx.state;
  const read = await regionRead.readRegionConfigs.executeWithOptions(
    { summary: `read the ${targets.length} regions of wave ${wave.index}` },
    [{ regions: targets, knownHashes: Object.keys(documents).sort() }],
  );
  Object.assign(documents, read.documents);
  return read.regions.map((live, i) => ({
    ...targets[i],
    wave: wave.index,
    version: live.version,
    configHash: live.configHash,
    ...(live.revision === undefined ? {} : { revision: live.revision }),
  }));
}

/** The rest of a wave a previous run handed over: its pushes are done, the bake or the approval is not. */
export async function resumeWave(ctx: RolloutContext, wave: Wave, at: ResumePoint): Promise<void> {
  await finishWave(ctx, wave, targetsOf(ctx, wave), at);
}

async function finishWave(ctx: RolloutContext, wave: Wave, targets: RegionRef[], at?: ResumePoint): Promise<void> {
  if (at?.step !== 'APPROVAL') await bake(ctx, wave, targets, at?.bakeDeadline);
  if (wave.requiresApproval) await awaitApproval(ctx, wave, targets, at?.step === 'APPROVAL');
  await ctx.advance([{ type: 'WaveCompleted', data: { wave: wave.index } }]);
}

/**
 * Waits for the wave's approval. From the `gates-watch-waits` patch on, the wave's gates keep
 * watching meanwhile: a canary that degrades while a person decides stops the rollout.
 */
async function awaitApproval(ctx: RolloutContext, wave: Wave, targets: RegionRef[], requested = false) {
  if (!requested) await ctx.advance([{ type: 'ApprovalRequested', data: { wave: wave.index } }]);
  const approved = () => ctx.state.rollout.actions.some((a) => a.action === 'APPROVED' && a.wave === wave.index);
  if (watches(ctx, targets) && !approved() && patched('gates-watch-waits')) {
    const at: ResumePoint = { wave: wave.index, step: 'APPROVAL' };
    await bake(ctx, wave, targets, undefined, { done: () => approved() || ctx.stopped, at });
  }
  // A wait for approval may last days; a long history hands it over once, from here.
  let mayHandOver = true;
  for (;;) {
    await condition(() => approved() || ctx.stopped || (mayHandOver && historyIsLong(ctx)));
    if (approved()) return;
    ctx.throwIfStopped();
    safePoint(ctx, { wave: wave.index, step: 'APPROVAL' });
    mayHandOver = false;
  }
}
