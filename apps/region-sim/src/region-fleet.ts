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
  /**
   * Goes up by one on every accepted write (PUT or DELETE), even one that changes no content,
   * like etcd's mod_revision: a write conditioned on a revision is fenced by any later write.
   */
  revision: number;
}

/** Faults injected into the simulator itself (not carried by a config): for tests and demos. */
export interface RegionFaults {
  /** `GET /health` answers 503. */
  unhealthy: boolean;
  /** The next N pushes answer 503. */
  failNextPushes: number;
  /** Every push answers 503 until cleared. */
  failAllPushes: boolean;
  /** Every push answers 422 (refused for good, not worth retrying) until cleared. */
  rejectAllPushes: boolean;
  /** `GET /probe` answers this status whatever the config says (0: no override). */
  probeStatus: number;
  /** A push is applied at once but answered this many ms later: a crash in between loses only the answer. */
  slowPushMs: number;
  /** A push (PUT) is neither applied nor answered until the caller gives up: a region that hangs. */
  stallPushes: boolean;
  /** `GET /probe` answers this many ms late: a slow health check keeps a gate evaluation in flight. */
  probeDelayMs: number;
  /** `GET /health` answers this many ms late: slow prechecks. */
  healthDelayMs: number;
  /** Every `/config` and `/health` request (read, push, clear) waits this long first: a region across a real network. */
  latencyMs: number;
  /**
   * The next N writes (PUT or DELETE) are held: neither applied nor answered until
   * `releaseHeld`, then applied if their If-Match still holds. A request that lands late.
   */
  holdNextPushes: number;
  /** `GET /config` answers `config: null` beside a version: a region that breaks the contract. */
  answerWithoutConfig: boolean;
}

const NO_FAULTS: RegionFaults = {
  unhealthy: false,
  failNextPushes: 0,
  failAllPushes: false,
  rejectAllPushes: false,
  probeStatus: 0,
  slowPushMs: 0,
  stallPushes: false,
  probeDelayMs: 0,
  healthDelayMs: 0,
  latencyMs: 0,
  holdNextPushes: 0,
  answerWithoutConfig: false,
};

export type PushAdmission = 'accept' | 'unavailable' | 'reject';

export interface PushRequest {
  region: string;
  /** The version asked for; null for a clear (DELETE). */
  version: string | null;
  at: Date;
}

/**
 * `stale`: the write named a revision (If-Match) the region no longer has; nothing changed.
 * `conflict`: the live version label with other content.
 */
export type ApplyOutcome = { kind: 'applied' | 'unchanged' | 'conflict' | 'stale'; record: RegionRecord };

/** The revision a write is conditioned on (its If-Match); undefined: unconditional. */
export type ExpectedRevision = number | undefined;

/** The in-memory state of the simulated regions: one live config and version each. */
export class RegionFleet {
  private readonly regions = new Map<string, RegionRecord>();
  private readonly faults = new Map<string, RegionFaults>();
  /** Push requests received, in order, including refused and idempotent ones. */
  private readonly pushLog: PushRequest[] = [];
  /** Writes held by `holdNextPushes`, per region, each waiting for `releaseHeld`. */
  private readonly held = new Map<string, Array<() => void>>();

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
        revision: 0,
      });
    }
  }

  list(): RegionRecord[] {
    return [...this.regions.values()];
  }

  get(region: string): RegionRecord | undefined {
    return this.regions.get(region);
  }

  faultsOf(region: string): RegionFaults {
    return this.faults.get(region) ?? NO_FAULTS;
  }

  setFaults(region: string, faults: Partial<RegionFaults>): RegionFaults | undefined {
    if (!this.regions.has(region)) return undefined;
    const next = { ...this.faultsOf(region), ...faults };
    this.faults.set(region, next);
    return next;
  }

  pushRequestCount(region: string): number {
    return this.pushRequests(region).length;
  }

  /** The push requests a region received, oldest first (a clear has version null). */
  pushRequests(region: string): PushRequest[] {
    return this.pushLog.filter((p) => p.region === region);
  }

  /**
   * Resolves when the write may go on: at once, or, while `holdNextPushes` counts, once
   * `releaseHeld` lets it go.
   */
  holdIfAsked(region: string): Promise<void> {
    const faults = this.faultsOf(region);
    if (faults.holdNextPushes <= 0) return Promise.resolve();
    this.faults.set(region, { ...faults, holdNextPushes: faults.holdNextPushes - 1 });
    return new Promise((resolve) => this.held.set(region, [...(this.held.get(region) ?? []), resolve]));
  }

  /**
   * Lets every held write of the region go on; resolves, with how many there were, once each
   * has been applied or refused (it goes on as soon as it is released).
   */
  async releaseHeld(region: string): Promise<number> {
    const waiting = this.held.get(region) ?? [];
    this.held.delete(region);
    for (const release of waiting) release();
    await new Promise((resolve) => setImmediate(resolve));
    return waiting.length;
  }

  heldCount(region: string): number {
    return this.held.get(region)?.length ?? 0;
  }

  /** Logs a push request and says whether an injected fault refuses it. */
  admitPush(region: string, version: string | null): PushAdmission {
    this.pushLog.push({ region, version, at: this.now() });
    const faults = this.faultsOf(region);
    if (faults.rejectAllPushes) return 'reject';
    if (faults.failAllPushes) return 'unavailable';
    if (faults.failNextPushes > 0) {
      this.faults.set(region, { ...faults, failNextPushes: faults.failNextPushes - 1 });
      return 'unavailable';
    }
    return 'accept';
  }

  /** Removes the region's config, as if it never had one (what rolling back a first push means). */
  clear(region: string, expected?: ExpectedRevision): ApplyOutcome | undefined {
    const current = this.regions.get(region);
    if (!current) return undefined;
    if (expected !== undefined && current.revision !== expected) return { kind: 'stale', record: current };
    if (current.version === null) return this.touch(current);
    const next: RegionRecord = {
      region,
      version: null,
      config: null,
      configHash: null,
      appliedAt: this.now().toISOString(),
      previousVersion: current.version,
      previousConfig: current.config,
      applyCount: current.applyCount + 1,
      revision: current.revision + 1,
    };
    this.regions.set(region, next);
    return { kind: 'applied', record: next };
  }

  /**
   * Applies `version` with `config`. Re-pushing the live version with the same content is a
   * no-op; the same version with other content is a conflict, because a version label must
   * name exactly one config.
   */
  apply(
    region: string,
    version: string,
    config: Record<string, unknown>,
    expected?: ExpectedRevision,
  ): ApplyOutcome | undefined {
    const current = this.regions.get(region);
    if (!current) return undefined;
    if (expected !== undefined && current.revision !== expected) return { kind: 'stale', record: current };
    if (current.version === version) {
      const same = current.config !== null && canonicalJson(current.config) === canonicalJson(config);
      return same ? this.touch(current) : { kind: 'conflict', record: current };
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
      revision: current.revision + 1,
    };
    this.regions.set(region, next);
    return { kind: 'applied', record: next };
  }

  /** A write that changes no content still takes a new revision, so it fences older conditions. */
  private touch(current: RegionRecord): ApplyOutcome {
    const next = { ...current, revision: current.revision + 1 };
    this.regions.set(current.region, next);
    return { kind: 'unchanged', record: next };
  }
}
