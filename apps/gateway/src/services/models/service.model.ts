import { Field, GraphQLISODateTime, ObjectType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import { Region } from './region.model';

@ObjectType()
export class FreezeWindow {
  @Field()
  start!: string;

  @Field()
  end!: string;

  @Field()
  reason!: string;
}

@ObjectType({ description: 'A freeze on a schedule, with its next occurrences.' })
export class RecurringFreeze {
  @Field()
  cron!: string;

  @Field()
  duration!: string;

  @Field()
  timeZone!: string;

  @Field()
  reason!: string;

  @Field(() => [FreezeWindow], { description: 'The next three occurrences (one may be under way).' })
  next!: FreezeWindow[];
}

@ObjectType({ description: 'A gate defined once on the service; rollouts name it with `{ref}`.' })
export class GateTemplate {
  @Field()
  name!: string;

  @Field()
  kind!: string;

  @Field(() => GraphQLJSON, { description: 'The gate, defaults filled in, as `gates` takes it.' })
  definition!: Record<string, unknown>;
}

@ObjectType({ description: 'A named strategy with gates: `startRollout(input: {template})`.' })
export class RolloutTemplate {
  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => GraphQLJSON, { description: 'Strategy, gates and interval, as given.' })
  definition!: Record<string, unknown>;
}

@ObjectType({ description: 'A service Sluice can roll changes out to.' })
export class Service {
  @Field()
  name!: string;

  @Field(() => [Region])
  regions!: Region[];

  @Field(() => GraphQLJSON, { nullable: true })
  configSchema?: Record<string, unknown> | null;

  @Field(() => [FreezeWindow])
  freezeWindows!: FreezeWindow[];

  @Field(() => [RecurringFreeze])
  recurringFreezes!: RecurringFreeze[];

  @Field(() => [GateTemplate])
  gateTemplates!: GateTemplate[];

  @Field(() => [RolloutTemplate])
  rolloutTemplates!: RolloutTemplate[];

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}
