import { ErrorCode, SluiceError, targetKindOf, type TargetKind } from '../../domain/src';
import { EndpointPolicy } from './endpoint-policy';
import { EtcdRegionClient } from './etcd-region-client';
import { GitRegionClient } from './git-region-client';
import { KubernetesRegionClient } from './kubernetes-region-client';
import { UnleashRegionClient } from './unleash-region-client';
import {
  HttpRegionClient,
  type ChangeContext,
  type HealthResult,
  type ProbeResponse,
  type PushResult,
  type RegionClient,
} from './region-client';
import type { RegionConfigState } from './region-contract';

/** The adapter's kind for an endpoint (targetKindOf); an unknown scheme is refused. */
export function targetKind(endpoint: string): TargetKind {
  const kind = targetKindOf(endpoint);
  if (kind) return kind;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(endpoint)?.[1]?.toLowerCase();
  throw new SluiceError(
    ErrorCode.BadUserInput,
    `no deployment target for ${scheme ? `${scheme}: endpoints` : 'an endpoint without a scheme'} (known: http, https, etcd, git+file, git+ssh, git+https, unleash+http, unleash+https, kubernetes+https)`,
  );
}

/** One RegionClient over every kind: each call goes to the adapter the endpoint's scheme names. */
export class TargetRegistryClient implements RegionClient {
  constructor(
    private readonly http: RegionClient = new HttpRegionClient(),
    private readonly etcd = new EtcdRegionClient(),
    private readonly git = new GitRegionClient(),
    private readonly unleash = new UnleashRegionClient(),
    private readonly kubernetes = new KubernetesRegionClient(),
  ) {}

  /** Endpoints the allow- and deny-lists refuse are refused here too, before any call. */
  policy = new EndpointPolicy();

  private adapter(endpoint: string): RegionClient {
    const refused = this.policy.problem(endpoint);
    if (refused) throw new SluiceError(ErrorCode.RegionRejectedPush, `not calling this region: ${refused}`);
    const adapters: Record<TargetKind, RegionClient> = {
      http: this.http,
      etcd: this.etcd,
      git: this.git,
      unleash: this.unleash,
      kubernetes: this.kubernetes,
    };
    return adapters[targetKind(endpoint)];
  }

  async push(
    endpoint: string,
    version: string,
    config: Record<string, unknown>,
    ifRevision?: number,
    change?: ChangeContext,
  ): Promise<PushResult> {
    return this.adapter(endpoint).push(endpoint, version, config, ifRevision, change);
  }

  async read(endpoint: string): Promise<RegionConfigState> {
    return this.adapter(endpoint).read(endpoint);
  }

  async clear(endpoint: string, ifRevision?: number, change?: ChangeContext): Promise<RegionConfigState> {
    return this.adapter(endpoint).clear(endpoint, ifRevision, change);
  }

  async health(endpoint: string): Promise<HealthResult> {
    return this.adapter(endpoint).health(endpoint);
  }

  async probe(endpoint: string, path: string, timeoutMs: number): Promise<ProbeResponse> {
    return this.adapter(endpoint).probe(endpoint, path, timeoutMs);
  }

  close(): void {
    this.etcd.close();
    this.git.close();
    this.unleash.close();
  }
}
