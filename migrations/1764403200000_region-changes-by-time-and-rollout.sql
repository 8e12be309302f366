-- Up Migration

-- Incident insight reads region_changes by time across every region ("what changed in the
-- minutes before the alert?") and by rollout (which regions a rollout touched, for its
-- affected customers).
CREATE INDEX region_changes_time_idx ON region_changes (changed_at, global_position);
CREATE INDEX region_changes_rollout_idx ON region_changes (rollout_id, changed_at, global_position);

-- Down Migration
DROP INDEX region_changes_rollout_idx;
DROP INDEX region_changes_time_idx;
