import type { LoggerService } from '@nestjs/common';
import type { Logger } from '../../../../libs/platform/src/logger';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Nest's own log (bootstrap, route mapping, exceptions it catches) as pino JSON lines, with
 * Nest's context (`InstanceLoader`, `RoutesResolver`, …) as a field. Nest's `log` level is
 * framework chatter about wiring and goes to debug; its warnings and errors keep their level.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes (message, context) or, for errors, (message, stack, context); the context comes last. */
  private write(level: Level, message: unknown, params: unknown[]): void {
    const isStack = (p: unknown): p is string => typeof p === 'string' && /\n\s+at /.test(p);
    const rest = [...params];
    const last = rest.at(-1);
    const context = typeof last === 'string' && !isStack(last) ? (rest.pop() as string) : undefined;
    const stack = rest.find(isStack);
    const fields: Record<string, unknown> = { context };
    if (message instanceof Error) {
      fields.err = message;
      this.pino[level](fields, message.message);
    } else if (typeof message === 'string') {
      if (stack) fields.stack = stack;
      this.pino[level](fields, message);
    } else {
      this.pino[level]({ ...fields, detail: message }, 'nest');
    }
  }
}
