import { ErrorCode, SluiceError } from '../../domain/src';

/**
 * `GET {baseUrl}{path}` on a monitoring system (Prometheus, Alertmanager). No answer within
 * `timeoutMs` is METRICS_UNAVAILABLE naming the system; reading the answer is the caller's.
 */
export async function monitoringGet(
  system: string,
  baseUrl: string,
  path: string,
  timeoutMs: number,
): Promise<Response> {
  const url = `${baseUrl.replace(/\/+$/, '')}${path}`;
  try {
    return await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new SluiceError(
      ErrorCode.MetricsUnavailable,
      `${system} at ${baseUrl} did not answer: ${(err as Error).message}`,
      {
        url: baseUrl,
      },
    );
  }
}
