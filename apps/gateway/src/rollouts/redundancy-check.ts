import { Inject, Injectable } from '@nestjs/common';
import type { ServiceTopology } from '../../../../libs/domain/src';
import type { PgConfigStore } from '../../../../libs/config-store/src';
import type { ReadModels } from '../../../../libs/projections/src';
import { checkRedundancy, FleetConfigs, type RedundancyCheck, wholeFleet } from '../../../../libs/redundancy/src';
import type { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import { CONFIG_STORE, READ_MODELS, SERVICE_CATALOG } from '../gateway.tokens';

/**
 * The redundancy rules (docs/REDUNDANCY.md) for a change about to be planned or started,
 * against the fleet's configs as Sluice last pushed them and other services' dependencies.
 */
@Injectable()
export class RedundancyChecker {
  private readonly fleet: FleetConfigs;

  constructor(
    @Inject(SERVICE_CATALOG) catalog: PgServiceCatalog,
    @Inject(CONFIG_STORE) configs: PgConfigStore,
    @Inject(READ_MODELS) readModels: ReadModels,
  ) {
    this.fleet = new FleetConfigs({ catalog, configs, readModels });
  }

  /**
   * `next`: each region's config after the change. Null when the service declares no
   * dependency fields: there is nothing to read.
   */
  async check(topology: ServiceTopology, next: (region: string) => unknown): Promise<RedundancyCheck | null> {
    if (topology.dependencyFields.length === 0) return null;
    const [current, others] = await Promise.all([this.fleet.current(topology.name), this.fleet.others(topology.name)]);
    return checkRedundancy({
      regions: wholeFleet(topology.regions, current, next),
      fields: topology.dependencyFields,
      policy: topology.redundancy,
      others,
    });
  }
}
