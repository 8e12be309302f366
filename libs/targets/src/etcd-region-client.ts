import {
  Etcd3,
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdPermissionDeniedError,
  GRPCUnauthenticatedError,
} from 'etcd3';
import { ErrorCode, etcdEndpointProblem, etcdHosts, SluiceError } from '../../domain/src';
import { configHash } from './config-hash';
import { resolveSecret } from './secret-reference';
import type { HealthResult, ProbeResponse, PushResult, RegionClient, RegionConfigState } from './region-client';

/**
 * A region whose config is one etcd key (docs/TARGETS.md). The endpoint names the cluster and
 * the key: `etcd://[user@]host:port/<key>[?host=host2:port…]`, with the password named by reference
 * (`?passwordEnv=NAME` or `?passwordFile=/path`), never written in the URL. The value is an
 * envelope, `{"version", "configHash", "config"}`; the revision is the key's `mod_revision`
 * (0 when the key is absent), and a conditional write is a transaction comparing it, so a
 * writer that got in between is REGION_CHANGED, never a lost update.
 */
export interface EtcdTarget {
  hosts: string[];
  key: string;
  username?: string;
  /** Where the password comes from, for messages: `env NAME` or `file /path`. */
  passwordFrom?: string;
  password?: string;
}

const envelopeProblem = (key: string, problem: string) =>
  new SluiceError(ErrorCode.RegionProtocol, `etcd key ${key} does not hold a Sluice envelope: ${problem}`, { key });

/** Reads an `etcd://` endpoint; the password is resolved from its reference here, and kept out of every message. */
export function parseEtcdEndpoint(endpoint: string): EtcdTarget {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new SluiceError(ErrorCode.BadUserInput, 'not an etcd:// endpoint', { endpoint: redact(endpoint) });
  }
  if (url.protocol !== 'etcd:') throw new SluiceError(ErrorCode.BadUserInput, 'not an etcd:// endpoint');
  // the same checks as registerService's, for an endpoint that reached here another way
  const problem = etcdEndpointProblem(endpoint);
  if (problem) throw new SluiceError(ErrorCode.BadUserInput, problem);
  const key = decodeURIComponent(url.pathname.replace(/^\/+/, ''));
  const hosts = etcdHosts(endpoint).map((h) => `http://${h}`);
  const target: EtcdTarget = { hosts, key };
  if (url.username) target.username = decodeURIComponent(url.username);
  const password = resolveSecret(url.searchParams, { env: 'passwordEnv', file: 'passwordFile' }, 'etcd password');
  if (password) Object.assign(target, { password: password.value, passwordFrom: password.from });
  return target;
}

/** The endpoint as it may be shown: no query (it only names references, but is kept out anyway). */
const redact = (endpoint: string) => endpoint.replace(/\?.*$/, '');

export class EtcdRegionClient implements RegionClient {
  private readonly clients = new Map<string, Etcd3>();

  constructor(private readonly timeoutMs = 5_000) {}

  async read(endpoint: string): Promise<RegionConfigState> {
    const target = parseEtcdEndpoint(endpoint);
    return this.call(target, endpoint, 'read', async (etcd) => {
      const answer = await etcd.get(target.key).exec();
      const kv = answer.kvs[0];
      if (!kv) return absent(endpoint);
      return stateOf(endpoint, target.key, kv.value.toString('utf8'), Number(kv.mod_revision));
    });
  }

  async push(
    endpoint: string,
    version: string,
    config: Record<string, unknown>,
    ifRevision?: number,
  ): Promise<PushResult> {
    const target = parseEtcdEndpoint(endpoint);
    const current = await this.read(endpoint);
    const hash = configHash(config);
    if (current.version === version && current.configHash === hash) {
      return { ...current, previousVersion: current.version, changed: false };
    }
    const expected = ifRevision ?? current.revision;
    const value = JSON.stringify({ version, configHash: hash, config });
    const revision = await this.call(target, endpoint, 'push', async (etcd) => {
      const result = await etcd.if(target.key, 'Mod', '==', expected).then(etcd.put(target.key).value(value)).commit();
      if (!result.succeeded) throw changed(target.key, expected);
      return Number(result.header.revision);
    });
    return {
      region: redact(endpoint),
      version,
      config,
      configHash: hash,
      revision,
      previousVersion: current.version,
      changed: true,
    };
  }

