import { Field, Float, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import {
  REGION_STATES,
  WAVE_PHASES,
  type RegionState,
  type RolloutStatus,
  type WavePhase,
} from '../../../../../libs/domain/src';
import { HALT_OUTCOMES, type HaltOutcome } from '../../../../../workflows/rollout.messages';
import { RolloutStatusValue } from './rollout.model';

const enumOf = <T extends string>(values: readonly T[]) =>
  Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
export const WavePhaseValue = enumOf(WAVE_PHASES);
registerEnumType(WavePhaseValue, { name: 'WavePhase' });
export const RegionStateValue = enumOf(REGION_STATES);
registerEnumType(RegionStateValue, { name: 'RegionState' });

@ObjectType()
export class PlannedWave {
  @Field(() => Int)
  index!: number;

  @Field(() => [String])
  regions!: string[];

  @Field(() => Int)
  bakeSeconds!: number;

  @Field()
  requiresApproval!: boolean;
}

@ObjectType()
export class RegionProgress {
  @Field()
  region!: string;

  @Field(() => RegionStateValue)
  state!: RegionState;
}

@ObjectType('GateResult', { description: 'The latest verdict of one gate in one region.' })
export class GateResultModel {
  @Field(() => Int)
  wave!: number;

  @Field()
  gate!: string;

  @Field()
  region!: string;

  @Field({ description: 'PASS, FAIL or NO_DATA.' })
  verdict!: string;

  @Field(() => Float, { nullable: true })
  value?: number | null;

  @Field()
  detail!: string;
}

@ObjectType('ControlAction', { description: 'Who did what to the rollout, and when (by wave).' })
export class ControlActionModel {
  @Field({ description: 'PAUSED, RESUMED, APPROVED, ABORTED or HALTED.' })
  action!: string;

  @Field()
  by!: string;

  @Field(() => Int)
  wave!: number;

  @Field()
  detail!: string;
}

@ObjectType({ description: 'The answer to a control mutation: the rollout’s state right after it was applied.' })
export class ControlResult {
  @Field()
  rolloutId!: string;

  @Field(() => RolloutStatusValue)
  status!: RolloutStatus;

  @Field(() => Int)
  wave!: number;

  @Field(() => WavePhaseValue, { nullable: true })
  phase!: WavePhase | null;
}

export const HaltOutcomeValue = enumOf(HALT_OUTCOMES);
registerEnumType(HaltOutcomeValue, {
  name: 'HaltOutcome',
  description:
    'What became of a halt: HALTED, NOT_AFFECTED (region not touched), NO_RUNNING_ROLLOUT, STALE (an alert from before this rollout), UNMATCHED (unknown service or region).',
});

@ObjectType({ description: 'The answer to haltRollout: what became of the halt, and where the rollout is now.' })
export class HaltAnswer extends ControlResult {
  @Field(() => HaltOutcomeValue)
  outcome!: HaltOutcome;

  @Field({
    description:
      'False when the halt is in Temporal and the rollback runs, but PostgreSQL has not stored the event yet (it will).',
  })
  recorded!: boolean;
}

@ObjectType({ description: 'The live state, answered by the running workflow itself.' })
export class RolloutLive extends ControlResult {
  @Field(() => [PlannedWave])
  plan!: PlannedWave[];

  @Field(() => [RegionProgress])
  regions!: RegionProgress[];

  @Field(() => [GateResultModel])
  gates!: GateResultModel[];

  @Field(() => [ControlActionModel])
  actions!: ControlActionModel[];

  @Field()
  requestedBy!: string;

  @Field(() => String, { nullable: true })
  stopReason!: string | null;
}
