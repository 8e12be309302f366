import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import { StartupError } from './startup-error';

export type { Logger };

/** The active span's ids, so a log line and its trace find each other; nothing outside a span. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId };
}

/**
 * JSON lines on stdout (or stderr when `fd` says so), or appended to the file SLUICE_LOG_FILE
 * names; trace ids on lines logged in a span.
 */
export function createLogger(component: string, fd: 1 | 2 = 1): Logger {
  const options = { level: process.env.LOG_LEVEL ?? 'info', base: { component }, mixin: traceFields };
  const file = process.env.SLUICE_LOG_FILE;
  if (file) return pino(options, pino.destination({ dest: file, append: true, sync: true, mkdir: true }));
  return fd === 2 ? pino(options, pino.destination(2)) : pino(options);
}

/**
 * The end of a process that could not start or run on: one JSON line at level fatal whose
 * message a person can act on (the stack is in `err`), then exit code 1.
 */
export function exitOnFatal(log: Logger, what: string): (err: unknown) => never {
  return (err) => {
    const message = err instanceof Error ? err.message : String(err);
    log.fatal({ err }, `${what}: ${err instanceof StartupError ? `${message} [${err.code}]` : message}`);
    process.exit(1);
  };
}

/**
 * An error nobody caught ends the process as Node would (exit code 1), but as one fatal JSON
 * line instead of a text stack on stderr.
 */
export function exitOnUncaught(log: Logger): void {
  const fatal = exitOnFatal(log, 'uncaught error');
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}
