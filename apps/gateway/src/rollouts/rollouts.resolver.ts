import { Inject } from '@nestjs/common';
import { withSpan } from '../../../../libs/platform/src/tracing';
import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { PgEventStore } from '../../../../libs/event-store/src';
import { EVENT_STORE } from '../gateway.tokens';
import { Actor, CurrentPrincipal } from '../actor.decorator';
import type { Principal } from '../auth/principal';
import { StartRolloutInput } from './dto/start-rollout.input';
import { ControlResult, HaltAnswer, RolloutLive } from './models/rollout-live.model';
import { PlanPreview, PlanRolloutInput } from './models/plan-preview.model';
import { Rollout, RolloutEvent } from './models/rollout.model';
import { toEventModel } from './models/rollout-mapper';
import { RolloutController } from './rollout-controller.service';
import { RolloutReader } from './rollout-reader';
import { RolloutStarter } from './rollout-starter.service';
import { RequireRole } from '../auth/roles.decorator';
import { FreezeService } from '../freezes/freeze.service';

@Resolver(() => Rollout)
export class RolloutsResolver {
  constructor(
    private readonly reader: RolloutReader,
    private readonly starter: RolloutStarter,
    private readonly controller: RolloutController,
    @Inject(EVENT_STORE) private readonly eventStore: PgEventStore,
    private readonly freezes: FreezeService,
  ) {}

  /** Loaded only when asked for: list queries do not pay for every rollout's history. */
  @ResolveField(() => [RolloutEvent])
  async events(@Parent() rollout: Rollout): Promise<RolloutEvent[]> {
    return rollout.events ?? (await this.eventStore.readStream(rollout.id)).map(toEventModel);
  }

  @Query(() => Rollout, { description: 'A rollout with its status and recorded events; NOT_FOUND for an unknown id.' })
  @RequireRole('viewer')
  rollout(@Args('id', { type: () => ID }) id: string): Promise<Rollout> {
    return this.reader.get(id);
  }

  @Query(() => PlanPreview, {
    description: 'Dry run: the waves, exposure per wave and rule violations. Starts nothing.',
  })
  @RequireRole('viewer')
  planRollout(@Args('input') input: PlanRolloutInput): Promise<PlanPreview> {
    return this.starter.plan(input);
  }

  @Query(() => RolloutLive, { description: 'The live state, asked of the running workflow.' })
  @RequireRole('viewer')
  rolloutLive(@Args('id', { type: () => ID }) id: string): Promise<RolloutLive> {
    return this.controller.live(id);
  }

  @Mutation(() => Rollout, {
    description:
      'Starts rolling a version out to a service, wave by wave. ROLLOUT_IN_PROGRESS if one is running (or waits in ROLLBACK_FAILED), FROZEN while an emergency freeze covers the service.',
  })
  @RequireRole('deployer')
  startRollout(@Args('input') input: StartRolloutInput, @CurrentPrincipal() principal: Principal): Promise<Rollout> {
    // the rollout's span, below the request's: the workflow, then its activities, hang below it
    return withSpan('graphql.startRollout', async () => {
      await this.freezes.refuseIfFrozen(input.service);
      const rollout = await this.starter.start(input, principal);
      // A freeze declared between the check and the start: the new rollout holds before wave 1.
      await this.freezes.holdIfFrozen(input.service);
      return rollout;
    });
  }

  @Mutation(() => ControlResult, {
    description: 'Holds before the next step. INVALID_STATE unless the rollout is moving.',
  })
  @RequireRole('deployer')
  pauseRollout(
    @Args('id', { type: () => ID }) id: string,
    @Args('reason') reason: string,
    @Actor() by: string,
  ): Promise<ControlResult> {
    return this.controller.control(id, { type: 'pause', by, reason });
  }

  @Mutation(() => ControlResult, { description: 'Continues a paused rollout. INVALID_STATE unless it is paused.' })
  @RequireRole('deployer')
  resumeRollout(@Args('id', { type: () => ID }) id: string, @Actor() by: string): Promise<ControlResult> {
    return this.controller.control(id, { type: 'resume', by });
  }

  @Mutation(() => ControlResult, {
    description: 'Approves the wave awaiting approval. FORBIDDEN for the requester; INVALID_STATE for another wave.',
  })
  @RequireRole('approver')
  approveWave(
    @Args('id', { type: () => ID }) id: string,
    @Args('wave', { type: () => Int }) wave: number,
    @Args('comment', { type: () => String, nullable: true }) comment: string | undefined,
    @Actor() approver: string,
  ): Promise<ControlResult> {
    return this.controller.control(id, { type: 'approve', approver, wave, comment: comment ?? undefined });
  }

  @Mutation(() => ControlResult, { description: 'Stops the rollout and rolls back every region it touched.' })
  @RequireRole('deployer')
  abortRollout(
    @Args('id', { type: () => ID }) id: string,
    @Args('reason') reason: string,
    @Actor() by: string,
  ): Promise<ControlResult> {
    return this.controller.control(id, { type: 'abort', by, reason });
  }

  @Mutation(() => HaltAnswer, {
    description:
      'Halts as monitoring would: stop and roll back. Goes straight to Temporal, so it works while PostgreSQL is down. A repeat, or a halt of a rollout that has stopped, answers NO_RUNNING_ROLLOUT; a halt of a rollout in ROLLBACK_FAILED is refused with ROLLBACK_FAILED, naming its exits.',
  })
  @RequireRole('deployer')
  haltRollout(
    @Args('id', { type: () => ID }) id: string,
    @Args('reason') reason: string,
    @Actor() by: string,
  ): Promise<HaltAnswer> {
    return this.controller.halt(id, by, reason);
  }
}
