import { Field, Float, InputType, Int, ObjectType } from '@nestjs/graphql';
import { DEFAULT_REDUNDANCY_POLICY, DEPENDENCY_ROLES, SPOF_SEVERITIES } from '../../../../../libs/domain/src';

/** Read from the domain's lists and defaults, so the schema never repeats them. */
const SEVERITY = `${SPOF_SEVERITIES.join(', ')}`;
const ROLE_DESCRIPTION =
  `${DEPENDENCY_ROLES.join(' or ')} (default primary): a primary is a value the region depends on; ` +
  'a failover names where it fails over to (a region or a dependency). See docs/REDUNDANCY.md.';
const PATH_DESCRIPTION =
  'A JSON Pointer (`/database/primary`; a `*` segment matches every key or item) or a JSONPath expression (`$.upstream[*].host`).';
const KIND_DESCRIPTION =
  'What the value is (`database`, `upstream`, `certificate`, …): values are compared within a kind.';

@ObjectType({ description: 'A part of the service’s config that names a dependency (docs/REDUNDANCY.md).' })
export class DependencyField {
  @Field({ description: PATH_DESCRIPTION })
  path!: string;

  @Field({ description: KIND_DESCRIPTION })
  kind!: string;

  @Field({ description: ROLE_DESCRIPTION })
  role!: string;
}

@InputType({ description: 'A part of the service’s config that names a dependency (docs/REDUNDANCY.md).' })
export class DependencyFieldInput {
  @Field({ description: PATH_DESCRIPTION })
  path!: string;

  @Field({ description: KIND_DESCRIPTION })
  kind!: string;

  @Field(() => String, { nullable: true, description: ROLE_DESCRIPTION })
  role?: string;
}

const d = DEFAULT_REDUNDANCY_POLICY;

@ObjectType({
  description: 'How strictly a change that creates a single point of failure is refused (docs/REDUNDANCY.md).',
})
export class RedundancyPolicy {
  @Field({ description: `SPOF_PAIR_SHARED_DEPENDENCY: ${SEVERITY}.` })
  pairSharedDependency!: string;

  @Field({ description: `SPOF_CONCENTRATION: ${SEVERITY}.` })
  concentration!: string;

  @Field({ description: `SPOF_SELF_DEPENDENCY: ${SEVERITY}.` })
  selfDependency!: string;

  @Field({ description: `SPOF_CROSS_SERVICE: ${SEVERITY}.` })
  crossService!: string;

  @Field(() => Float, { description: 'SPOF_CONCENTRATION: the largest share of weight on one value.' })
  concentrationMaxShare!: number;

  @Field(() => Int, { description: 'SPOF_CROSS_SERVICE: other services on a value before the rule speaks.' })
  crossServiceMinServices!: number;
}

@InputType({
  description: 'How strictly a change that creates a single point of failure is refused (docs/REDUNDANCY.md).',
})
export class RedundancyPolicyInput {
  @Field(() => String, { nullable: true, description: `${SEVERITY} (default ${d.pairSharedDependency}).` })
  pairSharedDependency?: string;

  @Field(() => String, { nullable: true, description: `${SEVERITY} (default ${d.concentration}).` })
  concentration?: string;

  @Field(() => String, { nullable: true, description: `${SEVERITY} (default ${d.selfDependency}).` })
  selfDependency?: string;

  @Field(() => String, { nullable: true, description: `${SEVERITY} (default ${d.crossService}).` })
  crossService?: string;

  @Field(() => Float, { nullable: true, description: `Default ${d.concentrationMaxShare}.` })
  concentrationMaxShare?: number;

  @Field(() => Int, { nullable: true, description: `Default ${d.crossServiceMinServices}.` })
  crossServiceMinServices?: number;
}
