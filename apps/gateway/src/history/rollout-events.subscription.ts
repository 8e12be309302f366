import { Inject } from '@nestjs/common';
import { Args, ID, Int, Resolver, Subscription } from '@nestjs/graphql';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, SluiceError, evolve, initialRolloutState, isFinal } from '../../../../libs/domain/src';
import type { PgEventStore } from '../../../../libs/event-store/src';
import { RequireRole } from '../auth/roles.decorator';
import { EVENT_STORE } from '../gateway.tokens';
import { RolloutEvent } from '../rollouts/models/rollout.model';
import { toDomainEvent, toEventModel } from '../rollouts/models/rollout-mapper';

export const FOLLOW_POLL_MS = 250;

/**
 * Follows a rollout's stream: first the stored history after `after`, then new events as
 * they are recorded, ending after the final one. The cursor is the stream position, which is
 * contiguous, so the hand-off from history to live can neither skip nor repeat an event.
 */
export async function* followStream(
  eventStore: PgEventStore,
  rolloutId: string,
  after = 0,
  pollMs = FOLLOW_POLL_MS,
): AsyncGenerator<RolloutEvent> {
  let position = after;
  let checkedExists = false;
  // Folded from the cursor on, not from the stream's start: each event that finishes a rollout
  // sets a final status whatever came before it.
  let state = initialRolloutState;
  for (;;) {
    const events = await eventStore.readStream(rolloutId, { after: position, limit: 500 });
    if (!checkedExists && events.length === 0 && position === 0) {
      throw new SluiceError(ErrorCode.NotFound, `rollout "${rolloutId}" does not exist`, { rolloutId });
    }
    checkedExists = true;
    for (const event of events) {
      position = event.streamPosition;
      yield toEventModel(event);
      state = evolve(state, toDomainEvent(event));
      if (isFinal(state.status)) return;
    }
    if (events.length === 0) await sleep(pollMs);
  }
}

@Resolver()
export class RolloutEventsSubscription {
  constructor(@Inject(EVENT_STORE) private readonly eventStore: PgEventStore) {}

  @Subscription(() => RolloutEvent, {
    name: 'rolloutEvents',
    description:
      'Follows a rollout over graphql-ws: stored events after `after` (a stream position; default: from the start), then live ones, ending after the final event.',
    resolve: (event: RolloutEvent) => event,
  })
  @RequireRole('viewer')
  followRolloutEvents(
    @Args('id', { type: () => ID }) id: string,
    @Args('after', { type: () => Int, nullable: true }) after: number | undefined,
  ): AsyncGenerator<RolloutEvent> {
    return followStream(this.eventStore, id, after ?? 0);
  }
}
