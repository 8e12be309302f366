/**
 * How `sluice` exits, as `kubectl argo rollouts status` does: scripts and CI branch on these.
 * 0 success (or a rollout that SUCCEEDED); 1 a failure, or a rollout that was rolled back,
 * aborted or failed; 2 a timeout; 3 a usage or authentication error.
 */
export const Exit = { Ok: 0, Failed: 1, Timeout: 2, Usage: 3 } as const;
export type Exit = (typeof Exit)[keyof typeof Exit];

/** Codes that mean "you asked wrongly or are not allowed", not "it went wrong". */
const USAGE_CODES = new Set(['USAGE', 'UNAUTHENTICATED', 'FORBIDDEN', 'NO_CONTEXT', 'LINT_FAILED', 'FILE_UNREADABLE']);

/** An error `sluice` prints as `error CODE: message` (plus details), never as a stack trace. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Lines printed under the message: each violation or failing field. */
    readonly details: string[] = [],
    readonly exit: Exit = USAGE_CODES.has(code) ? Exit.Usage : Exit.Failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
