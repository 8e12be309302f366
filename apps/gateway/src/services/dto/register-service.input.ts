import { Field, Float, InputType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import { RegionTierValue } from '../models/region.model';

@InputType()
export class RegionInput {
  @Field({ description: 'Lowercase letters, digits and dashes, e.g. `eu-west-1`.' })
  name!: string;

  @Field({ description: 'Base URL of the region’s config endpoint; Sluice calls `PUT {endpoint}/config`.' })
  endpoint!: string;

  @Field(() => Float, { nullable: true, description: 'Defaults to 1.' })
  weight?: number;

  @Field(() => RegionTierValue, { nullable: true, description: 'Defaults to STANDARD.' })
  tier?: RegionTierValue;

  @Field(() => String, { nullable: true })
  pair?: string;

  @Field(() => [String], { nullable: true })
  customers?: string[];
}

@InputType({ description: 'A period in which no rollout of the service may start.' })
export class FreezeWindowInput {
  @Field({ description: 'ISO 8601 date-time with offset.' })
  start!: string;

  @Field({ description: 'ISO 8601 date-time with offset, after start.' })
  end!: string;

  @Field()
  reason!: string;
}

@InputType()
export class RegisterServiceInput {
  @Field()
  name!: string;

  @Field(() => [RegionInput])
  regions!: RegionInput[];

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'JSON Schema every config must satisfy (checked at precheck).',
  })
  configSchema?: Record<string, unknown>;

  @Field(() => [FreezeWindowInput], { nullable: true })
  freezeWindows?: FreezeWindowInput[];
}
