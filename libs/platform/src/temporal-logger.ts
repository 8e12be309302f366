import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import type { Logger } from './logger';

const SEVERITY: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** TEMPORAL_SDK_LOG_LEVEL: the SDK's log, and workflows' and activities' through it, from WARN up unless asked for. */
export function temporalSdkLogLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const level = (env.TEMPORAL_SDK_LOG_LEVEL ?? 'WARN').toUpperCase();
  if (!(level in SEVERITY)) {
    throw new Error(
      `TEMPORAL_SDK_LOG_LEVEL=${env.TEMPORAL_SDK_LOG_LEVEL} is not one of ${Object.keys(SEVERITY).join(', ')}`,
    );
  }
  return level as LogLevel;
}

/**
 * The Temporal Runtime's logger, writing into pino: the SDK's own messages (worker state,
 * bundling, core), workflow `log` calls (which reach it through the SDK's logger sink) and
 * activity `log` calls all become JSON lines of the process, with their metadata
 * (`sdkComponent`, `workflowId`, `taskQueue`, …) as fields. Lines below `minimum` are dropped,
 * as the SDK's DefaultLogger drops them.
 */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(
    private readonly pino: Logger,
    private readonly minimum: LogLevel = temporalSdkLogLevel(),
  ) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (SEVERITY[level] < SEVERITY[this.minimum]) return;
    const { error, ...fields } = meta ?? {};
    // pino serializes an Error (message, stack) under `err` only
    this.pino[PINO_LEVEL[level]](error instanceof Error ? { ...fields, err: error } : { ...meta }, message);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }

  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }

  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }

  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }

  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
