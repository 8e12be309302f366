import type { DependencyField } from '../../domain/src/service/redundancy-policy';
import { forEachLimited } from '../../platform/src/concurrency';
import { DependencyReader } from './dependency-values';
import type { OtherDependency } from './spof-rules';

/** Where the fleet's configs are read from: the catalog, what Sluice last pushed, the config store. */
export interface FleetSources {
  catalog: { list(): Promise<Array<{ topology: { name: string; dependencyFields: readonly DependencyField[] } }>> };
  readModels: { regionVersions(service: string): Promise<Array<{ region: string; configHash: string | null }>> };
  configs: { find(hash: string): Promise<unknown> };
}

/** Reads at once: a catalog of hundreds of services is read in a few rounds. */
const READS = 8;

/**
 * The configs the redundancy rules read besides the change (docs/REDUNDANCY.md): a service's
 * regions as Sluice last pushed them (`region_versions`; a region it never pushed depends on
 * nothing it knows of), and every other service's primary dependencies. The gateway reads
 * them when a rollout is planned or started, the precheck again before any push.
 */
export class FleetConfigs {
  constructor(private readonly sources: FleetSources) {}

  /** Each region's config as Sluice last pushed it; null for a region it never pushed. */
  async current(service: string): Promise<Map<string, unknown>> {
    const rows = await this.sources.readModels.regionVersions(service);
    const bodies = new Map<string, unknown>();
    const hashes = [...new Set(rows.flatMap((r) => (r.configHash === null ? [] : [r.configHash])))];
    await forEachLimited(hashes, READS, async (hash) => {
      bodies.set(hash, (await this.sources.configs.find(hash)) ?? null);
    });
    return new Map(rows.map((r) => [r.region, r.configHash === null ? null : (bodies.get(r.configHash) ?? null)]));
  }

  /** The primary values every other service with dependency fields depends on now. */
  async others(service: string): Promise<OtherDependency[]> {
    const services = (await this.sources.catalog.list())
      .map((s) => s.topology)
      .filter((t) => t.name !== service && t.dependencyFields.length > 0);
    const found: OtherDependency[][] = [];
    await forEachLimited(services, READS, async (topology, i) => {
      const reader = new DependencyReader(topology.dependencyFields);
      found[i] = [...(await this.current(topology.name)).values()].flatMap((config) =>
        [...reader.read(config)].flatMap(([kind, values]) =>
          values.primary.map((value) => ({ service: topology.name, kind, value })),
        ),
      );
    });
    return found.flat();
  }
}
