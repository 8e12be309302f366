import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import pino, { type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';

/**
 * `npm start` shows each process's log as readable lines prefixed by its name. The processes
 * themselves still write JSON (pino), as in production; only this view is pretty.
 */
const colorize = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const prettify = prettyFactory({ colorize, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,component' });
const PALETTE = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m'];
const RESET = '\x1b[0m';
const WIDTH = 10;

let next = 0;

export function prefixFor(name: string): string {
  const label = name.padEnd(WIDTH);
  if (!colorize) return `${label}| `;
  return `${PALETTE[next++ % PALETTE.length]}${label}${RESET}| `;
}

/** One line of a child's output, as a person should read it. */
export function formatLine(line: string): string {
  if (line.startsWith('{')) {
    try {
      return prettify(JSON.parse(line) as object).trimEnd();
    } catch {
      // not JSON after all: shown as it is
    }
  }
  return line;
}

export function showOutput(child: ChildProcess, name: string): void {
  const prefix = prefixFor(name);
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      for (const shown of formatLine(line).split('\n')) process.stdout.write(`${prefix}${shown}\n`);
    });
  }
}

/** `npm start`'s own lines (the Temporal SDK's among them), in the same shape as its children's. */
export function devLogger(): Logger {
  const prefix = prefixFor('sluice');
  return pino(
    { level: process.env.LOG_LEVEL ?? 'info', base: undefined },
    { write: (line: string) => process.stdout.write(`${prefix}${formatLine(line.trimEnd())}\n`) },
  );
}
