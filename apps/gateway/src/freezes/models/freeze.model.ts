import { Field, GraphQLISODateTime, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('EmergencyFreeze', {
  description:
    'A freeze declared during an incident: running rollouts of its service (of every service when `service` is null) hold before their next push, and startRollout answers FROZEN, until it is lifted or ends.',
})
export class FreezeModel {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'null: every service.' })
  service!: string | null;

  @Field()
  reason!: string;

  @Field()
  declaredBy!: string;

  @Field(() => GraphQLISODateTime)
  declaredAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When it ends by itself; null: until lifted.' })
  until!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  liftedAt!: Date | null;

  @Field(() => String, { nullable: true })
  liftedBy!: string | null;
}

@ObjectType({ description: 'A freeze declared or lifted, and the running rollouts it reached.' })
export class FreezeResult {
  @Field(() => FreezeModel)
  freeze!: FreezeModel;

  @Field(() => [String], { description: 'Ids of the running rollouts that took the freeze (or its lift).' })
  reachedRollouts!: string[];

  @Field(() => [String], {
    description:
      'Workflow ids of running rollouts that did not take it now (no answer within 10 s): they do not hold until reached. Declare the freeze again to retry.',
  })
  unreachedWorkflows!: string[];
}
