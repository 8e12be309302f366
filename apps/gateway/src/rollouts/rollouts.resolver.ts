import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { StartRolloutInput } from './dto/start-rollout.input';
import { Rollout } from './models/rollout.model';
import { RolloutService } from './rollout.service';

/** Until authentication lands, every request acts as this principal. */
const ANONYMOUS = 'anonymous';

@Resolver(() => Rollout)
export class RolloutsResolver {
  constructor(private readonly rollouts: RolloutService) {}

  @Query(() => Rollout, { description: 'A rollout with its status and recorded events; NOT_FOUND for an unknown id.' })
  rollout(@Args('id', { type: () => ID }) id: string): Promise<Rollout> {
    return this.rollouts.get(id);
  }

  @Mutation(() => Rollout, {
    description: 'Starts rolling a version out to every region of a service. ROLLOUT_IN_PROGRESS if one is running.',
  })
  startRollout(@Args('input') input: StartRolloutInput): Promise<Rollout> {
    return this.rollouts.start(input, ANONYMOUS);
  }
}
