-- Up Migration

-- Appends take one global advisory lock (see PgEventStore.append), so global_position is
-- assigned in commit order and a projection reading "after position N" never skips a
-- late-committing event.

-- Where each projection has got to. It moves in the same transaction as the projection's
-- writes, so a replay after a crash applies nothing twice.
CREATE TABLE projection_checkpoints (
  name text PRIMARY KEY,
  position bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO projection_checkpoints (name) VALUES ('rollouts'), ('region_versions'), ('region_changes');

-- One row per rollout: the read model behind rollout(id) and rollouts(filter).
CREATE TABLE rollouts (
  id text PRIMARY KEY,
  service text NOT NULL,
  version text NOT NULL,
  status text NOT NULL,
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  finished_at timestamptz,
  current_wave integer NOT NULL DEFAULT 0,
  regions text[] NOT NULL DEFAULT '{}',
  stop_reason text,
  workflow_id text,
  run_id text,
  -- the folded domain state, so the projection and the workflow agree on every status
  state jsonb NOT NULL
);
-- rollouts(filter) pages newest first on (requested_at, id); each filter has an index that
-- serves that order directly.
CREATE INDEX rollouts_requested_idx ON rollouts (requested_at DESC, id DESC);
CREATE INDEX rollouts_service_idx ON rollouts (service, requested_at DESC, id DESC);
CREATE INDEX rollouts_status_idx ON rollouts (status, requested_at DESC, id DESC);
CREATE INDEX rollouts_regions_idx ON rollouts USING gin (regions);

-- What is live in each region of each service, and since when.
CREATE TABLE region_versions (
  service text NOT NULL,
  region text NOT NULL,
  version text,
  config_hash text,
  rollout_id text NOT NULL,
  since timestamptz NOT NULL,
  PRIMARY KEY (service, region)
);

-- Every push and every restore, per region: the answer to "what changed here?".
CREATE TABLE region_changes (
  global_position bigint PRIMARY KEY,
  service text NOT NULL,
  region text NOT NULL,
  rollout_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('PUSH', 'ROLLBACK')),
  from_version text,
  to_version text,
  config_hash text,
  changed boolean NOT NULL,
  actor text NOT NULL,
  changed_at timestamptz NOT NULL
);
-- changes(region, from, to): a range scan in time order on one region.
CREATE INDEX region_changes_region_time_idx ON region_changes (region, changed_at, global_position);
CREATE INDEX region_changes_service_time_idx ON region_changes (service, changed_at, global_position);

-- Down Migration
DROP TABLE region_changes;
DROP TABLE region_versions;
DROP TABLE rollouts;
DROP TABLE projection_checkpoints;
