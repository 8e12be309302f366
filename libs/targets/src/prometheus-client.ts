import { ErrorCode, SluiceError } from '../../domain/src';
import { asConnection, type MonitoringConnection } from './monitoring-connection';
import { excerpt, monitoringGet } from './monitoring-get';

export interface PromSample {
  labels: Record<string, string>;
  /** As Prometheus means it: `+Inf`, `-Inf` and `NaN` are ±Infinity and NaN, never dropped. */
  value: number;
}

/** A series over a range: `[unix seconds, value]` pairs, oldest first. */
export interface PromSeries {
  labels: Record<string, string>;
  values: Array<[number, number]>;
}

/** Port: instant queries against a Prometheus-compatible HTTP API. */
export interface MetricsSource {
  /**
   * Samples of an instant query (now, or at `at`); an empty list means no data. Values may
   * be ±Infinity (e.g. n/0) or NaN (0/0): what they mean is the caller's to judge.
   */
  query(expr: string, timeoutMs: number, at?: Date): Promise<PromSample[]>;
}

/**
 * A sample value as Prometheus's JSON writes it (Go's `FormatFloat`): a decimal, `+Inf`,
 * `-Inf` or `NaN`. `Number('+Inf')` is NaN, which once turned a region failing every request
 * (n/0) into missing data. Anything else unreadable is NaN: no data for that series.
 */
export function parseSampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return text.trim() === '' ? NaN : Number(text);
}

/** A value for people and for JSON (which has no Infinity or NaN): `+Inf`, `-Inf`, `NaN`, or the number. */
export function formatSampleValue(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return value;
}

/**
 * A series' identity in canonical form: its labels, names sorted, values quoted as
 * Prometheus quotes them: `{code="500",instance="x",region="y"}`.
 */
export function seriesKey(labels: Record<string, string>): string {
  const quote = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}="${quote(labels[n])}"`).join(',')}}`;
}

interface PromResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
}

/**
 * `GET {url}/api/v1/query`. A refused expression (bad PromQL) is GATE_MISCONFIGURED,
 * which no retry fixes; no answer at all is METRICS_UNAVAILABLE.
 */
export class PrometheusClient implements MetricsSource {
  private readonly connection: MonitoringConnection;

  /** A URL alone, or a connection with credentials, headers and TLS (loadMonitoringConnection). */
  constructor(connection: MonitoringConnection | string) {
    this.connection = asConnection(connection);
  }

  async query(expr: string, timeoutMs: number, at?: Date): Promise<PromSample[]> {
    const time = at ? `&time=${at.getTime() / 1000}` : '';
    const { resultType, result } = await this.get(
      expr,
      `/api/v1/query?query=${encodeURIComponent(expr)}${time}`,
      timeoutMs,
    );
    if (resultType === 'scalar') return [{ labels: {}, value: parseSampleValue((result as [number, string])[1]) }];
    if (resultType === 'vector') {
      return (result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((r) => ({
        labels: r.metric,
        value: parseSampleValue(r.value[1]),
      }));
    }
    throw new SluiceError(
      ErrorCode.GateMisconfigured,
      `"${expr}" returns a ${resultType}; a gate needs an instant vector or scalar`,
      {
        expr,
      },
    );
  }

  /** `GET {url}/api/v1/query_range`: each series with its values, seconds since the epoch. */
  async queryRange(
    expr: string,
    range: { start: number; end: number; step: number },
    timeoutMs: number,
  ): Promise<PromSeries[]> {
    const params = new URLSearchParams({
      query: expr,
      start: String(range.start),
      end: String(range.end),
      step: String(range.step),
    });
    const { resultType, result } = await this.get(expr, `/api/v1/query_range?${params.toString()}`, timeoutMs);
    if (resultType !== 'matrix') {
      throw new SluiceError(
        ErrorCode.GateMisconfigured,
        `"${expr}" returns a ${resultType} over a range, not a matrix`,
        {
          expr,
        },
      );
    }
    return (result as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>).map((r) => ({
      labels: r.metric,
      values: r.values.map(([t, v]) => [t, parseSampleValue(v)]),
    }));
  }

  /**
   * The answer's data. A refused expression (bad PromQL) is GATE_MISCONFIGURED, which no
   * retry fixes; no answer at all is METRICS_UNAVAILABLE.
   */
  private async get(expr: string, path: string, timeoutMs: number): Promise<NonNullable<PromResponse['data']>> {
    const answer = await monitoringGet('Prometheus', this.connection, path, timeoutMs);
    let body: PromResponse;
    try {
      body = JSON.parse(answer.text) as PromResponse;
    } catch {
      body = { status: 'error', error: `HTTP ${answer.status}` };
    }
    if (body.status !== 'success' || !body.data) {
      const code =
        answer.status === 400 || answer.status === 422 ? ErrorCode.GateMisconfigured : ErrorCode.MetricsUnavailable;
      const why = body.error ? excerpt(this.connection, body.error) : `HTTP ${answer.status}`;
      throw new SluiceError(code, `Prometheus refused "${expr}": ${why}`, { expr });
    }
    return body.data;
  }
}
