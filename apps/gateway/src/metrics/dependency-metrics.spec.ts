import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import { DependencyMetrics } from './dependency-metrics';

/** A Temporal whose visibility never answers (a black-holed connection), counting the calls. */
function hangingTemporal() {
  const calls = { count: 0 };
  const pending: Array<(err: Error) => void> = [];
  const client = {
    workflow: { count: () => (calls.count++, new Promise((_, reject) => pending.push(reject))) },
    // the deadline is the real connection's to keep; this one never answers
    connection: { withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() },
  } as unknown as Client;
  /** What the real connection's deadline does to a call that never answers. */
  const deadline = () => pending.splice(0).forEach((reject) => reject(new Error('DEADLINE_EXCEEDED')));
  return { client, calls, deadline };
}

const pool = (rows: { waves: unknown[]; versions: unknown[] }) =>
  ({
    query: async ({ text }: { text: string }) => ({
      rows: text.includes('region_versions') ? rows.versions : rows.waves,
    }),
  }) as unknown as Pool;

async function value(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('dependency-backed gateway metrics', () => {
  it('gives up on a dependency that does not answer within the timeout, never waits for it in a scrape, and never asks twice at once', async () => {
    const registry = new Registry();
    const temporal = hangingTemporal();
    const metrics = new DependencyMetrics(
      temporal.client,
      pool({
        waves: [
          { service: 'checkout', phase: 'AWAITING_APPROVAL', n: 1 },
          { service: 'search', phase: 'BAKING', n: 1 },
        ],
        versions: [{ service: 'checkout', region: 'eu-1', version: 'v7' }],
      }),
      registry,
      { intervalMs: 60_000, timeoutMs: 50 },
    );
    const started = Date.now();
    await metrics.refresh();
    await metrics.refresh();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(temporal.calls.count).toBe(1);
    expect(await value(registry, 'sluice_dependency_up', { dependency: 'temporal' })).toBe(0);
    expect(await value(registry, 'sluice_dependency_up', { dependency: 'postgresql' })).toBe(1);
    expect(await value(registry, 'sluice_waves_in_progress', { service: 'search', phase: 'BAKING' })).toBe(1);
    expect(await value(registry, 'sluice_rollouts_awaiting_approval', { service: 'checkout' })).toBe(1);
    expect(await value(registry, 'sluice_rollouts_awaiting_approval', { service: 'search' })).toBeUndefined();
    expect(await value(registry, 'sluice_region_config_info', { region: 'eu-1', version: 'v7' })).toBe(1);
    const text = await registry.metrics();
    expect(text).toMatch(/^sluice_dependency_refresh_age_seconds\{dependency="postgresql"\} 0(\.\d+)?$/m);
    // stop waits for the read still out, so it never runs on a closed connection
    let stopped = false;
    const stopping = metrics.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    temporal.deadline();
    await stopping;
  });
});
