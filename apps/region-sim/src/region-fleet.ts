import { canonicalJson } from '../../../libs/domain/src';
import { configHash } from '../../../libs/targets/src';

export const DEFAULT_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1', 'ap-south-1'];

export interface RegionRecord {
  region: string;
  version: string | null;
  config: Record<string, unknown> | null;
  configHash: string | null;
  appliedAt: string | null;
  /** What the push that set this version replaced, so an idempotent re-push still reports it. */
  previousVersion: string | null;
  previousConfig: Record<string, unknown> | null;
  /** How many pushes actually changed the region; an idempotent re-push does not count. */
  applyCount: number;
}

export type ApplyOutcome =
  { kind: 'applied' | 'unchanged'; record: RegionRecord } | { kind: 'conflict'; record: RegionRecord };

/** The in-memory state of the simulated regions: one live config and version each. */
export class RegionFleet {
  private readonly regions = new Map<string, RegionRecord>();

  constructor(
    names: readonly string[],
    private readonly now: () => Date = () => new Date(),
  ) {
    for (const region of names) {
      this.regions.set(region, {
        region,
        version: null,
        config: null,
        configHash: null,
        appliedAt: null,
        previousVersion: null,
        previousConfig: null,
        applyCount: 0,
      });
    }
  }

  list(): RegionRecord[] {
    return [...this.regions.values()];
  }

  get(region: string): RegionRecord | undefined {
    return this.regions.get(region);
  }

  /**
   * Applies `version` with `config`. Re-pushing the live version with the same content is a
   * no-op; the same version with other content is a conflict, because a version label must
   * name exactly one config.
   */
  apply(region: string, version: string, config: Record<string, unknown>): ApplyOutcome | undefined {
    const current = this.regions.get(region);
    if (!current) return undefined;
    if (current.version === version) {
      const same = current.config !== null && canonicalJson(current.config) === canonicalJson(config);
      return { kind: same ? 'unchanged' : 'conflict', record: current };
    }
    const next: RegionRecord = {
      region,
      version,
      config,
      configHash: configHash(config),
      appliedAt: this.now().toISOString(),
      previousVersion: current.version,
      previousConfig: current.config,
      applyCount: current.applyCount + 1,
    };
    this.regions.set(region, next);
    return { kind: 'applied', record: next };
  }
}
