import { Field, InputType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';

@InputType()
export class StartRolloutInput {
  @Field({ description: 'A registered service.' })
  service!: string;

  @Field({ description: 'Version label, e.g. `v42`; letters, digits, `.`, `_`, `+`, `-`.' })
  version!: string;

  @Field(() => GraphQLJSON, { description: 'The config document: a JSON object, at most 256 KiB.' })
  config!: unknown;

  @Field(() => String, { nullable: true })
  description?: string;
}
