import { Field, Float, Int, ObjectType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';

@ObjectType('ScenarioCustomerVerdict', {
  description:
    'One customer’s journey as a scenario gate judged it: its runs in the changed regions against the controls’.',
})
export class ScenarioCustomerVerdictModel {
  @Field()
  scenario!: string;

  @Field()
  customer!: string;

  @Field({ description: 'PASS, FAIL, CONTINUE or INCONCLUSIVE.' })
  verdict!: string;

  @Field(() => Int)
  changedRuns!: number;

  @Field(() => Int)
  changedFailures!: number;

  @Field(() => Int)
  controlRuns!: number;

  @Field(() => Int)
  controlFailures!: number;

  @Field(() => Float, { nullable: true, description: 'The evidence that the change broke this journey.' })
  eFail!: number | null;

  @Field(() => Date, { nullable: true, description: 'First failed run in the changed regions.' })
  firstFailureAt!: Date | null;

  @Field(() => Date, { nullable: true })
  lastFailureAt!: Date | null;

  @Field(() => [String], { description: 'The changed regions where it failed.' })
  regions!: string[];

  @Field(() => String, { nullable: true, description: 'The last failed run’s error, cut short.' })
  error!: string | null;
}

@ObjectType('ScenarioEvidence', { description: 'The numbers behind a scenario gate’s verdict.' })
export class ScenarioEvidenceModel {
  @Field(() => GraphQLJSON, { description: 'Each scenario’s version (hash of its text) that judged the wave.' })
  versions!: Record<string, string>;

  @Field(() => [ScenarioCustomerVerdictModel], {
    description: 'Customers whose journey FAILed, then the others with a failure in the changed regions (at most 50).',
  })
  customers!: ScenarioCustomerVerdictModel[];

  @Field(() => Int, { description: '(scenario, customer) pairs judged.' })
  judged!: number;

  @Field(() => Int)
  passed!: number;

  @Field(() => Int, { description: 'Runs made this interval.' })
  runs!: number;

  @Field(() => Int, { description: 'Wall time of this interval’s Playwright process.' })
  wallMs!: number;

  @Field(() => Int, { description: 'Runs made in this wave so far.' })
  totalRuns!: number;

  @Field(() => Float, { description: 'Playwright wall time in this wave so far.' })
  totalWallMs!: number;
}
