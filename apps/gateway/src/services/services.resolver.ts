import { Inject } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import Ajv2020 from 'ajv/dist/2020';
import {
  SluiceError,
  durationMinutes,
  parseServiceTopology,
  targetKindOf,
  upcomingOccurrences,
  type ServiceTopology,
} from '../../../../libs/domain/src';
import { forEachLimited } from '../../../../libs/platform/src/concurrency';
import { scenarioProblem, scenarioVersion } from '../../../../libs/scenarios/src';
import type { PgServiceCatalog, RegisteredService } from '../../../../libs/service-catalog/src';
import type { GatewayConfig } from '../gateway.config';
import { GATEWAY_SETTINGS, SERVICE_CATALOG } from '../gateway.tokens';
import type { EndpointPolicy } from '../../../../libs/targets/src/endpoint-policy';
import { withoutNulls } from '../graphql-input';
import { RegisterServiceInput } from './dto/register-service.input';
import { RegionTierValue, TargetKindValue } from './models/region.model';
import { Service } from './models/service.model';
import { RequireRole } from '../auth/roles.decorator';

function toModel({ topology, createdAt, updatedAt }: RegisteredService): Service {
  return {
    name: topology.name,
    regions: topology.regions.map((r) => ({
      ...r,
      tier: r.tier as RegionTierValue,
      pair: r.pair ?? null,
      targetKind: targetKindOf(r.endpoint) as TargetKindValue,
    })),
    configSchema: topology.configSchema ?? null,
    freezeWindows: topology.freezeWindows ?? [],
    recurringFreezes: topology.recurringFreezes.map((freeze) => ({
      ...freeze,
      // from a duration ago, so an occurrence under way is the first
      next: upcomingOccurrences(freeze, new Date(Date.now() - (durationMinutes(freeze.duration) ?? 0) * 60_000), 3),
    })),
    gateTemplates: topology.gateTemplates.map((gate) => ({ name: gate.name, kind: gate.kind, definition: gate })),
    rolloutTemplates: topology.rolloutTemplates.map(({ name, description, ...definition }) => ({
      name,
      description: description ?? null,
      definition,
    })),
    onIncident: topology.onIncident,
    dependencyFields: topology.dependencyFields,
    redundancy: topology.redundancy,
    scenarios: topology.scenarios.map((s) => ({ ...s, version: scenarioVersion(s.source) })),
    customerProfiles: topology.customerProfiles,
    createdAt,
    updatedAt,
  };
}

/** A schema that does not compile would fail every rollout's precheck: refuse it on the way in. */
function assertSchemaCompiles(schema: Record<string, unknown> | undefined): void {
  if (!schema) return;
  try {
    new Ajv2020({ strict: false }).compile(schema);
  } catch (err) {
    const message = `configSchema is not a valid JSON Schema: ${(err as Error).message}`;
    throw SluiceError.badInput(message, [{ field: 'configSchema', message }]);
  }
}

/**
 * A scenario Playwright cannot run would fail every judgement it is part of: refuse it on the
 * way in, with Playwright's own words (a syntax error, no tests).
 */
async function assertScenariosRun(scenarios: ServiceTopology['scenarios']): Promise<void> {
  const problems: Array<{ field: string; message: string }> = [];
  // two Playwright processes at a time: a service of fifty files does not fork fifty at once
  await forEachLimited(scenarios, 2, async (s, i) => {
    const problem = await scenarioProblem(s);
    if (problem !== null) problems.push({ field: `scenarios.${i}.source`, message: `${s.name}: ${problem}` });
  });
  if (problems.length > 0) {
    problems.sort((a, b) => a.field.localeCompare(b.field, 'en', { numeric: true }));
    throw SluiceError.badInput(
      `Invalid service: ${problems.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
      problems,
    );
  }
}

async function validTopology(input: RegisterServiceInput, policy: EndpointPolicy | undefined) {
  const topology = checkedTopology(input, policy);
  await assertScenariosRun(topology.scenarios);
  return topology;
}

function checkedTopology(input: RegisterServiceInput, policy: EndpointPolicy | undefined) {
  const topology = parseServiceTopology(withoutNulls(input));
  assertSchemaCompiles(topology.configSchema);
  const refused = topology.regions.flatMap((r, i) => {
    const problem = policy?.problem(r.endpoint);
    return problem ? [{ field: `regions.${i}.endpoint`, message: problem }] : [];
  });
  if (refused.length > 0) {
    throw SluiceError.badInput(
      `Invalid service: ${refused.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
      refused,
    );
  }
  return topology;
}

@Resolver(() => Service)
export class ServicesResolver {
  constructor(
    @Inject(SERVICE_CATALOG) private readonly catalog: PgServiceCatalog,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewayConfig,
  ) {}

  @Query(() => [Service], { description: 'Every registered service, by name.' })
  @RequireRole('viewer')
  async services(): Promise<Service[]> {
    return (await this.catalog.list()).map(toModel);
  }

  @Query(() => Service, { description: 'One service; NOT_FOUND when it is not registered.' })
  @RequireRole('viewer')
  async service(@Args('name') name: string): Promise<Service> {
    return toModel(await this.catalog.get(name));
  }

  @Mutation(() => Service, {
    description: 'Registers a service and its regions. Fails with ALREADY_EXISTS for a known name.',
  })
  @RequireRole('admin')
  async registerService(@Args('input') input: RegisterServiceInput): Promise<Service> {
    return toModel(await this.catalog.register(await validTopology(input, this.settings.endpointPolicy)));
  }

  @Mutation(() => Service, {
    description: 'Replaces a service’s regions, schema and freeze windows. Running rollouts keep their snapshot.',
  })
  @RequireRole('admin')
  async updateService(@Args('input') input: RegisterServiceInput): Promise<Service> {
    return toModel(await this.catalog.update(await validTopology(input, this.settings.endpointPolicy)));
  }
}
