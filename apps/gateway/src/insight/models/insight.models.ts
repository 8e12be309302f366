import { Field, Float, GraphQLISODateTime, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import { SEVERITY_THRESHOLDS } from '../../../../../libs/insight/src/customer-impact';
import { RegionChange } from '../../history/models/history.models';
import { JourneyEvidence } from './journey-evidence.model';

export enum VerdictValue {
  LIKELY_CHANGE = 'LIKELY_CHANGE',
  LIKELY_EXTERNAL = 'LIKELY_EXTERNAL',
  UNCLEAR = 'UNCLEAR',
}
registerEnumType(VerdictValue, {
  name: 'Verdict',
  description: 'Our change or something outside (docs/INCIDENT-INSIGHT.md).',
  valuesMap: {
    LIKELY_CHANGE: { description: 'Only regions that received the change degraded.' },
    LIKELY_EXTERNAL: {
      description: 'Regions without the change degraded too (a shared dependency), or Sluice changed nothing.',
    },
    UNCLEAR: { description: 'No control regions, no measurable shift, a mixed picture, or no metrics.' },
  },
});

export enum ExposureEndValue {
  ROLLED_BACK = 'ROLLED_BACK',
  SUPERSEDED = 'SUPERSEDED',
}
registerEnumType(ExposureEndValue, { name: 'ExposureEnd' });

export enum ImpactSeverityValue {
  HIGH = 'HIGH',
  MEDIUM = 'MEDIUM',
  LOW = 'LOW',
  NONE = 'NONE',
  UNKNOWN = 'UNKNOWN',
}
registerEnumType(ImpactSeverityValue, {
  name: 'ImpactSeverity',
  description: `How much the error rate rose over the baseline while exposed (docs/INCIDENT-INSIGHT.md).`,
  valuesMap: {
    HIGH: { description: `Excess error rate (exposed − baseline) ≥ ${SEVERITY_THRESHOLDS.HIGH}.` },
    MEDIUM: { description: `Excess error rate (exposed − baseline) ≥ ${SEVERITY_THRESHOLDS.MEDIUM}.` },
    LOW: { description: `Excess error rate (exposed − baseline) ≥ ${SEVERITY_THRESHOLDS.LOW}.` },
    NONE: { description: 'No measurable rise.' },
    UNKNOWN: { description: 'The metrics could not be read, or showed no requests while exposed.' },
  },
});

export enum ImpactSourceValue {
  CUSTOMER = 'CUSTOMER',
  REGION = 'REGION',
}
registerEnumType(ImpactSourceValue, {
  name: 'ImpactSource',
  description: 'Whose counts the severity rests on: the customer’s own series, or its region’s.',
});

@InputType({ description: 'An Alertmanager alert, as in its webhook payload: labels and startsAt.' })
export class AlertInput {
  @Field(() => GraphQLJSON, {
    description:
      'The alert’s labels, e.g. {"alertname": "HighErrorRate", "service": "checkout", "region": "eu-west-1"}.',
  })
  labels!: unknown;

  @Field(() => GraphQLISODateTime)
  startsAt!: Date;
}

@ObjectType({ description: 'Requests and bad ones (errors, or slow requests) in one window.' })
export class CountWindow {
  @Field(() => Float)
  requests!: number;

  @Field(() => Float)
  events!: number;
}

@ObjectType({ description: 'One metric before and after a change, and the count test’s evidence of a rise.' })
export class MetricShift {
  @Field(() => CountWindow)
  before!: CountWindow;

  @Field(() => CountWindow)
  after!: CountWindow;

  @Field(() => Float, { nullable: true, description: 'Share of bad requests before the change.' })
  beforeRate!: number | null;

  @Field(() => Float, { nullable: true })
  afterRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'afterRate / beforeRate.' })
  ratio!: number | null;

  @Field(() => Float, {
    description: 'The test statistic: an e-value against "after is at most 1.5× before"; ≥ 1/alpha (100) is a rise.',
  })
  eValue!: number;

  @Field()
  degraded!: boolean;

  @Field({ description: 'False when too few requests were seen to judge.' })
  enoughData!: boolean;
}

@ObjectType({ description: 'A region’s errors and latency around a change.' })
export class RegionShift {
  @Field()
  region!: string;

  @Field({ description: 'Whether the change had reached this region.' })
  changed!: boolean;

  @Field()
  degraded!: boolean;

  @Field(() => MetricShift)
  errors!: MetricShift;

  @Field(() => MetricShift, { description: 'Requests slower than the latency objective.' })
  latency!: MetricShift;
}

@ObjectType({ description: 'The regions that received a change against those that did not, same windows.' })
export class ChangeAssessment {
  @Field(() => VerdictValue)
  verdict!: VerdictValue;

  @Field()
  summary!: string;

  @Field()
  service!: string;

  @Field(() => GraphQLISODateTime, { description: 'When the change landed: the before window ends here.' })
  pivot!: Date;

  @Field(() => GraphQLISODateTime)
  beforeFrom!: Date;

  @Field(() => GraphQLISODateTime)
  afterTo!: Date;

  @Field(() => [RegionShift])
  regions!: RegionShift[];

  @Field(() => String, { nullable: true, description: 'Set when Prometheus could not be read.' })
  error!: string | null;
}

@ObjectType({ description: 'Why a change is suspected, in numbers a person can check.' })
export class SuspectExplanation {
  @Field()
  text!: string;

  @Field(() => Float)
  minutesBeforeAlert!: number;

