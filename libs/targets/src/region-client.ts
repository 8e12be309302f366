import { ErrorCode, SluiceError } from '../../domain/src';

/** What a region reports as live. `version` is null for a region that never received a config. */
export interface RegionConfigState {
  region: string;
  version: string | null;
  config: Record<string, unknown> | null;
  configHash: string | null;
}

export interface PushResult extends RegionConfigState {
  previousVersion: string | null;
  previousConfig: Record<string, unknown> | null;
  /** False when the region already held this version with this config. */
  changed: boolean;
}

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

/** Port: how Sluice talks to a region's config endpoint. */
export interface RegionClient {
  push(endpoint: string, version: string, config: Record<string, unknown>): Promise<PushResult>;
  read(endpoint: string): Promise<RegionConfigState>;
  /** Removes the config: what restoring a region that never had one means. */
  clear(endpoint: string): Promise<RegionConfigState>;
  /** `GET {endpoint}/health`: 2xx is healthy. Throws REGION_UNREACHABLE when there is no answer. */
  health(endpoint: string): Promise<HealthResult>;
  /** A synthetic customer request: `GET {endpoint}{path}`. Throws REGION_UNREACHABLE when there is no answer. */
  probe(endpoint: string, path: string, timeoutMs: number): Promise<ProbeResponse>;
}

export const DEFAULT_REGION_TIMEOUT_MS = 5_000;

/**
 * HTTP adapter: `PUT {endpoint}/config` with `{version, config}`, `GET {endpoint}/config`.
 * Network failures and 5xx are REGION_UNREACHABLE (worth retrying); 4xx means the region
 * refused the request, which a retry cannot fix (REGION_REJECTED_PUSH).
 */
export class HttpRegionClient implements RegionClient {
  constructor(private readonly timeoutMs = DEFAULT_REGION_TIMEOUT_MS) {}

  push(endpoint: string, version: string, config: Record<string, unknown>): Promise<PushResult> {
    return this.call<PushResult>(endpoint, 'PUT', { version, config });
  }

  read(endpoint: string): Promise<RegionConfigState> {
    return this.call<RegionConfigState>(endpoint, 'GET');
  }

  clear(endpoint: string): Promise<RegionConfigState> {
    return this.call<RegionConfigState>(endpoint, 'DELETE');
  }

  async health(endpoint: string): Promise<HealthResult> {
    const { status, body } = await this.request(`${base(endpoint)}/health`, 'GET', undefined, this.timeoutMs);
    return { healthy: status >= 200 && status < 300, status, detail: body.slice(0, 200) };
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
  ): Promise<{ status: number; body: string }> {
    try {
      const response = await fetch(url, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: response.status, body: await response.text() };
    } catch (err) {
      throw new SluiceError(ErrorCode.RegionUnreachable, `${method} ${url} failed: ${describe(err)}`, { url });
    }
  }

  private async call<T>(endpoint: string, method: 'GET' | 'PUT' | 'DELETE', body?: unknown): Promise<T> {
    const url = `${base(endpoint)}/config`;
    const response = await this.request(url, method, body, this.timeoutMs);
    const text = response.body;
    if (response.status >= 500) {
      throw new SluiceError(
        ErrorCode.RegionUnreachable,
        `${method} ${url} answered ${response.status}: ${text.slice(0, 200)}`,
        {
          url,
          status: response.status,
        },
      );
    }
    if (response.status >= 300) {
      throw new SluiceError(
        ErrorCode.RegionRejectedPush,
        `${method} ${url} answered ${response.status}: ${text.slice(0, 200)}`,
        {
          url,
          status: response.status,
        },
      );
    }
    return JSON.parse(text) as T;
  }
}

const base = (endpoint: string) => endpoint.replace(/\/+$/, '');

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
