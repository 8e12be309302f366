import { CustomerProfileInput, ScenarioInput } from '../models/scenario.model';
import { Field, Float, InputType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import { GateInput, RolloutTemplateInput } from '../../rollouts/dto/start-rollout.input';
import { DependencyFieldInput, RedundancyPolicyInput } from '../models/redundancy.model';
import { RegionTierValue } from '../models/region.model';
import { ON_INCIDENT_DESCRIPTION } from '../models/service.model';

@InputType({ description: 'A region that is an agent speaking the HTTP region contract (docs/targets/).' })
export class HttpTargetInput {
  @Field({ description: 'Base URL: Sluice calls `PUT {url}/config`.' })
  url!: string;
}

@InputType({ description: 'A region that is one etcd key, holding an envelope of version, hash and config.' })
export class EtcdTargetInput {
  @Field(() => [String], { description: 'The cluster’s members as `host:port`.' })
  endpoints!: string[];

  @Field({ description: 'The key, e.g. `sluice/checkout/eu-west-1`.' })
  key!: string;

  @Field(() => String, { nullable: true })
  user?: string;

  @Field(() => String, { nullable: true, description: 'The worker’s environment variable holding the password.' })
  passwordEnv?: string;

  @Field(() => String, { nullable: true, description: 'A file on the worker holding the password.' })
  passwordFile?: string;
}

@InputType({ description: 'A region that is one file in a git repository (GitOps): one commit per change.' })
export class GitTargetInput {
  @Field({ description: 'A file://, ssh:// or http(s):// repository URL.' })
  remote!: string;

  @Field(() => String, { nullable: true, description: 'Defaults to main.' })
  branch?: string;

  @Field({ description: 'The file, relative to the repository root, e.g. `regions/eu-west-1/checkout.json`.' })
  path!: string;

  @Field(() => String, {
    nullable: true,
    description: 'For an http(s) remote: the worker’s environment variable holding a token.',
  })
  tokenEnv?: string;

  @Field(() => String, { nullable: true, description: 'For an http(s) remote: a file on the worker holding a token.' })
  tokenFile?: string;

  @Field(() => String, {
    nullable: true,
    description: 'For an ssh remote: the worker’s environment variable holding a private key.',
  })
  sshKeyEnv?: string;

  @Field(() => String, {
    nullable: true,
    description: 'For an ssh remote: a file on the worker holding a private key.',
  })
  sshKeyFile?: string;

  @Field(() => String, {
    nullable: true,
    description: 'For an ssh remote: the host keys to trust (known_hosts format); else the worker’s own.',
  })
  knownHostsFile?: string;
}

@InputType({ description: 'A region that is one key of a Kubernetes ConfigMap, written by server-side apply.' })
export class KubernetesTargetInput {
  @Field({ description: 'The API server, e.g. `https://10.0.0.1:6443`.' })
  server!: string;

  @Field()
  namespace!: string;

  @Field()
  configMap!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The data key holding the config as JSON. Default `config.json`.',
  })
  key?: string;

  @Field(() => String, { nullable: true, description: 'The worker’s environment variable holding a bearer token.' })
  tokenEnv?: string;

  @Field(() => String, { nullable: true, description: 'A file on the worker holding a bearer token.' })
  tokenFile?: string;

  @Field(() => String, { nullable: true, description: 'A file on the worker holding the cluster’s CA (PEM).' })
  caFile?: string;
}

@InputType({
  description: 'A region that is one feature flag’s state in one Unleash environment (a feature enablement).',
})
export class UnleashTargetInput {
  @Field({ description: 'The Unleash server, e.g. `https://unleash.internal:4242`.' })
  url!: string;

  @Field(() => String, { nullable: true, description: 'Defaults to `default`.' })
  project?: string;

  @Field()
  flag!: string;

  @Field({ description: 'The Unleash environment this region is.' })
  environment!: string;

  @Field(() => String, { nullable: true, description: 'The worker’s environment variable holding an admin API token.' })
  tokenEnv?: string;

