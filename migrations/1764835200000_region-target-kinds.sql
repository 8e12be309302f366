-- Up Migration

-- Each region's kind of deployment target (http, etcd, git, …) as its rollout recorded it in
-- RolloutRequested. Null for changes recorded before rollouts named their regions' kinds.
ALTER TABLE region_changes ADD COLUMN target_kind text;
ALTER TABLE region_versions ADD COLUMN target_kind text;

-- Down Migration
ALTER TABLE region_versions DROP COLUMN target_kind;
ALTER TABLE region_changes DROP COLUMN target_kind;
