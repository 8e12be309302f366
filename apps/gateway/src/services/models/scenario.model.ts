import { Field, InputType, Int, ObjectType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';

const SOURCE_DESCRIPTION =
  "A Playwright spec file's text (`import { test, expect } from '@playwright/test'`). It runs once per region (its endpoint is `baseURL`) and customer profile (its headers).";
const ATTRIBUTES_DESCRIPTION =
  'What the service knows of the customer, e.g. `{"plan": "enterprise"}`: sent as `x-customer-<name>` headers.';
const CREDENTIALS_DESCRIPTION =
  'Credentials by reference: header name to the environment variable on the workers that holds its value, e.g. `{"authorization": "ACME_TOKEN"}`. The values are never stored.';

@InputType({ description: 'A customer scenario: a Playwright spec file (docs/SCENARIOS.md).' })
export class ScenarioInput {
  @Field({ description: 'Lowercase letters, digits and "-".' })
  name!: string;

  @Field({ description: SOURCE_DESCRIPTION })
  source!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Each test of the file must end within this (1 to 600; default 60).',
  })
  timeoutSeconds?: number;
}

@ObjectType({ description: 'A customer scenario: a Playwright spec file, versioned by its text.' })
export class Scenario {
  @Field()
  name!: string;

  @Field({ description: SOURCE_DESCRIPTION })
  source!: string;

  @Field({ description: 'The hash of the text: a rollout records the versions that judged it.' })
  version!: string;

  @Field(() => Int)
  timeoutSeconds!: number;
}

@InputType({ description: 'A customer the scenarios run as.' })
export class CustomerProfileInput {
  @Field({ description: 'The customer, as regions list it in `customers`.' })
  customer!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: ATTRIBUTES_DESCRIPTION })
  attributes?: Record<string, string>;

  @Field(() => GraphQLJSON, { nullable: true, description: CREDENTIALS_DESCRIPTION })
  credentials?: Record<string, string>;
}

@ObjectType({ description: 'A customer the scenarios run as.' })
export class CustomerProfile {
  @Field()
  customer!: string;

  @Field(() => GraphQLJSON, { description: ATTRIBUTES_DESCRIPTION })
  attributes!: Record<string, string>;

  @Field(() => GraphQLJSON, { description: CREDENTIALS_DESCRIPTION })
  credentials!: Record<string, string>;
}
