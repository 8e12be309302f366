import { ApplicationFailure, condition, log, patched, setHandler } from '@temporalio/workflow';
import { isSluiceError } from '../libs/domain/src/errors';
import { decide, type RolloutCommand } from '../libs/domain/src/rollout/rollout-commands';
import { retryRollback } from './rollback-exits';
import type { RolloutContext } from './rollout-context';
import {
  abandonUpdate,
  abortUpdate,
  approveWaveUpdate,
  controlAck,
  freezeUpdate,
  haltIfAffectedUpdate,
  haltSignal,
  liftFreezeUpdate,
  liveStateQuery,
  pauseUpdate,
  resolveRegionUpdate,
  resumeUpdate,
  retryRollbackUpdate,
  type ControlAck,
  type HaltOutcome,
  type HaltResult,
  type LiveState,
  type RegionHaltRequest,
} from './rollout.messages';

/**
 * Registers the query, the updates and the halt signal. Each update's validator runs the
 * domain's `decide` on the live state, so a refused control leaves no trace in the history.
 */
export function registerControls(ctx: RolloutContext): void {
  const guarded = (command: RolloutCommand) => {
    try {
      decide(command, ctx.state.rollout);
    } catch (err) {
      throw toFailure(err);
    }
  };

  setHandler(liveStateQuery, () => liveState(ctx));
  setHandler(pauseUpdate, (a) => execute(ctx, { type: 'PauseRollout', ...a }), {
    validator: (a) => guarded({ type: 'PauseRollout', ...a }),
  });
  setHandler(resumeUpdate, (a) => execute(ctx, { type: 'ResumeRollout', ...a }), {
    validator: (a) => guarded({ type: 'ResumeRollout', ...a }),
  });
  setHandler(abortUpdate, (a) => execute(ctx, { type: 'AbortRollout', ...a }), {
    validator: (a) => guarded({ type: 'AbortRollout', ...a }),
  });
  setHandler(approveWaveUpdate, (a) => execute(ctx, { type: 'ApproveWave', ...a }), {
    validator: (a) => guarded({ type: 'ApproveWave', ...a }),
  });
  setHandler(retryRollbackUpdate, (a) => retryRollback(ctx, a), {
    validator: (a) => guarded({ type: 'RetryRollback', ...a }),
  });
  setHandler(resolveRegionUpdate, (a) => execute(ctx, { type: 'ResolveRegion', ...a }), {
    validator: (a) => guarded({ type: 'ResolveRegion', ...a }),
  });
  setHandler(abandonUpdate, (a) => execute(ctx, { type: 'AbandonRollout', ...a }), {
    validator: (a) => guarded({ type: 'AbandonRollout', ...a }),
  });
  // Kept whatever the status: a rollback ignores freezes, and a freeze costs a finished rollout nothing.
  setHandler(freezeUpdate, (freeze) => {
    ctx.state.freezes = [...ctx.state.freezes.filter((f) => f.id !== freeze.id), freeze];
    return { ...controlAck(ctx.state.rollout), rolloutId: ctx.input.rolloutId };
  });
  setHandler(liftFreezeUpdate, ({ id }) => {
    ctx.state.freezes = ctx.state.freezes.filter((f) => f.id !== id);
    return { ...controlAck(ctx.state.rollout), rolloutId: ctx.input.rolloutId };
  });
  setHandler(haltIfAffectedUpdate, (halt) => haltIfAffected(ctx, halt), {
    validator: (halt) => validateHaltIfAffected(ctx, halt),
  });
  // Monitoring may deliver the same halt twice, or after the rollout stopped: both are no-ops.
  setHandler(haltSignal, async (halt) => {
    try {
      await execute(ctx, { type: 'HaltRollout', ...halt });
    } catch (err) {
      log.info('halt ignored', { reason: halt.reason, error: String(err) });
    }
  });
}

/** Domain refusals leave the workflow as ApplicationFailures whose type is the stable code. */
export function toFailure(err: unknown): unknown {
  if (!isSluiceError(err)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: err.code,
    nonRetryable: true,
    details: [err.details],
  });
}

