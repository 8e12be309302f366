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
import { ScenarioEvidenceModel } from './scenario-evidence.model';

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

@ObjectType('CanaryEvidence', {
  description:
    "The numbers behind a canary judge's verdict (docs/CANARY-JUDGE.md): e-values and thresholds, the alpha and beta spent, counts since the change and in the pre-change window, and the canary's natural rate relative to the controls.",
})
export class CanaryEvidenceModel {
  @Field(() => Float, { description: 'e-value of "the change made the canary worse"; FAIL at failThreshold.' })
  eFail!: number;

  @Field(() => Float, { description: 'e-value of "the canary is no worse than maxTolerated"; PASS at passThreshold.' })
  ePass!: number;

  @Field(() => Float)
  failThreshold!: number;

  @Field(() => Float)
  passThreshold!: number;

  @Field(() => Float, { description: "The FAIL test's share of the rollout's alpha." })
  alphaSpent!: number;

  @Field(() => Float)
  betaSpent!: number;

  @Field(() => Float, { description: 'Canary requests since the change.' })
  canaryRequests!: number;

  @Field(() => Float)
  canaryEvents!: number;

  @Field(() => Float, { description: 'Control (unchanged) regions’ requests over the same intervals.' })
  controlRequests!: number;

  @Field(() => Float)
  controlEvents!: number;

  @Field(() => Float, { nullable: true, description: 'Canary requests in the pre-change window.' })
  baselineCanaryRequests!: number | null;

  @Field(() => Float, { nullable: true })
  baselineCanaryEvents!: number | null;

  @Field(() => Float, { nullable: true })
  baselineControlRequests!: number | null;

  @Field(() => Float, { nullable: true })
  baselineControlEvents!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "The canary's natural event rate over the controls' before the change (θ̂); null without a baseline.",
  })
  naturalRatio!: number | null;

  @Field(() => Float, { nullable: true, description: 'Upper bound of θ the FAIL test uses.' })
  naturalRatioUpper!: number | null;

  @Field(() => Float, { nullable: true, description: 'Lower bound of θ the PASS test uses.' })
  naturalRatioLower!: number | null;

  @Field({ description: 'A PASS was reached; the FAIL test keeps watching until the wave is done.' })
  passed!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Why INCONCLUSIVE: NO_BASELINE, TOO_LITTLE_TRAFFIC, UNDECIDED_AT_DEADLINE or MAX_DURATION.',
  })
  reason!: string | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "A FAIL from the deadline test (the bake's canary events against its pre-change window, once): its p-value.",
  })
  deadlinePValue?: number | null;

  @Field(() => Int)
  elapsedSeconds!: number;
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

  @Field(() => CanaryEvidenceModel, { nullable: true, description: 'Canary gates: the numbers behind the verdict.' })
  evidence?: CanaryEvidenceModel | null;

  @Field(() => ScenarioEvidenceModel, { nullable: true, description: 'Scenario gates: each customer’s verdict.' })
  scenario?: ScenarioEvidenceModel | null;
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

@ObjectType('FreezeHold', { description: 'What holds a rollout before its next wave.' })
export class FreezeHoldModel {
  @Field({ description: 'WINDOW (a freeze window of the service) or EMERGENCY (declareFreeze).' })
  kind!: string;

  @Field()
  reason!: string;

  @Field({ description: 'The window’s start, or when the emergency freeze was declared (ISO 8601).' })
  from!: string;

  @Field(() => String, { nullable: true, description: 'When the hold ends by itself; null: until lifted.' })
  until!: string | null;

  @Field(() => String, { nullable: true, description: 'The emergency freeze’s id (for liftFreeze).' })
  freezeId?: string | null;

  @Field(() => String, { nullable: true })
  by?: string | null;
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

  @Field(() => FreezeHoldModel, {
    nullable: true,
    description: 'The freeze the rollout waits on before its next wave; null when nothing holds it.',
  })
  hold!: FreezeHoldModel | null;
}

@ObjectType('RefusedRegion', {
  description: 'A region a retryRollback left alone: it changed since the failed restore (someone fixed it by hand).',
})
export class RefusedRegionModel {
  @Field()
  region!: string;

  @Field({ description: 'REGION_CHANGED.' })
  code!: string;

  @Field()
  message!: string;

  @Field(() => String, { nullable: true, description: 'The version the region serves now.' })
  servesVersion!: string | null;

  @Field(() => String, { nullable: true })
  servesConfigHash!: string | null;
}

@ObjectType({ description: 'The answer to retryRollback: where the rollout is now, and the regions it refused.' })
export class RetryRollbackResult extends ControlResult {
  @Field(() => [RefusedRegionModel])
  refused!: RefusedRegionModel[];
}
