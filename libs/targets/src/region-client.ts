import { ErrorCode, SluiceError } from '../../domain/src';
import { parsePushAnswer, parseRegionState, type PushResult, type RegionConfigState } from './region-contract';

export type { PushResult, RegionConfigState } from './region-contract';

export interface HealthResult {
  healthy: boolean;
  status: number;
  detail: string;
}

export interface ProbeResponse {
  status: number;
  body: string;
  latencyMs: number;
}

/** Who made a change and in which rollout: kinds that keep a record of their own (git commits) say so. */
export interface ChangeContext {
  rolloutId: string;
  actor: string;
}

/**
 * Port: how Sluice talks to a region's config endpoint. A write given `ifRevision` lands only
 * if the region is still at that revision; otherwise it throws REGION_CHANGED and changes nothing.
 */
export interface RegionClient {
  push(
    endpoint: string,
    version: string,
    config: Record<string, unknown>,
    ifRevision?: number,
    change?: ChangeContext,
  ): Promise<PushResult>;
  read(endpoint: string): Promise<RegionConfigState>;
  /** Removes the config: what restoring a region that never had one means. */
  clear(endpoint: string, ifRevision?: number, change?: ChangeContext): Promise<RegionConfigState>;
  /** `GET {endpoint}/health`: 2xx is healthy. Throws REGION_UNREACHABLE when there is no answer. */
  health(endpoint: string): Promise<HealthResult>;
  /** A synthetic customer request: `GET {endpoint}{path}`. Throws REGION_UNREACHABLE when there is no answer. */
  probe(endpoint: string, path: string, timeoutMs: number): Promise<ProbeResponse>;
}

export const DEFAULT_REGION_TIMEOUT_MS = 5_000;

/**
 * HTTP adapter of docs/REGION-CONTRACT.md: `GET`, `PUT` (`{version, config}`) and `DELETE` on
 * `{endpoint}/config`, writes with `If-Match: "<revision>"`. Network failures and 5xx are
 * REGION_UNREACHABLE (worth retrying); 412 is REGION_CHANGED and any other 4xx
 * REGION_REJECTED_PUSH (a retry cannot fix either); an answer outside the contract is REGION_PROTOCOL.
 */
export class HttpRegionClient implements RegionClient {
  constructor(private readonly timeoutMs = DEFAULT_REGION_TIMEOUT_MS) {}

  async push(
    endpoint: string,
    version: string,
    config: Record<string, unknown>,
    ifRevision?: number,
  ): Promise<PushResult> {
    const { url, text, etag } = await this.call(endpoint, 'PUT', { version, config }, ifRevision);
    return parsePushAnswer(url, endpoint, text, etag);
  }

  async read(endpoint: string): Promise<RegionConfigState> {
    const { url, text, etag } = await this.call(endpoint, 'GET');
    return parseRegionState(url, endpoint, text, etag);
  }

  async clear(endpoint: string, ifRevision?: number): Promise<RegionConfigState> {
    const { url, text, etag } = await this.call(endpoint, 'DELETE', undefined, ifRevision);
    return parseRegionState(url, endpoint, text, etag);
  }

  async health(endpoint: string): Promise<HealthResult> {
    const { status, body } = await this.request(`${base(endpoint)}/health`, 'GET', undefined, this.timeoutMs);
    return { healthy: status >= 200 && status < 300, status, detail: excerpt(body) };
  }

  async probe(endpoint: string, path: string, timeoutMs: number): Promise<ProbeResponse> {
    const started = performance.now();
    const { status, body } = await this.request(`${base(endpoint)}${path}`, 'GET', undefined, timeoutMs);
    return { status, body, latencyMs: Math.round(performance.now() - started) };
  }

  private async request(
    url: string,
    method: 'GET' | 'PUT' | 'DELETE',
    body: unknown,
    timeoutMs: number,
    ifRevision?: number,
  ): Promise<{ status: number; body: string; etag: string | null }> {
    const headers: Record<string, string> = {};
    let response: Response;
    let text: string;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (ifRevision !== undefined) headers['if-match'] = `"${ifRevision}"`;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        // a region answers itself: a redirect could send a config, or a probe, anywhere
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw new SluiceError(ErrorCode.RegionUnreachable, `${method} ${url} failed: ${describe(err)}`, { url });
    }
    if (response.status >= 300 && response.status < 400) {
      const location = excerpt(response.headers.get('location') ?? '(no Location)');
      throw new SluiceError(
        ErrorCode.RegionRejectedPush,
        `${method} ${url} answered ${response.status}, redirected to ${location}, which Sluice does not follow`,
        { url, status: response.status, location },
      );
    }
    return { status: response.status, body: text, etag: response.headers.get('etag') };
  }

  private async call(
    endpoint: string,
    method: 'GET' | 'PUT' | 'DELETE',
    body?: unknown,
    ifRevision?: number,
  ): Promise<{ url: string; text: string; etag: string | null }> {
    const url = `${base(endpoint)}/config`;
    const response = await this.request(url, method, body, this.timeoutMs, ifRevision);
    const text = response.body;
    if (response.status >= 500) {
      throw new SluiceError(
        ErrorCode.RegionUnreachable,
        `${method} ${url} answered ${response.status}: ${excerpt(text)}`,
        {
          url,
          status: response.status,
        },
      );
    }
    if (response.status === 412) {
      throw new SluiceError(
        ErrorCode.RegionChanged,
        `${method} ${url} was refused: the region is no longer at revision ${ifRevision}, it changed since Sluice read it (${excerpt(text)})`,
        { url, status: 412, expectedRevision: ifRevision },
      );
    }
    if (response.status >= 300) {
      throw new SluiceError(
        ErrorCode.RegionRejectedPush,
        `${method} ${url} answered ${response.status}: ${excerpt(text)}`,
        {
          url,
          status: response.status,
        },
      );
    }
    return { url, text, etag: response.etag };
  }
}

const base = (endpoint: string) => endpoint.replace(/\/+$/, '');

/** What a region said, as it may be shown in an error or an event: at most `max` characters, no control characters. */
export const responseExcerpt = (text: string, max = 200) =>
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  text.slice(0, max).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
const excerpt = responseExcerpt;

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