function liveState(ctx: RolloutContext): LiveState {
  const { input } = ctx;
  return {
    ...ctx.state.rollout,
    rolloutId: input.rolloutId,
    service: input.service,
    version: input.version,
    requestedBy: input.requestedBy,
  };
}

async function execute(
  ctx: RolloutContext,
  command: Exclude<RolloutCommand, { type: 'RetryRollback' }>,
): Promise<ControlAck> {
  const { state } = ctx;
  const events = decide(command, state.rollout);
  if (command.type === 'HaltRollout') state.haltedAt = new Date().toISOString();
  await ctx.emit(events, command.type === 'ApproveWave' ? command.approver : command.by);
  return controlAck(state.rollout);
}

/**
 * The haltIfAffected update's validator: refuses (NOT_AFFECTED, NO_RUNNING_ROLLOUT, STALE) an
 * alert this rollout need not act on. A refused update leaves no trace in the workflow's
 * history, so a storm of unrelated alerts does not grow it.
 *
 * An alert that began before this rollout was requested belongs to an earlier change unless
 * it is still firing and is about a region this rollout touched: it halts only if monitoring
 * has said it fires since the rollout began (`lastSeenAt`) and it names a touched region
 * (STALE otherwise; NOT_AFFECTED first when the region is one the rollout has not touched).
 */
function validateHaltIfAffected(ctx: RolloutContext, halt: RegionHaltRequest): void {
  const { region, startsAt, lastSeenAt, ...request } = halt;
  const rollout = ctx.state.rollout;
  const refuse = (type: Exclude<HaltOutcome, 'HALTED' | 'UNMATCHED'>, message: string) => {
    throw ApplicationFailure.create({
      type,
      message,
      nonRetryable: true,
      details: [{ rolloutId: ctx.input.rolloutId }],
    });
  };
  // Touched from the moment its push starts (its compensation is registered first): a region
  // may serve the new config well before the wave's pushes have all settled.
  const touched =
    region !== undefined &&
    ((rollout.regions[region] ?? 'PENDING') !== 'PENDING' || ctx.state.compensations.some((c) => c.region === region));
  if (region !== undefined && !touched) refuse('NOT_AFFECTED', `the rollout has not touched ${region}`);
  const began = Date.parse(ctx.input.requestedAt);
  if (startsAt !== undefined && Date.parse(startsAt) < began) {
    const why =
      lastSeenAt === undefined || Date.parse(lastSeenAt) < began
        ? 'has not been seen firing since'
        : region === undefined
          ? 'names no region'
          : undefined;
    if (why)
      refuse('STALE', `the alert began at ${startsAt}, before this rollout (${ctx.input.requestedAt}), and ${why}`);
  }
  try {
    decide({ type: 'HaltRollout', ...request }, rollout);
  } catch (err) {
    if (!isSluiceError(err)) throw err;
    refuse('NO_RUNNING_ROLLOUT', err.message);
  }
}

/** How long a halt's answer waits for PostgreSQL to store it; Temporal's history has it already. */
const HALT_RECORD_WAIT = '3 seconds';

/**
 * The haltIfAffected update, once validated: halts, and answers when the halt is recorded, or
 * after HALT_RECORD_WAIT with `recorded: false` while PostgreSQL is away. The rollback does
 * not wait for the database either, so a halt lands through an outage.
 */
async function haltIfAffected(ctx: RolloutContext, halt: RegionHaltRequest): Promise<HaltResult> {
  const { region: _region, startsAt: _startsAt, lastSeenAt: _lastSeenAt, ...request } = halt;
  if (!patched('halt-answer-bounded')) {
    await execute(ctx, { type: 'HaltRollout', ...request });
    return { outcome: 'HALTED', rolloutId: ctx.input.rolloutId };
  }
  let recorded = false;
  let failure: { error: unknown } | undefined;
  execute(ctx, { type: 'HaltRollout', ...request }).then(
    () => (recorded = true),
    (error: unknown) => (failure = { error }),
  );
  await condition(() => recorded || failure !== undefined, HALT_RECORD_WAIT);
  if (failure) throw failure.error;
  return { outcome: 'HALTED', rolloutId: ctx.input.rolloutId, recorded };
}
