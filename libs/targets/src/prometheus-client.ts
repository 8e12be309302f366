import { ErrorCode, SluiceError } from '../../domain/src';
import { monitoringGet } from './monitoring-get';

export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

/** Port: instant queries against a Prometheus-compatible HTTP API. */
export interface MetricsSource {
  /** Samples of an instant query (now, or at `at`); an empty list means no data. */
  query(expr: string, timeoutMs: number, at?: Date): Promise<PromSample[]>;
}

interface PromResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

/**
 * `GET {baseUrl}/api/v1/query`. A refused expression (bad PromQL) is GATE_MISCONFIGURED,
 * which no retry fixes; no answer at all is METRICS_UNAVAILABLE.
 */
export class PrometheusClient implements MetricsSource {
  constructor(private readonly baseUrl: string) {}

  async query(expr: string, timeoutMs: number, at?: Date): Promise<PromSample[]> {
    const time = at ? `&time=${at.getTime() / 1000}` : '';
    const path = `/api/v1/query?query=${encodeURIComponent(expr)}${time}`;
    const response = await monitoringGet('Prometheus', this.baseUrl, path, timeoutMs);
    const body = (await response
      .json()
      .catch(() => ({ status: 'error', error: `HTTP ${response.status}` }))) as PromResponse;
    if (body.status !== 'success' || !body.data) {
      const code =
        response.status === 400 || response.status === 422 ? ErrorCode.GateMisconfigured : ErrorCode.MetricsUnavailable;
      throw new SluiceError(code, `Prometheus refused "${expr}": ${body.error ?? `HTTP ${response.status}`}`, { expr });
    }
    const { resultType, result } = body.data;
    if (resultType === 'scalar') return [{ labels: {}, value: Number((result as [number, string])[1]) }];
    if (resultType === 'vector') {
      return (result as Array<{ metric: Record<string, string>; value: [number, string] }>)
        .map((r) => ({ labels: r.metric, value: Number(r.value[1]) }))
        .filter((s) => Number.isFinite(s.value));
    }
    throw new SluiceError(
      ErrorCode.GateMisconfigured,
      `"${expr}" returns a ${resultType}; a gate needs an instant vector or scalar`,
      {
        expr,
      },
    );
  }
}
