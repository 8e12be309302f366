import { isFinal, type RolloutStatus } from '../../../libs/domain/src';
import { CliError, Exit } from './errors';
import type { GatewayClient } from './gateway-client';
import { foldServed, type ServedEvent } from './rollout-tree';

export const EVENT_FIELDS = 'type data recordedAt position';

const SUBSCRIPTION = `subscription Follow($id: ID!) { rolloutEvents(id: $id) { ${EVENT_FIELDS} } }`;

/** Where waiting ends: final, or ROLLBACK_FAILED, which waits for a person and is a failure to a script. */
export const settled = (status: RolloutStatus) => isFinal(status) || status === 'ROLLBACK_FAILED';

/** How a settled rollout exits: 0 for SUCCEEDED, 1 for every other end. */
export const exitFor = (status: RolloutStatus): Exit => (status === 'SUCCEEDED' ? Exit.Ok : Exit.Failed);

/**
 * Follows a rollout's events over the subscription (stored ones first, then live) until it
 * settles or `timeoutMs` passes. `onChange` sees every event as it comes. Answers the
 * settled status, or null on timeout.
 */
export async function follow(
  client: GatewayClient,
  id: string,
  options: { timeoutMs?: number; onChange?: (events: readonly ServedEvent[]) => void },
): Promise<{ status: RolloutStatus | null; events: ServedEvent[] }> {
  const events: ServedEvent[] = [];
  let status: RolloutStatus | null = null;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    if (options.timeoutMs !== undefined) timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  let stop: (() => void) | undefined;
  const stopped = new Promise<'stopped'>((resolve) => (stop = () => resolve('stopped')));
  const streamed = client.subscribe<{ rolloutEvents: ServedEvent }>(SUBSCRIPTION, { id }, (data) => {
    events.push(data.rolloutEvents);
    options.onChange?.(events);
    const state = foldServed(events);
    if (settled(state.status)) {
      status = state.status;
      return 'stop';
    }
  });
  try {
    const ended = await Promise.race([streamed.then(() => 'ended' as const), timedOut, stopped]);
    if (ended === 'timeout') return { status: null, events };
    if (status === null) {
      // the stream ended without a settled status: read it as stored
      const state = foldServed(events);
      if (!settled(state.status)) {
        throw new CliError('STREAM_ENDED', `the live stream ended while the rollout was ${state.status}`);
      }
      status = state.status;
    }
    return { status, events };
  } finally {
    clearTimeout(timer);
    stop?.();
    // a timed-out stream is left to the process exit
  }
}

/** `30m`, `90s`, `2h`, or a number of seconds, in milliseconds. */
export function parseTimeout(text: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!m) throw new CliError('USAGE', `--timeout ${text}: use e.g. 90s, 30m or 2h`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}
