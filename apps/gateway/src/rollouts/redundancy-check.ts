import { Inject, Injectable } from '@nestjs/common';
import type { ServiceTopology } from '../../../../libs/domain/src';
import type { PgConfigStore } from '../../../../libs/config-store/src';
import type { ReadModels } from '../../../../libs/projections/src';
import {
  checkRedundancy,
  DependencyReader,
  type OtherDependency,
  type RedundancyCheck,
  wholeFleet,
} from '../../../../libs/redundancy/src';
import type { PgServiceCatalog } from '../../../../libs/service-catalog/src';
import { CONFIG_STORE, READ_MODELS, SERVICE_CATALOG } from '../gateway.tokens';

/**
 * The redundancy rules (docs/REDUNDANCY.md) for a change about to be planned or started: the
 * fleet's current configs are the ones Sluice last pushed (`region_versions`); a region it
 * never pushed depends on nothing it knows of. Other services' values come the same way.
 */
@Injectable()
export class RedundancyChecker {
  constructor(
    @Inject(SERVICE_CATALOG) private readonly catalog: PgServiceCatalog,
    @Inject(CONFIG_STORE) private readonly configs: PgConfigStore,
    @Inject(READ_MODELS) private readonly readModels: ReadModels,
  ) {}

  /**
   * `next`: each region's config after the change. Null when the service declares no
   * dependency fields: there is nothing to read.
   */
  async check(topology: ServiceTopology, next: (region: string) => unknown): Promise<RedundancyCheck | null> {
    if (topology.dependencyFields.length === 0) return null;
    return checkRedundancy({
      regions: wholeFleet(topology.regions, await this.currentConfigs(topology.name), next),
      fields: topology.dependencyFields,
      policy: topology.redundancy,
      others: await this.otherServices(topology.name),
    });
  }

  private async currentConfigs(service: string): Promise<Map<string, unknown>> {
    const rows = await this.readModels.regionVersions(service);
    const bodies = new Map<string, unknown>();
    for (const { configHash } of rows) {
      if (configHash !== null && !bodies.has(configHash)) bodies.set(configHash, await this.configs.find(configHash));
    }
    return new Map(rows.map((r) => [r.region, (r.configHash !== null && bodies.get(r.configHash)) || null]));
  }

  /** The primary values every other service with dependency fields depends on now. */
  private async otherServices(service: string): Promise<OtherDependency[]> {
    const others: OtherDependency[] = [];
    for (const { topology } of await this.catalog.list()) {
      if (topology.name === service || topology.dependencyFields.length === 0) continue;
      const reader = new DependencyReader(topology.dependencyFields);
      for (const config of (await this.currentConfigs(topology.name)).values()) {
        for (const [kind, values] of reader.read(config)) {
          for (const value of values.primary) others.push({ service: topology.name, kind, value });
        }
      }
    }
    return others;
  }
}
