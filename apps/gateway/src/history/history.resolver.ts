import { Args, GraphQLISODateTime, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { withoutNulls } from '../graphql-input';
import { RolloutFilterInput } from './dto/rollout-filter.input';
import { HistoryService } from './history.service';
import { RegionChange, RegionVersion, RolloutConnection, RolloutEventConnection } from './models/history.models';
import { RequireRole } from '../auth/roles.decorator';

@Resolver()
export class HistoryResolver {
  constructor(private readonly history: HistoryService) {}

  @Query(() => RolloutConnection, { description: 'Rollouts, newest first, filtered; from the rollouts projection.' })
  @RequireRole('viewer')
  rollouts(
    @Args('filter', { type: () => RolloutFilterInput, nullable: true }) filter: RolloutFilterInput | undefined,
    @Args('first', { type: () => Int, defaultValue: 20 }) first: number,
    @Args('after', { type: () => String, nullable: true }) after: string | undefined,
  ): Promise<RolloutConnection> {
    return this.history.rollouts((withoutNulls(filter ?? {}) as RolloutFilterInput) ?? {}, first, after ?? undefined);
  }

  @Query(() => RolloutEventConnection, { description: 'A rollout’s events, oldest first, paged.' })
  @RequireRole('viewer')
  rolloutEvents(
    @Args('id', { type: () => ID }) id: string,
    @Args('first', { type: () => Int, defaultValue: 100 }) first: number,
    @Args('after', { type: () => String, nullable: true }) after: string | undefined,
  ): Promise<RolloutEventConnection> {
    return this.history.rolloutEvents(id, first, after ?? undefined);
  }

  @Query(() => [RegionVersion], { description: 'What each region of a service serves now, and since when.' })
  @RequireRole('viewer')
  regionVersions(@Args('service') service: string): Promise<RegionVersion[]> {
    return this.history.regionVersions(service);
  }

  @Query(() => [RegionChange], {
    description: 'Every push and rollback that touched a region in [from, to), oldest first (at most 1000).',
  })
  @RequireRole('viewer')
  changes(
    @Args('region') region: string,
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
    @Args('service', { type: () => String, nullable: true }) service: string | undefined,
  ): Promise<RegionChange[]> {
    return this.history.changes(region, from, to, service ?? undefined);
  }
}
