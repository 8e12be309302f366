import { allHandlersFinished, condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import type { RolloutContext } from './rollout-context';
import type { ResumePoint, RolloutWorkflowInput } from './rollout.types';

/**
 * Well below Temporal's warning at 10,240 events (and its hard stop at 51,200): a run hands
 * over long before either, and each run stays small enough to replay quickly.
 */
export const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 4_000;

/** Unwinds the forward path to the workflow function, which continues as new from `at`. */
export class ContinueAsNewRequested extends Error {
  override name = 'ContinueAsNewRequested';
  constructor(readonly at: ResumePoint) {
    super(`continue as new at wave ${at.wave} (${at.step})`);
  }
}

/** Whether this run's history asks for a hand-over. Pure: safe inside a condition. */
export function historyIsLong(ctx: RolloutContext): boolean {
  const info = workflowInfo();
  const limit = ctx.input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
  return info.continueAsNewSuggested || info.historyLength >= limit;
}

/**
 * A safe point: nothing of a push batch or a rollback step is in flight. Hands over when the
 * history is long. Runs started before continue-as-new existed keep replaying as they ran:
 * the patch is asked for only here, so their histories never meet it.
 */
export function safePoint(ctx: RolloutContext, at: ResumePoint): void {
  if (!ctx.stopped && historyIsLong(ctx) && mayHandOver()) throw new ContinueAsNewRequested(at);
}

/** Whether this run may continue as new (always, unless it replays a history from before). */
export function mayHandOver(): boolean {
  return patched('continue-as-new');
}

/**
 * Hands the rollout to a new run: every event recorded, every signal and update handler
 * finished (so no control or halt sent during the hand-over is lost), then the run state
 * goes over whole. Returns only when a control stopped the rollout meanwhile: the rollback
 * then runs here.
 */
export async function handOver(ctx: RolloutContext, at: ResumePoint): Promise<void> {
  await ctx.recorded();
  await condition(allHandlersFinished);
  await ctx.recorded();
  // A rollback waiting for retryRollback was stopped long ago; it hands over all the same.
  if (ctx.stopped && at.step !== 'ROLLBACK_RETRY') return;
  const runs = (ctx.input.resume?.runs ?? 0) + 1;
  const { configHash } = ctx.state;
  // Once stored, the document goes on by hash only: no run after the first carries its body.
  const input = configHash ? { ...ctx.input, config: undefined, configHash } : ctx.input;
  await continueAsNew<(input: RolloutWorkflowInput) => Promise<unknown>>({
    ...input,
    resume: { run: ctx.state, at, runs },
  });
}
