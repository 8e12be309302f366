import type { Pool } from 'pg';
import type { ScenarioTallies } from '../../judge/src/scenario-judge';
import type { ScenarioRun } from './playwright-runner';

/** Where a run was made: a gate's changed or control regions, or the continuous runs between rollouts. */
export type ScenarioRunRole = 'changed' | 'control' | 'continuous';

/** A run as stored: the runner's result and where it was made. */
export interface StoredScenarioRun extends ScenarioRun {
  role: ScenarioRunRole;
}

/** The gate tick a batch of runs belongs to; absent for continuous runs. */
export interface GateTick {
  rolloutId: string;
  wave: number;
  gate: string;
  tick: number;
}

/** A customer whose journey failed in a region the rollout changed, from its gate's runs. */
export interface ObservedFailure {
  region: string;
  customer: string;
  scenarios: string[];
  failures: number;
  runs: number;
  firstFailureAt: Date;
  lastFailureAt: Date;
}

/** Failed runs of one scenario in one region over a window, and all its runs there. */
export interface RegionScenarioFailures {
  region: string;
  scenario: string;
  runs: number;
  failures: number;
  customers: string[];
  lastFailureAt: Date | null;
}

/** Errors are kept short: the first lines say what broke, the rest is Playwright's call log. */
export const MAX_STORED_ERROR = 2_000;

/**
 * Customer-scenario runs in PostgreSQL (`scenario_runs`, docs/SCENARIOS.md): what the
 * scenario gates and the continuous runs saw, read back as judges' baselines, a rollout's
 * observed affected customers and incident evidence.
 */
export class PgScenarioRuns {
  constructor(private readonly pool: Pool) {}

  /** Stores a batch in one statement; a gate tick stored before (a retried activity) stores nothing twice. */
  async record(service: string, runs: readonly StoredScenarioRun[], tick?: GateTick): Promise<void> {
    if (runs.length === 0) return;
    const rows = runs.map((r) => ({
      scenario: r.scenario,
      version: r.version,
      region: r.region,
      customer: r.customer,
      passed: r.passed,
      duration_ms: Math.max(0, Math.round(r.durationMs)),
      error: r.error?.slice(0, MAX_STORED_ERROR) ?? null,
      role: r.role,
    }));
    await this.pool.query(
      `INSERT INTO scenario_runs
         (service, scenario, version, region, customer, passed, duration_ms, error, role, rollout_id, wave, gate, tick)
       SELECT $1, r.scenario, r.version, r.region, r.customer, r.passed, r.duration_ms, r.error, r.role, $3, $4, $5, $6
         FROM jsonb_to_recordset($2::jsonb) AS r(scenario text, version text, region text, customer text,
              passed boolean, duration_ms integer, error text, role text)
       ON CONFLICT DO NOTHING`,
      [
        service,
        JSON.stringify(rows),
        tick?.rolloutId ?? null,
        tick?.wave ?? null,
        tick?.gate ?? null,
        tick?.tick ?? null,
      ],
    );
  }

  /**
   * The runs of `[from, to)` as a judge's baseline: per scenario and customer in the changed
   * regions, per scenario in the controls. Null when no run of these scenarios was made there.
   */
  async tallies(query: {
    service: string;
    scenarios: readonly string[];
    changedRegions: readonly string[];
    controlRegions: readonly string[];
    from: Date;
    to: Date;
  }): Promise<ScenarioTallies | null> {
    const { rows } = await this.pool.query<{
      changed: boolean;
      scenario: string;
      customer: string | null;
      runs: string;
      failures: string;
    }>(
      `SELECT region = ANY($3) AS changed, scenario, CASE WHEN region = ANY($3) THEN customer END AS customer,
              count(*) AS runs, count(*) FILTER (WHERE NOT passed) AS failures
         FROM scenario_runs
        WHERE service = $1 AND scenario = ANY($2) AND ran_at >= $5 AND ran_at < $6
          AND (region = ANY($3) OR region = ANY($4))
        GROUP BY 1, 2, 3`,
      [query.service, query.scenarios, query.changedRegions, query.controlRegions, query.from, query.to],
    );
    if (rows.length === 0) return null;
    const tallies: ScenarioTallies = { changed: {}, control: {} };
    for (const row of rows) {
      const counts = { runs: Number(row.runs), failures: Number(row.failures) };
      if (row.changed) tallies.changed[`${row.scenario}|${row.customer}`] = counts;
      else tallies.control[row.scenario] = counts;
    }
    return tallies;
  }

