import type { Logger } from 'pino';
import type { CustomerProfile, Scenario } from '../../domain/src/service/scenarios';
import type { ServiceTopology } from '../../domain/src/service/service-topology';
import { runScenarios, type RunOptions, type ScenarioTarget } from './playwright-runner';
import type { PgScenarioRuns } from './scenario-runs-store';

export interface ContinuousScenarioOptions {
  /** Seconds between rounds; 0 turns continuous runs off. Default 300. */
  intervalSeconds: number;
  /** (region, customer) targets per service and round at most; the rest come in later rounds. Default 24. */
  targetsPerRound: number;
  /** Playwright workers per batch. Default 2. */
  workers: number;
  /** Continuous runs are kept this many days. Default 14. */
  retentionDays: number;
}

export const DEFAULT_CONTINUOUS_SCENARIOS: ContinuousScenarioOptions = {
  intervalSeconds: 300,
  targetsPerRound: 24,
  workers: 2,
  retentionDays: 14,
};

/** What one round did, per service: for logs and the specs. */
export interface ContinuousRound {
  service: string;
  runs: number;
  failures: number;
  wallMs: number;
  error?: string;
}

/** Every (region, customer) of a service, with its profile (a customer without one runs with no attributes). */
export function serviceTargets(topology: ServiceTopology): ScenarioTarget[] {
  const profiles = new Map<string, CustomerProfile>(topology.customerProfiles.map((p) => [p.customer, p]));
  return topology.regions.flatMap((r) =>
    r.customers.map((customer) => ({
      region: r.name,
      baseURL: r.endpoint,
      customer: profiles.get(customer) ?? { customer, attributes: {}, credentials: {} },
    })),
  );
}

/**
 * Customer scenarios between rollouts (docs/SCENARIOS.md): each round runs every service's
 * scenarios for a rotating share of its (region, customer) targets, and stores the runs as
 * `continuous`. Every scenario gate then has a fresh pre-change baseline for each customer,
 * and `incident` has the journeys as evidence. One service's batch at a time: the pool is
 * bounded by `workers`. Rounds never overlap; a failing service is logged and skipped. With
 * several workers, each service's round is claimed in `scenario_rounds`, so it runs once
 * per interval whichever worker runs it.
 */
export class ContinuousScenarios {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly offsets = new Map<string, number>();
  private readonly abort = new AbortController();

  constructor(
    private readonly catalog: { list(): Promise<Array<{ topology: ServiceTopology }>> },
    private readonly store: Pick<PgScenarioRuns, 'record' | 'pruneContinuous' | 'claimRound'>,
    private readonly log: Pick<Logger, 'info' | 'warn'>,
    private readonly options: ContinuousScenarioOptions = DEFAULT_CONTINUOUS_SCENARIOS,
    private readonly run: Pick<RunOptions, 'chromiumPath' | 'env'> = {},
  ) {}

  start(): void {
    if (this.options.intervalSeconds <= 0 || this.timer) return;
    const tick = () => {
      this.running = this.round()
        .catch((err: unknown) => this.log.warn({ err }, 'continuous scenarios: the round failed'))
        .finally(() => {
          if (!this.abort.signal.aborted) this.timer = setTimeout(tick, this.options.intervalSeconds * 1000);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops the rounds; a batch in flight is killed. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    await this.running;
  }

  /** One round over every service with scenarios and customers. */
  async round(): Promise<ContinuousRound[]> {
    const services = (await this.catalog.list())
      .map((s) => s.topology)
      .filter((t) => t.scenarios.length > 0 && t.regions.some((r) => r.customers.length > 0))
      .sort((a, b) => a.name.localeCompare(b.name));
    const rounds: ContinuousRound[] = [];
    for (const topology of services) {
      if (this.abort.signal.aborted) break;
      // another worker may have run this service's round within the interval
      if (!(await this.store.claimRound(topology.name, this.options.intervalSeconds))) continue;
      rounds.push(await this.runService(topology));
    }
    const before = new Date(Date.now() - this.options.retentionDays * 86_400_000);
    await this.store.pruneContinuous(before);
    return rounds;
  }

  private async runService(topology: ServiceTopology): Promise<ContinuousRound> {
    const all = serviceTargets(topology);
    const count = Math.min(all.length, this.options.targetsPerRound);
    const offset = this.offsets.get(topology.name) ?? 0;
    const targets = Array.from({ length: count }, (_, i) => all[(offset + i) % all.length]);
    this.offsets.set(topology.name, (offset + count) % all.length);
    const scenarios: Scenario[] = topology.scenarios;
    try {
      const batch = await runScenarios(scenarios, targets, {
        ...this.run,
        workers: this.options.workers,
        signal: this.abort.signal,
      });
      await this.store.record(
        topology.name,
        batch.runs.map((r) => ({ ...r, role: 'continuous' as const })),
      );
      const failures = batch.runs.filter((r) => !r.passed).length;
      this.log.info(
        { service: topology.name, runs: batch.runs.length, failures, wallMs: batch.wallMs },
        'continuous scenarios: round done',
      );
      return { service: topology.name, runs: batch.runs.length, failures, wallMs: batch.wallMs };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.log.warn({ service: topology.name, err: error }, 'continuous scenarios: the service’s batch failed');
      return { service: topology.name, runs: 0, failures: 0, wallMs: 0, error };
    }
  }
}
