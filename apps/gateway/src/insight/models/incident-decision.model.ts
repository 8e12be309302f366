import { Field, Float, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { INCIDENT_RULES, type IncidentRule } from '../../../../../libs/domain/src';
import { VerdictValue } from './insight.models';

export const IncidentRuleValue = Object.fromEntries(INCIDENT_RULES.map((v) => [v, v])) as {
  [K in IncidentRule]: K;
};
registerEnumType(IncidentRuleValue, {
  name: 'IncidentRule',
  description:
    'Which rule of the onIncident policy decided: HALT_SERVICE (the policy is halt-service), HALT_BLAMED (LIKELY_CHANGE), PAUSE_EXTERNAL (LIKELY_EXTERNAL), FALLBACK_HALT_SERVICE (halt-blamed could not blame: UNCLEAR, no likely cause, or no metrics).',
});

@ObjectType({ description: 'A suspect as the decision saw it: its numbers at the time.' })
export class DecisionSuspect {
  @Field(() => ID)
  rolloutId!: string;

  @Field()
  service!: string;

  @Field()
  region!: string;

  @Field(() => Float)
  score!: number;

  @Field(() => Float, { description: 'The larger e-value of errors and slow requests in the alert’s region.' })
  eValue!: number;

  @Field(() => VerdictValue)
  verdict!: VerdictValue;

  @Field()
  likelyCause!: boolean;
}

@ObjectType({ description: 'One thing the decision did, and what came of it.' })
export class DecisionAction {
  @Field({ description: 'HALT, PAUSE, or RESUME (when the alert resolved).' })
  action!: string;

  @Field()
  service!: string;

  @Field(() => ID, { nullable: true, description: 'The rollout acted on (a halt of the service: the one it reached).' })
  rolloutId!: string | null;

  @Field(() => String, { nullable: true })
  region!: string | null;

  @Field()
  why!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'A halt’s outcome (HALTED, NOT_AFFECTED, ...), PAUSED, RESUMED, LEFT_ALONE, NO_RUNNING_ROLLOUT, NOT_PAUSED; null until acted on.',
  })
  outcome!: string | null;

  @Field(() => String, { nullable: true })
  detail!: string | null;
}

@ObjectType('IncidentDecision', {
  description: 'What the service’s onIncident policy decided for this alert, with its numbers.',
})
export class IncidentDecisionModel {
  @Field({ description: 'halt-service or halt-blamed.' })
  policy!: string;

  @Field(() => IncidentRuleValue)
  rule!: IncidentRule;

  @Field(() => VerdictValue, { nullable: true })
  verdict!: VerdictValue | null;

  @Field()
  summary!: string;

  @Field(() => [DecisionSuspect])
  topSuspects!: DecisionSuspect[];

  @Field(() => [DecisionAction])
  actions!: DecisionAction[];

  @Field(() => [DecisionAction], { description: 'What resolving the alert resumed or left alone.' })
  resumed!: DecisionAction[];

  @Field(() => GraphQLISODateTime)
  decidedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  actedAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  resolvedAt!: Date | null;
}
