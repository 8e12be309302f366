import { setTimeout as sleep } from 'node:timers/promises';
import type { PgEventStore, RecordedEvent } from '../../libs/event-store/src';

/**
 * The design live delivery replaced, kept as bench:live's reference: each follower polls its
 * stream every 250 ms from the last position it took.
 */
export async function* pollingFollow(
  store: Pick<PgEventStore, 'readStream'>,
  streamId: string,
  after = 0,
  signal?: AbortSignal,
  pollMs = 250,
): AsyncGenerator<RecordedEvent> {
  let position = after;
  while (!signal?.aborted) {
    const events = await store.readStream(streamId, { after: position, limit: 500 });
    for (const event of events) {
      position = event.streamPosition;
      yield event;
    }
    if (events.length === 0) await sleep(pollMs, undefined, { signal }).catch(() => undefined);
  }
}
