import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';

/**
 * What an error from a Temporal call means for Sluice; the one place that reads them.
 * - `refused`: the workflow refused an update (its validator or handler threw an
 *   ApplicationFailure); `code` is the stable code it chose, `details` its first detail.
 * - `closed`: no such workflow, or it has finished: it takes no more messages.
 * - `unknown-update`: the workflow was started by a worker that predates the update.
 * - `undefined`: anything else (Temporal down, a timeout): the caller's to handle.
 */
export type TemporalAnswer =
  | { kind: 'refused'; code: string; message: string; details: Record<string, unknown> }
  | { kind: 'closed' }
  | { kind: 'unknown-update' };

export function interpretTemporalError(err: unknown, updateName?: string): TemporalAnswer | undefined {
  const messages = causeMessages(err);
  // a workflow from before the update rejects it as one it has no handler for
  if (updateName && messages.includes(updateName)) return { kind: 'unknown-update' };
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const { cause } = err;
    return {
      kind: 'refused',
      code: cause.type ?? 'INTERNAL',
      message: cause.message,
      details: (cause.details?.[0] ?? {}) as Record<string, unknown>,
    };
  }
  if (err instanceof WorkflowNotFoundError || /already completed/i.test(messages)) return { kind: 'closed' };
  return undefined;
}

/** The messages of an error and of its causes, for recognising a failure by what it says. */
function causeMessages(err: unknown): string {
  const messages: string[] = [];
  for (
    let e = err as { message?: unknown; cause?: unknown } | undefined, i = 0;
    e && i < 5;
    e = e.cause as typeof e, i++
  ) {
    messages.push(String(e.message));
  }
  return messages.join(' / ');
}
