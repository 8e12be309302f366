import { CustomerProfile, Scenario } from './scenario.model';
import { Field, GraphQLISODateTime, ObjectType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import { DEFAULT_INCIDENT_POLICY, INCIDENT_POLICIES } from '../../../../../libs/domain/src';
import { DependencyField, RedundancyPolicy } from './redundancy.model';
import { Region } from './region.model';

/** Read from the domain's list and default, so the schema never repeats them. */
export const ON_INCIDENT_DESCRIPTION =
  `What an alert on this service does while rollouts run: ${INCIDENT_POLICIES.join(' or ')} ` +
  `(default ${DEFAULT_INCIDENT_POLICY}). halt-blamed halts only the rollouts incident insight blames ` +
  '(LIKELY_CHANGE), pauses the running rollouts in the alert’s regions on LIKELY_EXTERNAL, and otherwise halts ' +
  'the service’s rollout. See docs/INCIDENT-INSIGHT.md.';

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

  @Field(() => String, { description: ON_INCIDENT_DESCRIPTION })
  onIncident!: string;

  @Field(() => [DependencyField])
  dependencyFields!: DependencyField[];

  @Field(() => RedundancyPolicy)
  redundancy!: RedundancyPolicy;

  @Field(() => [Scenario])
  scenarios!: Scenario[];

  @Field(() => [CustomerProfile])
  customerProfiles!: CustomerProfile[];

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}