  async clear(endpoint: string, ifRevision?: number): Promise<RegionConfigState> {
    const target = parseEtcdEndpoint(endpoint);
    await this.call(target, endpoint, 'clear', async (etcd) => {
      if (ifRevision === undefined) {
        await etcd.delete().key(target.key).exec();
        return;
      }
      const result = await etcd.if(target.key, 'Mod', '==', ifRevision).then(etcd.delete().key(target.key)).commit();
      if (!result.succeeded) throw changed(target.key, ifRevision);
    });
    return absent(endpoint);
  }

  async health(endpoint: string): Promise<HealthResult> {
    const target = parseEtcdEndpoint(endpoint);
    return this.call(target, endpoint, 'health', async (etcd) => {
      const status = await etcd.maintenance.status();
      return { healthy: true, status: 200, detail: `etcd ${status.version}, leader ${status.leader}` };
    });
  }

  /** etcd regions have no customer path to probe: their gates read Prometheus. */
  probe(endpoint: string): Promise<ProbeResponse> {
    return Promise.reject(
      new SluiceError(
        ErrorCode.GateMisconfigured,
        `${redact(endpoint)} is an etcd key: a probe gate needs an HTTP endpoint (use a prometheus or canary gate)`,
      ),
    );
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private client(target: EtcdTarget): Etcd3 {
    const id = JSON.stringify([target.hosts, target.username ?? null, target.password ?? null]);
    let client = this.clients.get(id);
    if (!client) {
      client = new Etcd3({
        hosts: target.hosts,
        dialTimeout: this.timeoutMs,
        ...(target.username ? { auth: { username: target.username, password: target.password ?? '' } } : {}),
      });
      this.clients.set(id, client);
    }
    return client;
  }

  /** One call with a deadline; etcd's errors become Sluice's codes, with no secret in them. */
  private async call<T>(target: EtcdTarget, endpoint: string, what: string, work: (etcd: Etcd3) => Promise<T>) {
    const where = `etcd ${what} ${redact(endpoint)}`;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SluiceError(ErrorCode.RegionUnreachable, `${where}: no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([work(this.client(target)), deadline]);
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      if (
        err instanceof EtcdAuthenticationFailedError ||
        err instanceof EtcdPermissionDeniedError ||
        err instanceof EtcdInvalidAuthTokenError ||
        err instanceof GRPCUnauthenticatedError
      ) {
        const who = target.username ? ` as ${target.username}` : ' without credentials';
        throw new SluiceError(ErrorCode.RegionRejectedPush, `${where}: etcd refused the credentials${who}`, {
          key: target.key,
        });
      }
      const message = err instanceof Error ? err.message : String(err);
      throw new SluiceError(ErrorCode.RegionUnreachable, `${where} failed: ${scrub(message, target)}`, {
        key: target.key,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

function absent(endpoint: string): RegionConfigState {
  return { region: redact(endpoint), version: null, config: null, configHash: null, revision: 0 };
}

function changed(key: string, expected: number): SluiceError {
  return new SluiceError(
    ErrorCode.RegionChanged,
    `etcd key ${key} is no longer at revision ${expected}: it changed since Sluice read it`,
    { key, expectedRevision: expected },
  );
}

function stateOf(endpoint: string, key: string, text: string, revision: number): RegionConfigState {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw envelopeProblem(key, `not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  const envelope = body as { version?: unknown; configHash?: unknown; config?: unknown };
  if (typeof envelope !== 'object' || envelope === null) throw envelopeProblem(key, 'not an object');
  if (typeof envelope.version !== 'string' || envelope.version === '') throw envelopeProblem(key, 'no version');
  const config = envelope.config;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw envelopeProblem(key, `version ${envelope.version} without its config object`);
  }
  const hash = configHash(config as Record<string, unknown>);
  if (envelope.configHash !== undefined && envelope.configHash !== hash) {
    throw envelopeProblem(key, `configHash ${String(envelope.configHash)} is not the config's (${hash})`);
  }
  return {
    region: redact(endpoint),
    version: envelope.version,
    config: config as Record<string, unknown>,
    configHash: hash,
    revision,
  };
}

/** A password never reaches a message, even if a library echoed it. */
function scrub(message: string, target: EtcdTarget): string {
  return target.password ? message.split(target.password).join('***') : message;
}
