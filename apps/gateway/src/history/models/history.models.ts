import { Field, GraphQLISODateTime, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Rollout, RolloutEvent } from '../../rollouts/models/rollout.model';
import { TargetKindValue } from '../../services/models/region.model';

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' })
  endCursor!: string | null;
}

@ObjectType()
export class RolloutEdge {
  @Field()
  cursor!: string;

  @Field(() => Rollout)
  node!: Rollout;
}

@ObjectType({ description: 'Rollouts, newest first.' })
export class RolloutConnection {
  @Field(() => [RolloutEdge])
  edges!: RolloutEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType()
export class RolloutEventEdge {
  @Field()
  cursor!: string;

  @Field(() => RolloutEvent)
  node!: RolloutEvent;
}

@ObjectType({ description: 'A rollout’s recorded events, oldest first.' })
export class RolloutEventConnection {
  @Field(() => [RolloutEventEdge])
  edges!: RolloutEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType({ description: 'What a region of a service serves now, per the event log.' })
export class RegionVersion {
  @Field()
  service!: string;

  @Field()
  region!: string;

  @Field(() => String, { nullable: true, description: 'Null when a rollback removed the only config the region had.' })
  version!: string | null;

  @Field(() => String, { nullable: true })
  configHash!: string | null;

  @Field({ description: 'The rollout that last changed the region.' })
  rolloutId!: string;

  @Field(() => GraphQLISODateTime)
  since!: Date;

  @Field(() => TargetKindValue, {
    nullable: true,
    description: 'The region’s kind of deployment target then; null when recorded before rollouts named kinds.',
  })
  targetKind!: TargetKindValue | null;
}

export enum RegionChangeKind {
  PUSH = 'PUSH',
  ROLLBACK = 'ROLLBACK',
}
registerEnumType(RegionChangeKind, { name: 'RegionChangeKind' });

@ObjectType({ description: 'One push or restore that touched a region.' })
export class RegionChange {
  @Field({ description: 'Position in the event log (a 64-bit integer as a string).' })
  globalPosition!: string;

  @Field()
  service!: string;

  @Field()
  region!: string;

  @Field()
  rolloutId!: string;

  @Field(() => RegionChangeKind)
  kind!: RegionChangeKind;

  @Field(() => String, { nullable: true })
  fromVersion!: string | null;

  @Field(() => String, { nullable: true })
  toVersion!: string | null;

  @Field(() => String, { nullable: true })
  configHash!: string | null;

  @Field({
    description:
      'False for a re-push of what the region already served, and for a restore of a region that never served the rollout’s version (its from and to versions are then both what it served).',
  })
  changed!: boolean;

  @Field({ description: 'Who caused it: the requester for pushes, whoever stopped the rollout for restores.' })
  actor!: string;

  @Field(() => TargetKindValue, {
    nullable: true,
    description: 'The region’s kind of deployment target then; null when recorded before rollouts named kinds.',
  })
  targetKind!: TargetKindValue | null;

  @Field(() => GraphQLISODateTime)
  changedAt!: Date;
}
