import { Inject } from '@nestjs/common';
import { Args, ID, Resolver, Subscription } from '@nestjs/graphql';
import { ErrorCode, SluiceError, evolve, initialRolloutState, isFinal } from '../../../../libs/domain/src';
import { abortable, type LiveEvents, type PgEventStore } from '../../../../libs/event-store/src';
import { RequireRole } from '../auth/roles.decorator';
import { EVENT_STORE, LIVE_EVENTS } from '../gateway.tokens';
import { RolloutEvent } from '../rollouts/models/rollout.model';
import { toDomainEvent, toEventModel } from '../rollouts/models/rollout-mapper';
import { positionOf } from './cursors';

/**
 * Follows a rollout's stream: first the stored history after `after`, then new events as
 * they are recorded (LISTEN/NOTIFY through the gateway's one LiveEvents hub: no query per
 * follower while nothing happens), ending after the final one. Positions are contiguous, so
 * the hand-off from history to live can neither skip nor repeat an event.
 */
export async function* followRollout(
  live: LiveEvents,
  eventStore: Pick<PgEventStore, 'streamVersion'>,
  rolloutId: string,
  after = 0,
  signal?: AbortSignal,
): AsyncGenerator<RolloutEvent> {
  if ((await eventStore.streamVersion(rolloutId)) === 0) {
    throw new SluiceError(ErrorCode.NotFound, `rollout "${rolloutId}" does not exist`, { rolloutId });
  }
  // Folded from the cursor on, not from the stream's start: each event that finishes a rollout
  // sets a final status whatever came before it.
  let state = initialRolloutState;
  for await (const event of live.follow(rolloutId, after, signal)) {
    yield toEventModel(event);
    state = evolve(state, toDomainEvent(event));
    if (isFinal(state.status)) return;
  }
}

@Resolver()
export class RolloutEventsSubscription {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: PgEventStore,
    @Inject(LIVE_EVENTS) private readonly live: LiveEvents,
  ) {}

  @Subscription(() => RolloutEvent, {
    name: 'rolloutEvents',
    description:
      'Follows a rollout over graphql-ws: stored events after `after` (a cursor from an event or from the `rolloutEvents` query; default: from the start), then live ones, ending after the final event.',
    resolve: (event: RolloutEvent) => event,
  })
  @RequireRole('viewer')
  followRolloutEvents(
    @Args('id', { type: () => ID }) id: string,
    @Args('after', { type: () => String, nullable: true }) after: string | undefined,
  ): AsyncIterableIterator<RolloutEvent> {
    const position = positionOf(after);
    return abortable((signal) => followRollout(this.live, this.eventStore, id, position, signal));
  }
}
