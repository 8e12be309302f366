/**
 * A reason a local process could not start that a person can act on: one line that names
 * the cause and the fix. `npm start`, the test stack and the tools print its message alone,
 * never a stack trace.
 */
export type StartupErrorCode =
  | 'PORT_IN_USE'
  | 'TEMPORAL_ALREADY_RUNNING'
  | 'POSTGRES_FAILED'
  | 'POSTGRES_LOCKED'
  | 'POSTGRES_NO_USER'
  | 'NODE_UNSUPPORTED'
  | 'MONITORING_FAILED'
  | 'START_FAILED';

export class StartupError extends Error {
  constructor(
    readonly code: StartupErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/** The one line to print for any error raised while starting: its message, never its stack. */
export function startupFailureLine(err: unknown): string {
  if (err instanceof StartupError) return `${err.message} [${err.code}]`;
  const message = err instanceof Error ? err.message : String(err);
  return `${message.split('\n')[0]} (LOG_LEVEL=debug shows the details)`;
}
