import { Field, Float, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum RegionTierValue {
  CANARY = 'canary',
  STANDARD = 'standard',
  HEAVY = 'heavy',
}
registerEnumType(RegionTierValue, { name: 'RegionTier', description: 'Canary regions go first, heavy regions last.' });

@ObjectType({ description: 'One region of a service.' })
export class Region {
  @Field()
  name!: string;

  @Field({ description: 'Base URL of the region’s config endpoint.' })
  endpoint!: string;

  @Field(() => Float, { description: 'Share of traffic or customers; exposure is the sum of weights reached.' })
  weight!: number;

  @Field(() => RegionTierValue)
  tier!: RegionTierValue;

  @Field(() => String, { nullable: true, description: 'Redundancy partner: never changed in the same wave.' })
  pair?: string | null;

  @Field(() => [String])
  customers!: string[];
}
