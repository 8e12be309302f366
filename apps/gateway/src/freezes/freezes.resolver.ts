import { Args, GraphQLISODateTime, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Actor } from '../actor.decorator';
import { RequireRole } from '../auth/roles.decorator';
import type { StoredFreeze } from './freeze.repository';
import { FreezeService, type FreezeDelivery } from './freeze.service';
import { FreezeModel, FreezeResult } from './models/freeze.model';

const toModel = (f: StoredFreeze): FreezeModel => ({
  ...f,
  declaredAt: new Date(f.declaredAt),
  until: f.until === null ? null : new Date(f.until),
  liftedAt: f.liftedAt === null ? null : new Date(f.liftedAt),
});
const toResult = (d: FreezeDelivery): FreezeResult => ({ ...d, freeze: toModel(d.freeze) });

@Resolver(() => FreezeModel)
export class FreezesResolver {
  constructor(private readonly service: FreezeService) {}

  @Query(() => [FreezeModel], { description: 'Emergency freezes in force (with includeLifted, the 200 most recent).' })
  @RequireRole('viewer')
  async freezes(
    @Args('includeLifted', { type: () => Boolean, defaultValue: false }) includeLifted: boolean,
  ): Promise<FreezeModel[]> {
    return (await this.service.list(includeLifted)).map(toModel);
  }

  @Mutation(() => FreezeResult, {
    description:
      'Declares an emergency freeze of a service (of every service when none is named): its running rollouts hold before their next push, startRollout answers FROZEN. Rollbacks are never held.',
  })
  @RequireRole('admin')
  async declareFreeze(
    @Args('service', { type: () => String, nullable: true }) service: string | null | undefined,
    @Args('reason') reason: string,
    @Args('until', { type: () => GraphQLISODateTime, nullable: true }) until: Date | null | undefined,
    @Actor() by: string,
  ): Promise<FreezeResult> {
    return toResult(await this.service.declare({ service: service ?? null, reason, until: until ?? null, by }));
  }

  @Mutation(() => FreezeResult, {
    description:
      'Lifts an emergency freeze: the rollouts it held go on. NOT_FOUND, or INVALID_STATE if lifted already.',
  })
  @RequireRole('admin')
  async liftFreeze(@Args('id', { type: () => ID }) id: string, @Actor() by: string): Promise<FreezeResult> {
    return toResult(await this.service.lift(id, by));
  }
}
