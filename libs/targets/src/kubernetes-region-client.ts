import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { ErrorCode, kubernetesEndpointProblem, SluiceError } from '../../domain/src';
import { configHash } from './config-hash';
import type {
  ChangeContext,
  HealthResult,
  ProbeResponse,
  PushResult,
  RegionClient,
  RegionConfigState,
} from './region-client';
import { resolveSecret } from './secret-reference';

/**
 * A region whose config is one key of a Kubernetes ConfigMap (docs/TARGETS.md):
 * `kubernetes+https://api.host:6443/namespaces/<ns>/configmaps/<name>[?key=config.json]`, the
 * bearer token by reference (`tokenEnv=NAME` or `tokenFile=/path`) and the cluster's CA as a
 * file (`caFile=/path`; the system's CAs otherwise). The ConfigMap holds the config as JSON
 * under `key`, and Sluice's annotations: the version, the config hash, the rollout and the
 * actor. The revision is the object's `resourceVersion` (0 when absent). Writes are
 * conditional: a create is a `POST` (409 AlreadyExists when someone got there first); an
 * update is a server-side apply (`fieldManager=sluice`) carrying the resourceVersion Sluice
 * read, so a writer in between is 409 Conflict; a clear is a `DELETE` with a resourceVersion
 * precondition. Each of those is REGION_CHANGED, never a lost update.
 */
export interface KubernetesTarget {
  server: string;
  namespace: string;
  name: string;
  key: string;
  token?: string;
  tokenFrom?: string;
  ca?: string;
}

export const ANNOTATIONS = {
  version: 'sluice.dev/version',
  configHash: 'sluice.dev/config-hash',
  rollout: 'sluice.dev/rollout',
  actor: 'sluice.dev/actor',
} as const;

const DEFAULT_KEY = 'config.json';

interface ConfigMap {
  kind?: string;
  metadata?: { resourceVersion?: string; annotations?: Record<string, string> };
  data?: Record<string, unknown>;
}

/** Reads a `kubernetes+https://` endpoint; the token is resolved from its reference here, and kept out of every message. */
export function parseKubernetesEndpoint(endpoint: string): KubernetesTarget {
  const problem = URL.canParse(endpoint) ? kubernetesEndpointProblem(endpoint) : 'not a URL';
  if (problem) throw new SluiceError(ErrorCode.BadUserInput, `not a usable kubernetes endpoint: ${problem}`);
  const url = new URL(endpoint);
  const [, namespace, name] = /^\/namespaces\/([^/]+)\/configmaps\/([^/]+)$/.exec(url.pathname)!;
  const target: KubernetesTarget = {
    server: `https://${url.host}`,
    namespace,
    name,
    key: url.searchParams.get('key') ?? DEFAULT_KEY,
  };
  const token = resolveSecret(url.searchParams, { env: 'tokenEnv', file: 'tokenFile' }, 'Kubernetes token');
  if (token) Object.assign(target, { token: token.value, tokenFrom: token.from });
  const caFile = url.searchParams.get('caFile');
  if (caFile) {
    try {
      target.ca = readFileSync(caFile, 'utf8');
    } catch {
      throw new SluiceError(ErrorCode.RegionRejectedPush, `the cluster CA file ${caFile} cannot be read`);
    }
  }
  return target;
}

/** The endpoint as it may be shown: no query. */
const redact = (endpoint: string) => endpoint.replace(/\?.*$/, '');
const where = (t: KubernetesTarget) => `configmap ${t.namespace}/${t.name}`;

export class KubernetesRegionClient implements RegionClient {
  constructor(private readonly timeoutMs = 5_000) {}

  async read(endpoint: string): Promise<RegionConfigState> {
    const target = parseKubernetesEndpoint(endpoint);
    const { status, body } = await this.call(target, 'GET', this.objectPath(target));
    if (status === 404) return absent(endpoint);
    return stateOf(endpoint, target, expectMap(target, body));
  }