  @Field(() => MetricShift, { nullable: true, description: 'Errors in the alerting region before and after.' })
  errors!: MetricShift | null;

  @Field(() => MetricShift, { nullable: true })
  latency!: MetricShift | null;

  @Field(() => Float, { description: 'The larger e-value of errors and latency in the alerting region.' })
  testStatistic!: number;

  @Field(() => Float, { description: '0..1: how far the rise got towards the 1/alpha bar.' })
  shiftStrength!: number;

  @Field(() => Float, { description: 'Share of the service’s regions without the change that degraded as well.' })
  controlDegradedShare!: number;

  @Field(() => Float, { description: '0..1, halving every 10 minutes before the alert.' })
  proximity!: number;

  @Field(() => Float, { description: '1 for the alert’s own service, 0.5 for another.' })
  scope!: number;
}

@ObjectType({
  description:
    'A change that may have caused an alert. A likely cause in the alert’s own service ranks first; the rest by score, then newest.',
})
export class Suspect {
  @Field(() => Int)
  rank!: number;

  @Field(() => Float, { description: '0.6·shift·(1 − controlShare) + 0.25·proximity + 0.15·scope.' })
  score!: number;

  @Field({ description: 'Score ≥ 0.5 and the verdict LIKELY_CHANGE.' })
  likelyCause!: boolean;

  @Field()
  rolloutId!: string;

  @Field(() => RegionChange)
  change!: RegionChange;

  @Field(() => VerdictValue)
  verdict!: VerdictValue;

  @Field(() => SuspectExplanation)
  explanation!: SuspectExplanation;

  @Field(() => ChangeAssessment)
  assessment!: ChangeAssessment;
}

@ObjectType({ description: 'A customer of a region the change reached.' })
export class AffectedCustomer {
  @Field()
  customer!: string;

  @Field()
  region!: string;

  @Field(() => GraphQLISODateTime)
  exposedFrom!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Null while the region still serves the change.' })
  exposedUntil!: Date | null;

  @Field()
  rolledBack!: boolean;

  @Field(() => ExposureEndValue, { nullable: true })
  endedBy!: ExposureEndValue | null;

  @Field(() => Int, {
    description:
      '1 = contact first: estimated bad requests (most first), then unknown severity, then no impact; ties by longer exposure, then customer name.',
  })
  rank!: number;

  @Field(() => Int, { description: 'Seconds from the push to the end of the exposure, or to now while it lasts.' })
  exposedSeconds!: number;

  @Field(() => Float, { nullable: true, description: 'Requests served while exposed (customer or region).' })
  requests!: number | null;

  @Field(() => Float, { nullable: true, description: 'Share of requests that failed while exposed.' })
  errorRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'Share that failed over the span before the push.' })
  baselineErrorRate!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'max(0, errorRate − baselineErrorRate) × requests: the errors the change added.',
  })
  badRequestsEstimate!: number | null;

  @Field(() => ImpactSeverityValue)
  severity!: ImpactSeverityValue;

  @Field(() => ImpactSourceValue, { nullable: true })
  measuredBy!: ImpactSourceValue | null;

  @Field(() => String, { nullable: true, description: 'Why the severity is unknown, or the region rate was used.' })
  note!: string | null;

  @Field({
    description:
      'Observed, not only exposed: a customer scenario of theirs failed in this region while the rollout’s scenario gate ran.',
  })
  observedFailing!: boolean;

  @Field(() => [String], { description: 'The scenarios that failed for them there.' })
  failedScenarios!: string[];

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'First failed journey run in this region.' })
  firstFailureAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Last failed journey run in this region.' })
  lastFailureAt!: Date | null;

  @Field(() => Int, { nullable: true, description: 'Failed journey runs in this region.' })
  journeyFailures!: number | null;

  @Field(() => Int, { nullable: true, description: 'All journey runs in this region during the rollout.' })
  journeyRuns!: number | null;
}

@ObjectType()
export class IncidentVerdict {
  @Field(() => VerdictValue)
  verdict!: VerdictValue;

  @Field()
  summary!: string;

  @Field(() => String, { nullable: true, description: 'The rollout the verdict is about (the top suspect).' })
  rolloutId!: string | null;

  @Field(() => ChangeAssessment, { nullable: true })
  evidence!: ChangeAssessment | null;
}

@ObjectType({ description: 'What Sluice knows about an alert: what changed, what is suspect, who is affected.' })
export class Incident {
  @Field(() => String, { nullable: true })
  alertname!: string | null;

  @Field(() => String, { nullable: true })
  service!: string | null;

  @Field(() => String, { nullable: true })
  region!: string | null;

  @Field(() => GraphQLISODateTime)
  startsAt!: Date;

  @Field(() => [RegionChange], { description: 'Changes in the alert’s region in the window before it started.' })
  regionChanges!: RegionChange[];

  @Field(() => [RegionChange], { description: 'Changes to the alert’s service, any region, same window.' })
  serviceChanges!: RegionChange[];

  @Field(() => [RegionChange], { description: 'Every change anywhere in the minutes just before the alert.' })
  recentChanges!: RegionChange[];

  @Field(() => [Suspect])
  suspects!: Suspect[];

  @Field(() => [JourneyEvidence], {
    description:
      'The service’s customer scenarios per region and scenario over the window (gate and continuous runs), failing ones first.',
  })
  journeys!: JourneyEvidence[];

  @Field(() => IncidentVerdict)
  verdict!: IncidentVerdict;
}