  /** Customers whose journeys failed in the regions a rollout changed, first failure first. */
  async observedFailures(rolloutId: string): Promise<ObservedFailure[]> {
    const { rows } = await this.pool.query<{
      region: string;
      customer: string;
      scenarios: string[];
      failures: string;
      runs: string;
      first_failure_at: Date;
      last_failure_at: Date;
    }>(
      `SELECT region, customer,
              array_agg(DISTINCT scenario) FILTER (WHERE NOT passed) AS scenarios,
              count(*) FILTER (WHERE NOT passed) AS failures, count(*) AS runs,
              min(ran_at) FILTER (WHERE NOT passed) AS first_failure_at,
              max(ran_at) FILTER (WHERE NOT passed) AS last_failure_at
         FROM scenario_runs
        WHERE rollout_id = $1 AND role = 'changed'
        GROUP BY region, customer
       HAVING count(*) FILTER (WHERE NOT passed) > 0
        ORDER BY first_failure_at, customer, region`,
      [rolloutId],
    );
    return rows.map((r) => ({
      region: r.region,
      customer: r.customer,
      scenarios: [...r.scenarios].sort(),
      failures: Number(r.failures),
      runs: Number(r.runs),
      firstFailureAt: r.first_failure_at,
      lastFailureAt: r.last_failure_at,
    }));
  }

  /** Each scenario's failures per region of a service over `[from, to]`: incident evidence. */
  async failuresByRegion(service: string, from: Date, to: Date): Promise<RegionScenarioFailures[]> {
    const { rows } = await this.pool.query<{
      region: string;
      scenario: string;
      runs: string;
      failures: string;
      customers: string[] | null;
      last_failure_at: Date | null;
    }>(
      `SELECT region, scenario, count(*) AS runs, count(*) FILTER (WHERE NOT passed) AS failures,
              array_agg(DISTINCT customer) FILTER (WHERE NOT passed) AS customers,
              max(ran_at) FILTER (WHERE NOT passed) AS last_failure_at
         FROM scenario_runs
        WHERE service = $1 AND ran_at >= $2 AND ran_at <= $3
        GROUP BY region, scenario
        ORDER BY region, scenario`,
      [service, from, to],
    );
    return rows.map((r) => ({
      region: r.region,
      scenario: r.scenario,
      runs: Number(r.runs),
      failures: Number(r.failures),
      customers: [...(r.customers ?? [])].sort(),
      lastFailureAt: r.last_failure_at,
    }));
  }

  /**
   * Claims the service's next continuous round for `seconds`: true for one caller per
   * interval across every worker, false while another's claim holds.
   */
  async claimRound(service: string, seconds: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO scenario_rounds (service, next_at) VALUES ($1, now() + make_interval(secs => $2))
       ON CONFLICT (service) DO UPDATE SET next_at = EXCLUDED.next_at WHERE scenario_rounds.next_at <= now()`,
      [service, seconds],
    );
    return rowCount === 1;
  }

  /** Deletes continuous runs older than `before` (gate runs stay with their rollouts); answers how many. */
  async pruneContinuous(before: Date): Promise<number> {
    const { rowCount } = await this.pool.query(`DELETE FROM scenario_runs WHERE role = 'continuous' AND ran_at < $1`, [
      before,
    ]);
    return rowCount ?? 0;
  }
}
