-- Up Migration

-- Every customer-scenario run (docs/SCENARIOS.md): a scenario gate's runs during a rollout
-- (`role` changed or control, with the rollout, wave, gate and tick), and the continuous runs
-- between rollouts (`role` continuous). The judges' pre-change baselines, the affected
-- customers a rollout's failures name, and incident evidence are read from here.
CREATE TABLE scenario_runs (
  id bigserial PRIMARY KEY,
  service text NOT NULL,
  scenario text NOT NULL,
  version text NOT NULL,
  region text NOT NULL,
  customer text NOT NULL,
  passed boolean NOT NULL,
  duration_ms integer NOT NULL,
  error text,
  role text NOT NULL CHECK (role IN ('changed', 'control', 'continuous')),
  rollout_id text,
  wave integer,
  gate text,
  tick integer,
  ran_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scenario_runs_service_time_idx ON scenario_runs (service, ran_at);
-- A tick retried after its runs were stored stores nothing twice.
CREATE UNIQUE INDEX scenario_runs_tick_key ON scenario_runs (rollout_id, gate, wave, tick, scenario, region, customer)
  WHERE rollout_id IS NOT NULL;

-- When each service's next continuous round is due: a worker runs a round only if it moves
-- this forward, so several workers share the rounds instead of each running them all.
CREATE TABLE scenario_rounds (
  service text PRIMARY KEY,
  next_at timestamptz NOT NULL
);

-- Down Migration

DROP TABLE scenario_rounds;
DROP TABLE scenario_runs;
