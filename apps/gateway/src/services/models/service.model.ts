import { Field, GraphQLISODateTime, ObjectType } from '@nestjs/graphql';
import { Region } from './region.model';

@ObjectType({ description: 'A service Sluice can roll changes out to.' })
export class Service {
  @Field()
  name!: string;

  @Field(() => [Region])
  regions!: Region[];

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}
