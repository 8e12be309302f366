import { Counter, type Registry } from 'prom-client';

/** How long one metric's collect may take inside a scrape (Prometheus's default scrape timeout is 10 s). */
export const COLLECT_DEADLINE_MS = 2_000;

const FAILURES = 'sluice_metric_collect_failures_total';

/**
 * The registry in the Prometheus text format, each metric given `deadlineMs` to collect: one
 * whose collect fails or hangs (a dependency read at scrape time, while the dependency is
 * down) is left out of this scrape and counted in `sluice_metric_collect_failures_total{metric}`,
 * instead of failing or stalling the whole scrape, which would read as the process being down.
 */
export async function exposition(registry: Registry, deadlineMs = COLLECT_DEADLINE_MS): Promise<string> {
  const failures =
    (registry.getSingleMetric(FAILURES) as Counter<'metric'> | undefined) ??
    new Counter({
      name: FAILURES,
      help: 'Metrics left out of a scrape because collecting them failed or took too long, by metric.',
      labelNames: ['metric'],
      registers: [registry],
    });
  const names = registry
    .getMetricsAsArray()
    .map((m) => m.name)
    .filter((name) => name !== FAILURES);
  const parts = await Promise.all(
    names.map(async (name) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('too slow')), deadlineMs);
      });
      try {
        return await Promise.race([registry.getSingleMetricAsString(name), late]);
      } catch {
        failures.inc({ metric: name });
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  parts.push(await registry.getSingleMetricAsString(FAILURES));
  return `${parts.filter((p) => p !== undefined).join('\n\n')}\n`;
}