  async push(
    endpoint: string,
    version: string,
    config: Record<string, unknown>,
    ifRevision?: number,
    change?: ChangeContext,
  ): Promise<PushResult> {
    const target = parseKubernetesEndpoint(endpoint);
    const current = await this.read(endpoint);
    const hash = configHash(config);
    if (current.version === version && current.configHash === hash) {
      return { ...current, previousVersion: current.version, changed: false };
    }
    const expected = ifRevision ?? current.revision;
    const object = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: target.name,
        namespace: target.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'sluice' },
        annotations: {
          [ANNOTATIONS.version]: version,
          [ANNOTATIONS.configHash]: hash,
          ...(change ? { [ANNOTATIONS.rollout]: change.rolloutId, [ANNOTATIONS.actor]: change.actor } : {}),
        },
        ...(expected > 0 ? { resourceVersion: String(expected) } : {}),
      },
      data: { [target.key]: `${JSON.stringify(config, null, 2)}\n` },
    };
    // Absent when read: create, which fails if anyone created it since. Present: apply with
    // the resourceVersion read, which fails if anyone changed it since.
    const answer =
      expected === 0
        ? await this.call(target, 'POST', `${this.collectionPath(target)}?fieldManager=sluice`, object)
        : await this.call(
            target,
            'PATCH',
            `${this.objectPath(target)}?fieldManager=sluice&force=true`,
            object,
            'application/apply-patch+yaml',
          );
    if (answer.status === 409) throw changed(target, expected);
    if (answer.status === 404) throw missingNamespace(target, answer.body);
    const written = stateOf(endpoint, target, expectMap(target, answer.body));
    return { ...written, previousVersion: current.version, changed: true };
  }

  /**
   * Removes the config: deletes the ConfigMap when the config is all it holds, else puts back
   * the object without Sluice's key and annotations (other keys are someone else's). Both are
   * conditional on the resourceVersion: `ifRevision`, else the one read.
   */
  async clear(endpoint: string, ifRevision?: number): Promise<RegionConfigState> {
    const target = parseKubernetesEndpoint(endpoint);
    const found = await this.call(target, 'GET', this.objectPath(target));
    if (found.status === 404) {
      if (ifRevision) throw changed(target, ifRevision);
      return absent(endpoint);
    }
    const map = expectMap(target, found.body);
    const revision = Number(map.metadata!.resourceVersion);
    if (ifRevision !== undefined && ifRevision !== revision) throw changed(target, ifRevision);
    const others = Object.keys(map.data ?? {}).filter((key) => key !== target.key);
    let answer: { status: number; body: unknown };
    if (others.length === 0) {
      answer = await this.call(target, 'DELETE', this.objectPath(target), {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        preconditions: { resourceVersion: String(revision) },
      });
    } else {
      const { [target.key]: _ours, ...data } = map.data ?? {};
      const annotations = Object.fromEntries(
        Object.entries(map.metadata!.annotations ?? {}).filter(
          ([k]) => !Object.values(ANNOTATIONS).includes(k as never),
        ),
      );
      answer = await this.call(target, 'PUT', this.objectPath(target), {
        ...map,
        metadata: { ...map.metadata, annotations },
        data,
      });
    }
    if (answer.status === 409 || answer.status === 404) throw changed(target, revision);
    return others.length === 0
      ? absent(endpoint)
      : { ...absent(endpoint), revision: Number((answer.body as ConfigMap).metadata?.resourceVersion ?? 0) };
  }

  /** Healthy when the token may read the ConfigMap (or its absence): /readyz would answer any token. */
  async health(endpoint: string): Promise<HealthResult> {
    const target = parseKubernetesEndpoint(endpoint);
    const { status } = await this.call(target, 'GET', this.objectPath(target));
    return {
      healthy: true,
      status: 200,
      detail: `kubernetes ${target.server}: ${where(target)} ${status === 404 ? 'absent' : 'readable'}`,
    };
  }

  probe(endpoint: string): Promise<ProbeResponse> {
    return Promise.reject(
      new SluiceError(
        ErrorCode.GateMisconfigured,
        `${redact(endpoint)} is a Kubernetes ConfigMap: a probe gate needs an HTTP endpoint (use a prometheus or canary gate)`,
      ),
    );
  }

  private collectionPath(t: KubernetesTarget): string {
    return `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/configmaps`;
  }

  private objectPath(t: KubernetesTarget): string {
    return `${this.collectionPath(t)}/${encodeURIComponent(t.name)}`;
  }

  /**
   * One API call with a deadline. 401/403 are REGION_REJECTED_PUSH (credentials, not retried),
   * a redirect is refused naming its location, 5xx and no answer are REGION_UNREACHABLE; 200,
   * 201, 404 and 409 are answered for the caller to read.
   */
  private call(
    target: KubernetesTarget,
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; body: unknown }> {
    const what = `kubernetes ${method} ${where(target)} at ${target.server}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        `${target.server}${path}`,
        {
          method,
          ca: target.ca,
          timeout: this.timeoutMs,
          headers: {
            accept: 'application/json',
            ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
            ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text = (text + chunk).slice(0, 1_000_000)));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 300 && status < 400) {
              return reject(
                new SluiceError(
                  ErrorCode.RegionRejectedPush,
                  `${what}: redirected to ${String(res.headers.location)}; not followed`,
                ),
              );
            }
            if (status === 401 || status === 403) {
              const who = target.tokenFrom ? ` (token from ${target.tokenFrom})` : ' (no token)';
              return reject(
                new SluiceError(
                  ErrorCode.RegionRejectedPush,
                  `${what}: the cluster refused the credentials${who}: ${statusMessage(text)}`,
                ),
              );
            }
            if (status >= 500 || status === 0) {
              return reject(
                new SluiceError(ErrorCode.RegionUnreachable, `${what}: answered ${status}: ${statusMessage(text)}`),
              );
            }
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              return reject(
                new SluiceError(
                  ErrorCode.RegionProtocol,
                  `${what}: answered ${status} without JSON: ${JSON.stringify(text.slice(0, 120))}`,
                ),
              );
            }
            if (![200, 201, 404, 409].includes(status)) {
              return reject(
                new SluiceError(ErrorCode.RegionRejectedPush, `${what}: answered ${status}: ${statusMessage(text)}`),
              );
            }
            resolve({ status, body: parsed });
          });
        },
      );
      req.once('timeout', () =>
        req.destroy(new SluiceError(ErrorCode.RegionUnreachable, `${what}: no answer within ${this.timeoutMs} ms`)),
      );
      req.once('error', (err) =>
        reject(
          err instanceof SluiceError
            ? err
            : new SluiceError(ErrorCode.RegionUnreachable, `${what} failed: ${err.message}`),
        ),
      );
      req.end(payload);
    });
  }
}

/** A Kubernetes `Status` answer's message, short; anything else, a short excerpt. */
function statusMessage(text: string): string {
  try {
    const status = JSON.parse(text) as { message?: string };
    if (status.message) return status.message.slice(0, 300);
  } catch {
    // not JSON
  }
  // eslint-disable-next-line no-control-regex -- control characters are what is stripped
  return JSON.stringify(text.slice(0, 120).replace(/[\u0000-\u001f\u007f]/g, ' '));
}

function expectMap(target: KubernetesTarget, body: unknown): ConfigMap {
  const map = body as ConfigMap;
  if (typeof map !== 'object' || map === null || map.kind !== 'ConfigMap' || !map.metadata?.resourceVersion) {
    throw protocol(target, 'the answer is not a ConfigMap');
  }
  return map;
}

const protocol = (t: KubernetesTarget, problem: string) =>
  new SluiceError(ErrorCode.RegionProtocol, `${where(t)} does not hold a Sluice config: ${problem}`, {
    namespace: t.namespace,
    name: t.name,
  });

function absent(endpoint: string): RegionConfigState {
  return { region: redact(endpoint), version: null, config: null, configHash: null, revision: 0 };
}

function changed(t: KubernetesTarget, expected: number): SluiceError {
  return new SluiceError(
    ErrorCode.RegionChanged,
    `${where(t)} is no longer at resourceVersion ${expected}: it changed since Sluice read it`,
    { namespace: t.namespace, name: t.name, expectedRevision: expected },
  );
}

function missingNamespace(t: KubernetesTarget, body: unknown): SluiceError {
  const message = (body as { message?: string })?.message ?? 'not found';
  return new SluiceError(ErrorCode.RegionRejectedPush, `${where(t)}: ${message.slice(0, 300)}`, {
    namespace: t.namespace,
  });
}

/**
 * What the ConfigMap holds: the config under its key, the version from Sluice's annotation.
 * A ConfigMap edited by hand (no annotation, or a config whose hash is not the annotated one)
 * reads as the version `configmap-<hash>`, so it is never mistaken for one of Sluice's and a
 * restore puts back exactly what was found.
 */
function stateOf(endpoint: string, t: KubernetesTarget, map: ConfigMap): RegionConfigState {
  const revision = Number(map.metadata!.resourceVersion);
  if (!Number.isSafeInteger(revision))
    throw protocol(t, `resourceVersion ${map.metadata!.resourceVersion} is not a number`);
  const text = map.data?.[t.key];
  if (text === undefined) return { ...absent(endpoint), revision };
  if (typeof text !== 'string') throw protocol(t, `data.${t.key} is not a string`);
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    throw protocol(t, `data.${t.key} is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw protocol(t, `data.${t.key} is not a JSON object`);
  }
  const hash = configHash(config as Record<string, unknown>);
  const annotations = map.metadata!.annotations ?? {};
  const ours = annotations[ANNOTATIONS.version] && annotations[ANNOTATIONS.configHash] === hash;
  return {
    region: redact(endpoint),
    version: ours ? annotations[ANNOTATIONS.version] : `configmap-${hash.replace(/^sha256:/, '').slice(0, 12)}`,
    config: config as Record<string, unknown>,
    configHash: hash,
    revision,
  };
}
