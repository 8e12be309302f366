import { Field, Float, InputType, ObjectType } from '@nestjs/graphql';
import { SPOF_RULES } from '../../../../../libs/domain/src';

@ObjectType({ description: 'A redundancy rule the change breaks (docs/REDUNDANCY.md).' })
export class SpofViolationModel {
  @Field({ description: SPOF_RULES.join(', ') })
  rule!: string;

  @Field({ description: '`error` (refused unless an admin overrides it) or `warning`.' })
  severity!: string;

  @Field({ description: 'False when the fleet had it before this change (then always a warning).' })
  introduced!: boolean;

  @Field()
  kind!: string;

  @Field()
  value!: string;

  @Field(() => [String])
  regions!: string[];

  @Field(() => Float, { description: 'Share of the service’s traffic weight on the value after the change (0–1).' })
  weight!: number;

  @Field(() => [String], { description: 'SPOF_CROSS_SERVICE: the other services on the value.' })
  services!: string[];

  @Field()
  message!: string;
}

@ObjectType({ description: 'Which regions depend on a value, before and after the change.' })
export class DependencyMapEntryModel {
  @Field()
  kind!: string;

  @Field()
  value!: string;

  @Field({ description: '`primary` or `failover`.' })
  role!: string;

  @Field(() => [String])
  before!: string[];

  @Field(() => [String])
  after!: string[];
}

@ObjectType({ description: 'The redundancy rules on a change, and the dependency map they read.' })
export class RedundancyReport {
  @Field(() => [SpofViolationModel])
  violations!: SpofViolationModel[];

  @Field(() => [DependencyMapEntryModel])
  dependencyMap!: DependencyMapEntryModel[];
}

@InputType({
  description: 'An admin starts a change that breaks a redundancy rule set to error; the reason is recorded.',
})
export class RedundancyOverrideInput {
  @Field({ description: 'Why the single point of failure is accepted (recorded in the rollout’s history).' })
  reason!: string;
}
