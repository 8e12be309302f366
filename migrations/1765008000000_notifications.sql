-- Up Migration

-- Notification channels (docs/OPERATIONS.md, "Notifications"). `spec` is the validated
-- channel (libs/domain/src/notifications/channel-spec.ts) and names its secrets only by
-- reference. A channel hears the events after `from_position`: the log's head when it was
-- made, so a new channel is not flooded with history. `managed_by` says whether the file
-- (SLUICE_NOTIFICATIONS_FILE) or the API owns it.
CREATE TABLE notification_channels (
  name text PRIMARY KEY,
  kind text NOT NULL,
  spec jsonb NOT NULL,
  managed_by text NOT NULL CHECK (managed_by IN ('api', 'file')),
  from_position bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The notification outbox: one row per event and channel, made in the transaction that
-- moves the notifier's checkpoint, so an event is queued once per channel whatever crashes.
-- Rows are claimed for a lease and delivered at least once; receivers dedupe on event_id.
CREATE TABLE notification_deliveries (
  id bigserial PRIMARY KEY,
  channel text NOT NULL REFERENCES notification_channels (name) ON DELETE CASCADE,
  event_id uuid NOT NULL,
  global_position bigint NOT NULL,
  trigger text NOT NULL,
  notification jsonb NOT NULL,
  queued_at timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  claimed_until timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  delivered_at timestamptz,
  dead_at timestamptz,
  CONSTRAINT notification_deliveries_once UNIQUE (channel, event_id)
);
CREATE INDEX notification_deliveries_due_idx ON notification_deliveries (next_attempt_at, id)
  WHERE delivered_at IS NULL AND dead_at IS NULL;

-- The notifier's place in the log; it starts at the head, not at the first event ever.
INSERT INTO projection_checkpoints (name, position)
  SELECT 'notifications', coalesce(max(global_position), 0) FROM events;

-- Down Migration
DELETE FROM projection_checkpoints WHERE name = 'notifications';
DROP TABLE notification_deliveries;
DROP TABLE notification_channels;
