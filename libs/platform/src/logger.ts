import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(component: string): Logger {
  return pino({ level: process.env.LOG_LEVEL ?? 'info', base: { component } });
}
