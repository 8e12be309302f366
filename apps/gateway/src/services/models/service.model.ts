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

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}