  @Field(() => String, { nullable: true, description: 'A file on the worker holding an admin API token.' })
  tokenFile?: string;
}

@InputType({ description: 'Where a region’s config lives: exactly one kind.' })
export class RegionTargetInput {
  @Field(() => HttpTargetInput, { nullable: true })
  http?: HttpTargetInput;

  @Field(() => EtcdTargetInput, { nullable: true })
  etcd?: EtcdTargetInput;

  @Field(() => GitTargetInput, { nullable: true })
  git?: GitTargetInput;

  @Field(() => UnleashTargetInput, { nullable: true })
  unleash?: UnleashTargetInput;

  @Field(() => KubernetesTargetInput, { nullable: true })
  kubernetes?: KubernetesTargetInput;
}

@InputType()
export class RegionInput {
  @Field({ description: 'Lowercase letters, digits and dashes, e.g. `eu-west-1`.' })
  name!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'Where the region’s config lives, as a URL whose scheme names the kind (docs/TARGETS.md); or give `target`.',
  })
  endpoint?: string;

  @Field(() => RegionTargetInput, {
    nullable: true,
    description: 'The same as typed fields, one kind; stored as the endpoint URL it stands for.',
  })
  target?: RegionTargetInput;

  @Field(() => Float, { nullable: true, description: 'Defaults to 1.' })
  weight?: number;

  @Field(() => RegionTierValue, { nullable: true, description: 'Defaults to STANDARD.' })
  tier?: RegionTierValue;

  @Field(() => String, { nullable: true })
  pair?: string;

  @Field(() => [String], { nullable: true })
  customers?: string[];
}

@InputType({ description: 'A period in which no rollout of the service may start.' })
export class FreezeWindowInput {
  @Field({ description: 'ISO 8601 date-time with offset.' })
  start!: string;

  @Field({ description: 'ISO 8601 date-time with offset, after start.' })
  end!: string;

  @Field()
  reason!: string;
}

@InputType()
export class RegisterServiceInput {
  @Field()
  name!: string;

  @Field(() => [RegionInput])
  regions!: RegionInput[];

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'JSON Schema every config must satisfy (checked at precheck).',
  })
  configSchema?: Record<string, unknown>;

  @Field(() => [FreezeWindowInput], { nullable: true })
  freezeWindows?: FreezeWindowInput[];

  @Field(() => [RecurringFreezeInput], { nullable: true })
  recurringFreezes?: RecurringFreezeInput[];

  @Field(() => [GateInput], {
    nullable: true,
    description: 'Gates defined once, named by `{ref}` in rollouts; queries may use {{interval}}.',
  })
  gateTemplates?: GateInput[];

  @Field(() => [RolloutTemplateInput], { nullable: true })
  rolloutTemplates?: RolloutTemplateInput[];

  @Field(() => String, { nullable: true, description: ON_INCIDENT_DESCRIPTION })
  onIncident?: string;

  @Field(() => [DependencyFieldInput], {
    nullable: true,
    description: 'The parts of the config that name dependencies, for the redundancy rules.',
  })
  dependencyFields?: DependencyFieldInput[];

  @Field(() => RedundancyPolicyInput, { nullable: true })
  redundancy?: RedundancyPolicyInput;

  @Field(() => [ScenarioInput], {
    nullable: true,
    description: 'Customer scenarios (Playwright files); a file Playwright cannot list tests from is refused.',
  })
  scenarios?: ScenarioInput[];

  @Field(() => [CustomerProfileInput], { nullable: true, description: 'The customers the scenarios run as.' })
  customerProfiles?: CustomerProfileInput[];
}

@InputType({ description: 'A freeze on a schedule: each cron occurrence starts a window of `duration`.' })
export class RecurringFreezeInput {
  @Field({ description: 'Five-field cron: minute hour day month weekday, e.g. `0 18 * * 5`.' })
  cron!: string;

  @Field({ description: 'e.g. `90m`, `2h`, `2d` (at most 7d).' })
  duration!: string;

  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. `Europe/Berlin`. Default UTC.' })
  timeZone?: string;

  @Field()
  reason!: string;
}
