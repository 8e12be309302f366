import { Field, Float, InputType, Int } from '@nestjs/graphql';
import { RedundancyOverrideInput } from '../models/redundancy-report.model';
import GraphQLJSON from 'graphql-type-json';

@InputType({ description: 'How to build the plan. Every field has a default.' })
export class StrategyInput {
  @Field(() => Float, { nullable: true, description: 'Largest share of weight in the canary wave. Default 0.05.' })
  canaryMaxShare?: number;

  @Field(() => Float, { nullable: true, description: 'Most that cumulative exposure may grow per wave. Default 2.5.' })
  growthFactor?: number;

  @Field(() => Int, { nullable: true, description: 'Bake time per wave, in seconds. Default 300.' })
  bakeSeconds?: number;

  @Field({ nullable: true, description: 'Wait for approval after the canary wave. Default true.' })
  approvalAfterCanary?: boolean;
}

@InputType({ description: "One region's own values, merged over the rollout's config (docs/REDUNDANCY.md)." })
export class RegionOverrideInput {
  @Field({ description: 'A region of the service, named once.' })
  region!: string;

  @Field(() => GraphQLJSON, {
    description: 'A JSON Merge Patch (RFC 7386) over the config: objects merge key by key, null deletes a key.',
  })
  config!: unknown;
}

/** The per-region config fields that `startRollout` and `planRollout` share. */
export const REGION_OVERRIDES_DESCRIPTION =
  "Per-region values merged over config, region by region; each region's effective config is pushed to it and its hash recorded.";
export const CONFIG_TEMPLATE_DESCRIPTION =
  'Fill {{region}} and {{service}} in every string of each region’s config (any other {{name}} is refused). Default false: the config is pushed as written.';

@InputType({ description: 'One wave of an explicit plan.' })
export class WaveInput {
  @Field(() => [String])
  regions!: string[];

  @Field(() => Int, { nullable: true })
  bakeSeconds?: number;

  @Field({ nullable: true })
  requiresApproval?: boolean;
}

@InputType({
  description:
    'A health gate. `probe`: GET {region endpoint}{path} must answer expectStatus (and contain expectBodyContains). ' +
    '`prometheus`: query (with {{region}}, {{service}} and {{interval}}) must satisfy `value comparison threshold`; noData says what no data means. ' +
    'Or `ref`: the service’s gate template of that name (with `name` to rename it).',
})
export class GateInput {
  @Field(() => String, {
    nullable: true,
    description: 'A gate template of the service, by name; then only `name` may be given too.',
  })
  ref?: string;

  @Field(() => String, {
    nullable: true,
    description: '`probe`, `prometheus`, `alerts`, `canary` or `scenario` (required unless `ref`).',
  })
  kind?: string;

  @Field(() => String, { nullable: true, description: 'Required unless `ref`; unique in the rollout.' })
  name?: string;

  @Field({ nullable: true, description: 'probe: path under the region endpoint, e.g. /probe.' })
  path?: string;

  @Field(() => Int, { nullable: true, description: 'probe: default 200.' })
  expectStatus?: number;

  @Field({ nullable: true })
  expectBodyContains?: string;

  @Field({ nullable: true, description: 'prometheus: PromQL; {{region}} and {{service}} are filled in.' })
  query?: string;

  @Field({
    nullable: true,
    description: 'prometheus: <, <=, > or >=; the gate passes while value comparison threshold.',
  })
  comparison?: string;

