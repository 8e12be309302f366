import type { Client } from '@temporalio/client';
import type { Pool, QueryConfig } from 'pg';
import { Gauge, type Registry } from 'prom-client';

/** Visibility query for rollouts stuck in a failed rollback: running workflows waiting for a person. */
export const ROLLBACK_FAILED_QUERY = `SluiceStatus = "ROLLBACK_FAILED" AND ExecutionStatus = "Running"`;

export const DEPENDENCIES = ['temporal', 'postgresql'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/**
 * A wave is in progress from WaveStarted to WaveCompleted (its phase is set) while the rollout
 * still moves forward; a rollout between waves, held by a freeze or rolling back has none.
 */
const WAVES_IN_PROGRESS = `
  SELECT service, state->>'phase' AS phase, count(*)::int AS n
    FROM rollouts
   WHERE status IN ('ROLLING', 'PAUSED') AND state->>'phase' IS NOT NULL
   GROUP BY service, state->>'phase'`;
const REGION_VERSIONS = `SELECT service, region, version FROM region_versions WHERE version IS NOT NULL`;

/** Reads one dependency; resolves to what sets the gauges, applied only when every read succeeded. */
type Read = (timeoutMs: number) => Promise<() => void>;

/** One dependency's reads, never more than one at a time, and whether the last one succeeded in time. */
class DependencyRefresh {
  up = false;
  lastSuccess: number | undefined;
  private inFlight: Promise<boolean> | undefined;

  constructor(private readonly read: Read) {}

  async run(timeoutMs: number): Promise<void> {
    // A read still out from an earlier round is waited for again, never started twice.
    this.inFlight ??= this.read(timeoutMs)
      .then((apply) => {
        apply();
        this.lastSuccess = Date.now();
        return true;
      })
      .catch(() => false)
      .finally(() => (this.inFlight = undefined));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    this.up = await Promise.race([this.inFlight, late]);
    clearTimeout(timer);
  }

  /** Resolves once no read is out (at shutdown, before the connections close under it). */
  async settled(): Promise<void> {
    await this.inFlight;
  }
}

export interface DependencyMetricsOptions {
  /** How often the dependencies are read (GATEWAY_METRICS_REFRESH_SECONDS). */
  intervalMs: number;
  /** A read slower than this counts as down; the default is the interval, at most 5 s. */
  timeoutMs?: number;
}

/**
 * The gateway's metrics that come from its dependencies: rollouts waiting in ROLLBACK_FAILED
 * (Temporal visibility), waves in progress, rollouts awaiting approval and each region's
 * config version (the PostgreSQL read models). They are read in the background on an
 * interval with a timeout, never inside a scrape: `/metrics` answers at once whatever is
 * down, with the last values read, `sluice_dependency_up` saying which dependency failed its
 * last read and `sluice_dependency_refresh_age_seconds` how old the values are.
 *
 * Exported by the gateway only (the worker reads no database for its metrics): these are
 * facts of the read models, the same from every gateway, so with several gateways combine
 * them with `max`, never `sum`.
 */
export class DependencyMetrics {
  private readonly refreshes: Record<Dependency, DependencyRefresh>;
  private readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(
    temporal: Client,
    pool: Pool,
    registry: Registry,
    private readonly options: DependencyMetricsOptions,
  ) {
    const rollbackFailed = new Gauge({
      name: 'sluice_rollouts_rollback_failed',
      help: 'Rollouts whose rollback could not finish and that wait for a person (retryRollback, resolveRegion, abandonRollout). Page on > 0.',
      registers: [registry],
    });
    const waves = new Gauge({
      name: 'sluice_waves_in_progress',
      help: 'Waves in progress (started, not completed, rollout ROLLING or PAUSED), by service and phase: PUSHING, VERIFYING, BAKING, AWAITING_APPROVAL.',
      labelNames: ['service', 'phase'],
      registers: [registry],
    });
    const approvals = new Gauge({
      name: 'sluice_rollouts_awaiting_approval',
      help: 'Rollouts whose current wave waits for an approval (approveWave), by service.',
      labelNames: ['service'],
      registers: [registry],
    });
    const regionConfigs = new Gauge({
      name: 'sluice_region_config_info',
      help: 'Always 1: the config version each region of each service serves, as Sluice last set it (join onto SLO panels by service and region).',
      labelNames: ['service', 'region', 'version'],
      registers: [registry],
    });
    this.refreshes = {
      // each read carries its own deadline, so none outlives the timeout by much
      temporal: new DependencyRefresh(async (timeoutMs) => {
        const { count } = await temporal.connection.withDeadline(Date.now() + timeoutMs, () =>
          temporal.workflow.count(ROLLBACK_FAILED_QUERY),
        );
        return () => rollbackFailed.set(count);
      }),
      postgresql: new DependencyRefresh(async (timeoutMs) => {
        // pg honours query_timeout per query (its types leave it out)
        const timed = (text: string) => ({ text, query_timeout: timeoutMs }) as QueryConfig;
        const [inProgress, versions] = await Promise.all([
          pool.query<{ service: string; phase: string; n: number }>(timed(WAVES_IN_PROGRESS)),
          pool.query<{ service: string; region: string; version: string }>(timed(REGION_VERSIONS)),
        ]);
        return () => {
          waves.reset();
          approvals.reset();
          for (const { service, phase, n } of inProgress.rows) {
            waves.set({ service, phase }, n);
            if (phase === 'AWAITING_APPROVAL') approvals.set({ service }, n);
          }
          regionConfigs.reset();
          for (const { service, region, version } of versions.rows) regionConfigs.set({ service, region, version }, 1);
        };
      }),
    };
    const refreshes = this.refreshes;
    new Gauge({
      name: 'sluice_dependency_up',
      help: '1 when the gateway’s last read of the dependency (temporal, postgresql) answered within its timeout, else 0.',
      labelNames: ['dependency'],
      registers: [registry],
      collect() {
        for (const dependency of DEPENDENCIES) this.set({ dependency }, refreshes[dependency].up ? 1 : 0);
      },
    });
    const startedAt = this.startedAt;
    new Gauge({
      name: 'sluice_dependency_refresh_age_seconds',
      help: 'Seconds since the values read from the dependency were last refreshed (since the gateway started when never).',
      labelNames: ['dependency'],
      registers: [registry],
      collect() {
        for (const dependency of DEPENDENCIES) {
          this.set({ dependency }, (Date.now() - (refreshes[dependency].lastSuccess ?? startedAt)) / 1000);
        }
      },
    });
  }

  /** Reads every dependency once (at most the timeout). */
  refresh(): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? Math.min(this.options.intervalMs, 5_000);
    this.round ??= Promise.all(DEPENDENCIES.map((d) => this.refreshes[d].run(timeoutMs))).then(
      () => undefined,
      () => undefined,
    );
    return this.round.finally(() => (this.round = undefined));
  }

  /** Reads now, then every interval until {@link stop}. */
  start(): void {
    if (this.timer) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the interval and waits for reads still out, so none runs on a closed connection. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
    await Promise.all(DEPENDENCIES.map((d) => this.refreshes[d].settled()));
  }
}
