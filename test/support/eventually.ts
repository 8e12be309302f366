/**
 * Waiting for a state another process reaches a moment later (a workflow's last task, a
 * projection's catch-up, a row the gateway writes after answering): poll it with a bounded
 * deadline instead of asserting on the first read.
 */
export interface WaitOptions<T = unknown> {
  /** What is awaited, for the failure message. */
  what?: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** The part of a value read worth printing when the wait fails (default: all of it). */
  show?: (value: T) => unknown;
}

/**
 * Reads `read` until `done` holds for what it returned, and returns that value; after
 * `timeoutMs` fails naming what it waited for and the last value it read.
 */
export async function readUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { what = 'condition', timeoutMs = 30_000, intervalMs = 200, show = (value) => value }: WaitOptions<T> = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      const seen = value === undefined ? '' : `; last seen ${JSON.stringify(show(value))}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` naming what it waited for. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  options: Omit<WaitOptions, 'show'> = {},
): Promise<T> {
  return (await readUntil(probe, (value) => value !== undefined, options)) as T;
}
