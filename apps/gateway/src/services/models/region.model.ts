import { Field, Float, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum RegionTierValue {
  CANARY = 'canary',
  STANDARD = 'standard',
  HEAVY = 'heavy',
}
registerEnumType(RegionTierValue, { name: 'RegionTier', description: 'Canary regions go first, heavy regions last.' });

export enum TargetKindValue {
  HTTP = 'http',
  ETCD = 'etcd',
  GIT = 'git',
  UNLEASH = 'unleash',
  KUBERNETES = 'kubernetes',
}
registerEnumType(TargetKindValue, {
  name: 'TargetKind',
  description:
    'What a region’s config is: an HTTP agent, an etcd key, a file in a git repository, a flag in an Unleash environment, a key of a Kubernetes ConfigMap (docs/TARGETS.md).',
});

@ObjectType({ description: 'One region of a service.' })
export class Region {
  @Field()
  name!: string;

  @Field({ description: 'Where the region’s config lives; its scheme names the kind (docs/TARGETS.md).' })
  endpoint!: string;

  @Field(() => TargetKindValue, { description: 'The kind of deployment target the endpoint names.' })
  targetKind!: TargetKindValue;

  @Field(() => Float, { description: 'Share of traffic or customers; exposure is the sum of weights reached.' })
  weight!: number;

  @Field(() => RegionTierValue)
  tier!: RegionTierValue;

  @Field(() => String, { nullable: true, description: 'Redundancy partner: never changed in the same wave.' })
  pair?: string | null;

  @Field(() => [String])
  customers!: string[];
}
