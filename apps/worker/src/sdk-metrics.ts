import type { TelemetryOptions } from '@temporalio/worker';

/**
 * The Temporal SDK core's telemetry:
 * - its log lines (WARN and up from the core, ERROR from its libraries) are forwarded to the
 *   runtime's logger, so they come out as pino JSON like every other line;
 * - its own worker metrics (task slots, poll and schedule-to-start latencies, sticky cache,
 *   request failures: `temporal_*`), served by the core on its own `/metrics` at
 *   `host`:`port`, named the Prometheus way (`_total` counters, durations in seconds with the
 *   unit in the name). None when `port` is 0.
 */
export function sdkTelemetryOptions(port: number, host = '127.0.0.1'): TelemetryOptions {
  const logging: TelemetryOptions['logging'] = { filter: { core: 'WARN', other: 'ERROR' }, forward: {} };
  if (port === 0) return { logging };
  return {
    logging,
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
