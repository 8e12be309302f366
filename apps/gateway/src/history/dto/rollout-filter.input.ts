import { Field, GraphQLISODateTime, InputType } from '@nestjs/graphql';
import type { RolloutStatus } from '../../../../../libs/domain/src';
import { RolloutStatusValue } from '../../rollouts/models/rollout.model';

@InputType()
export class RolloutFilterInput {
  @Field(() => String, { nullable: true })
  service?: string;

  @Field(() => RolloutStatusValue, { nullable: true })
  status?: RolloutStatus;

  @Field(() => String, { nullable: true, description: 'Rollouts that reached this region.' })
  region?: string;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Requested at or after.' })
  since?: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Requested before.' })
  until?: Date;
}
