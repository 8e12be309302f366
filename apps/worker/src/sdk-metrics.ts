import type { TelemetryOptions } from '@temporalio/worker';

/**
 * The Temporal SDK's own worker metrics (task slots, poll and schedule-to-start latencies,
 * sticky cache, request failures: `temporal_*`), served by the SDK's core on its own
 * `/metrics` at `host`:`port`, named the Prometheus way (`_total` counters, durations in
 * seconds with the unit in the name). None when `port` is 0.
 */
export function sdkTelemetryOptions(port: number, host = '127.0.0.1'): TelemetryOptions | undefined {
  if (port === 0) return undefined;
  return {
    metrics: {
      prometheus: {
        bindAddress: `${host}:${port}`,
        countersTotalSuffix: true,
        unitSuffix: true,
        useSecondsForDurations: true,
      },
    },
  };
}
