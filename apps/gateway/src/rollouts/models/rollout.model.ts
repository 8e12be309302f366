import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import { ROLLOUT_STATUSES, type RolloutStatus } from '../../../../../libs/domain/src';

export const RolloutStatusValue = Object.fromEntries(ROLLOUT_STATUSES.map((s) => [s, s])) as {
  [K in RolloutStatus]: K;
};
registerEnumType(RolloutStatusValue, { name: 'RolloutStatus' });

@ObjectType({ description: 'One recorded step of a rollout, as stored in the event log.' })
export class RolloutEvent {
  @Field(() => Int, { description: 'Position in the rollout’s stream, from 1.' })
  position!: number;

  @Field({
    description:
      'Where this event is in its stream, as the cursor `rolloutEvents` (query and subscription) take as `after`.',
  })
  cursor!: string;

  @Field({ description: 'Position in the whole log (a 64-bit integer as a string).' })
  globalPosition!: string;

  @Field(() => ID)
  eventId!: string;

  @Field({ description: 'Past-tense event type, e.g. `RegionConfigPushed`.' })
  type!: string;

  @Field(() => GraphQLJSON)
  data!: Record<string, unknown>;

  @Field(() => GraphQLJSON, { description: 'Actor, correlation id, Temporal workflow and run id, schema version.' })
  metadata!: Record<string, unknown>;

  @Field(() => GraphQLISODateTime)
  recordedAt!: Date;
}

@ObjectType()
export class Rollout {
  @Field(() => ID)
  id!: string;

  @Field()
  service!: string;

  @Field()
  version!: string;

  @Field(() => RolloutStatusValue)
  status!: RolloutStatus;

  @Field()
  requestedBy!: string;

  @Field({ description: 'Temporal workflow id; one running rollout per service shares it.' })
  workflowId!: string;

  @Field({ description: 'Temporal run id of this rollout.' })
  runId!: string;

  @Field(() => [String], { description: 'Regions the new version reached.' })
  pushedRegions!: string[];

  @Field(() => String, { nullable: true, description: 'Why it stopped moving forward, if it did.' })
  stopReason!: string | null;

  @Field(() => GraphQLISODateTime)
  requestedAt!: Date;

  @Field(() => GraphQLISODateTime, { description: 'When the last event was recorded.' })
  updatedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When it reached a final status.' })
  finishedAt!: Date | null;

  @Field(() => Int, { description: 'The wave it is in, or stopped in; 0 before the first.' })
  currentWave!: number;

  @Field(() => [RolloutEvent], { description: 'Every recorded event; `rolloutEvents` pages through long histories.' })
  events?: RolloutEvent[];
}
