import { Field, Float, InputType, Int, ObjectType } from '@nestjs/graphql';
import {
  CONFIG_TEMPLATE_DESCRIPTION,
  REGION_OVERRIDES_DESCRIPTION,
  RegionOverrideInput,
  StrategyInput,
  WaveInput,
} from '../dto/start-rollout.input';
import GraphQLJSON from 'graphql-type-json';
import { RedundancyReport } from './redundancy-report.model';
import { PlannedWave } from './rollout-live.model';

@InputType({ description: 'What to plan: a service, and a strategy or explicit waves. Nothing is started.' })
export class PlanRolloutInput {
  @Field()
  service!: string;

  @Field(() => StrategyInput, { nullable: true })
  strategy?: StrategyInput;

  @Field(() => [WaveInput], { nullable: true })
  waves?: WaveInput[];

  @Field(() => String, { nullable: true, description: 'A rollout template of the service, for its strategy.' })
  template?: string;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description:
      'The config to check against the redundancy rules (docs/REDUNDANCY.md); without it, the plan rules only.',
  })
  config?: unknown;

  @Field(() => [RegionOverrideInput], { nullable: true, description: REGION_OVERRIDES_DESCRIPTION })
  regionOverrides?: RegionOverrideInput[];

  @Field(() => Boolean, { nullable: true, description: CONFIG_TEMPLATE_DESCRIPTION })
  configTemplate?: boolean;
}

@ObjectType()
export class PlannedWaveExposure extends PlannedWave {
  @Field(() => Float, { description: 'Share of total weight reached once this wave is done (0–1).' })
  cumulativeExposure!: number;
}

@ObjectType({ description: 'One broken plan rule.' })
export class PlanViolationModel {
  @Field({ description: 'PLAN_CANARY_TIER, PLAN_CANARY_CAP, PLAN_GROWTH, PLAN_HEAVY_LAST, PLAN_PAIR_SAME_WAVE, …' })
  rule!: string;

  @Field()
  message!: string;

  @Field(() => [String])
  regions!: string[];

  @Field(() => Int, { nullable: true })
  wave?: number | null;
}

@ObjectType({
  description:
    'A dry run: the waves a rollout would run, and every rule they break. `valid` is false on a plan rule or a redundancy error.',
})
export class PlanPreview {
  @Field()
  valid!: boolean;

  @Field({ description: '`strategy` (built) or `explicit` (given waves).' })
  source!: string;

  @Field(() => [PlannedWaveExposure])
  waves!: PlannedWaveExposure[];

  @Field(() => [PlanViolationModel])
  violations!: PlanViolationModel[];

  @Field(() => RedundancyReport, {
    nullable: true,
    description: 'The redundancy rules on the config; null without a config or without dependency fields.',
  })
  redundancy?: RedundancyReport | null;
}
