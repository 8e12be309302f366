import { Inject } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { parseServiceTopology } from '../../../../libs/domain/src';
import type { PgServiceCatalog, RegisteredService } from '../../../../libs/service-catalog/src';
import { SERVICE_CATALOG } from '../gateway.tokens';
import { RegisterServiceInput } from './dto/register-service.input';
import { RegionTierValue } from './models/region.model';
import { Service } from './models/service.model';

function toModel({ topology, createdAt, updatedAt }: RegisteredService): Service {
  return {
    name: topology.name,
    regions: topology.regions.map((r) => ({ ...r, tier: r.tier as RegionTierValue, pair: r.pair ?? null })),
    createdAt,
    updatedAt,
  };
}

/** Omits GraphQL's explicit nulls so the domain's defaults apply to fields left out. */
function withoutNulls<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as T;
}

@Resolver(() => Service)
export class ServicesResolver {
  constructor(@Inject(SERVICE_CATALOG) private readonly catalog: PgServiceCatalog) {}

  @Query(() => [Service], { description: 'Every registered service, by name.' })
  async services(): Promise<Service[]> {
    return (await this.catalog.list()).map(toModel);
  }

  @Query(() => Service, { description: 'One service; NOT_FOUND when it is not registered.' })
  async service(@Args('name') name: string): Promise<Service> {
    return toModel(await this.catalog.get(name));
  }

  @Mutation(() => Service, {
    description: 'Registers a service and its regions. Fails with ALREADY_EXISTS for a known name.',
  })
  async registerService(@Args('input') input: RegisterServiceInput): Promise<Service> {
    const topology = parseServiceTopology({ name: input.name, regions: input.regions.map(withoutNulls) });
    return toModel(await this.catalog.register(topology));
  }
}
