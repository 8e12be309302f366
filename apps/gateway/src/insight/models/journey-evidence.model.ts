import { Field, GraphQLISODateTime, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({
  description:
    'Customer scenarios of the alert’s service in one region over the window before the alert: evidence of who is hurt.',
})
export class JourneyEvidence {
  @Field()
  region!: string;

  @Field()
  scenario!: string;

  @Field(() => Int)
  runs!: number;

  @Field(() => Int)
  failures!: number;

  @Field(() => [String], { description: 'Customers whose runs failed.' })
  customers!: string[];

  @Field(() => GraphQLISODateTime, { nullable: true })
  lastFailureAt!: Date | null;
}
