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

/** Port: how Sluice talks to a region's config endpoint. */
export interface RegionClient {
  push(endpoint: string, version: string, config: Record<string, unknown>): Promise<PushResult>;
  read(endpoint: string): Promise<RegionConfigState>;
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

  private async call<T>(endpoint: string, method: 'GET' | 'PUT', body?: unknown): Promise<T> {
    const url = `${endpoint.replace(/\/+$/, '')}/config`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SluiceError(ErrorCode.RegionUnreachable, `${method} ${url} failed: ${describe(err)}`, { url });
    }
    const text = await response.text();
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
    if (!response.ok) {
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

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