  @Field(() => Float, { nullable: true })
  threshold?: number;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'alerts: extra labels an alert must carry, e.g. {"severity": "page"}.',
  })
  labels?: Record<string, string>;

  @Field({
    nullable: true,
    description: 'prometheus, alerts, canary, scenario: fail, pause (default: a person decides) or pass.',
  })
  noData?: string;

  @Field({ nullable: true, description: 'canary: PromQL of a cumulative request counter; {{regions}}, {{service}}.' })
  requestsQuery?: string;

  @Field({
    nullable: true,
    description: 'canary: PromQL of a cumulative event counter (errors, slow requests); same variables.',
  })
  eventsQuery?: string;

  @Field(() => Float, { nullable: true, description: 'canary, scenario: false-alarm bound (default 0.05).' })
  alpha?: number;

  @Field(() => Float, { nullable: true, description: 'canary, scenario: bound on wrongly passing (default 0.01).' })
  beta?: number;

  @Field(() => Float, {
    nullable: true,
    description: 'canary, scenario: event-rate (failure-rate) ratio still fine (default 1).',
  })
  tolerance?: number;

  @Field(() => Float, {
    nullable: true,
    description: 'canary: ratio at or above which the canary is bad (default 1.5); scenario: default 5.',
  })
  maxTolerated?: number;

  @Field(() => Float, {
    nullable: true,
    description: 'canary: the largest ratio the judge considers, above maxTolerated (default 10).',
  })
  maxRatio?: number;

  @Field(() => Int, {
    nullable: true,
    description: 'canary: canary requests before a PASS (default 500); a FAIL needs no minimum.',
  })
  minRequests?: number;

  @Field(() => Int, { nullable: true, description: 'canary, scenario: INCONCLUSIVE after this (default 3600).' })
  maxDurationSeconds?: number;

  @Field(() => Int, {
    nullable: true,
    description:
      "canary: seconds before the wave's push that give the canary's own pre-change baseline (60 to 604800; default 86400, a day); scenario: the continuous runs before the push (default 3600).",
  })
  baselineWindowSeconds?: number;

  @Field(() => [String], {
    nullable: true,
    description: "scenario: the service's scenarios to run, by name (default: all of them).",
  })
  scenarios?: string[];

  @Field(() => Int, {
    nullable: true,
    description:
      'scenario: (region, customer) runs of each scenario in the unchanged regions per interval (default 6).',
  })
  controlSamples?: number;

  @Field(() => Int, {
    nullable: true,
    description: "scenario: a customer's runs in the changed regions before a PASS (default 5).",
  })
  minRuns?: number;

  @Field(() => Int, { nullable: true, description: 'scenario: Playwright workers per interval (default 2).' })
  workers?: number;

  @Field(() => Int, { nullable: true, description: 'Default 5000.' })
  timeoutMs?: number;
}

@InputType()
export class StartRolloutInput {
  @Field({ description: 'A registered service.' })
  service!: string;

  @Field({ description: 'Version label, e.g. `v42`; letters, digits, `.`, `_`, `+`, `-`.' })
  version!: string;

  @Field(() => GraphQLJSON, { description: 'The config document: a JSON object, at most 256 KiB.' })
  config!: unknown;

  @Field(() => [RegionOverrideInput], { nullable: true, description: REGION_OVERRIDES_DESCRIPTION })
  regionOverrides?: RegionOverrideInput[];

  @Field(() => Boolean, { nullable: true, description: CONFIG_TEMPLATE_DESCRIPTION })
  configTemplate?: boolean;

  @Field(() => RedundancyOverrideInput, {
    nullable: true,
    description:
      'Admins only: start although the config breaks a redundancy rule set to error (docs/REDUNDANCY.md); the reason and the violations are recorded on RolloutRequested.',
  })
  redundancyOverride?: RedundancyOverrideInput;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => StrategyInput, { nullable: true })
  strategy?: StrategyInput;

  @Field(() => [WaveInput], { nullable: true, description: 'An explicit plan, checked by the same rules.' })
  waves?: WaveInput[];

  @Field(() => [GateInput], { nullable: true })
  gates?: GateInput[];

  @Field(() => Int, { nullable: true, description: 'Seconds between gate evaluations while baking. Default 30.' })
  gateIntervalSeconds?: number;

  @Field(() => String, {
    nullable: true,
    description:
      'A rollout template of the service: its strategy (under any fields given here), gates and interval where these are not given.',
  })
  template?: string;
}

@InputType({ description: 'A named strategy with gates, stored on the service.' })
export class RolloutTemplateInput {
  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => StrategyInput, { nullable: true })
  strategy?: StrategyInput;

  @Field(() => [GateInput], { nullable: true, description: 'Gates in full, or `{ref}` to a gate template.' })
  gates?: GateInput[];

  @Field(() => Int, { nullable: true })
  gateIntervalSeconds?: number;
}
