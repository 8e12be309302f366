import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout, or appended to the file SLUICE_LOG_FILE names. */
export function createLogger(component: string): Logger {
  const options = { level: process.env.LOG_LEVEL ?? 'info', base: { component } };
  const file = process.env.SLUICE_LOG_FILE;
  return file ? pino(options, pino.destination({ dest: file, append: true, sync: true, mkdir: true })) : pino(options);
}
