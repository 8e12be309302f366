-- Up Migration

-- The webhook's outbox. A firing alert is committed here before Alertmanager gets its 200,
-- then delivered to the matching rollout as a halt signal by a dispatcher. A gateway that
-- dies in between delivers it after its restart; Alertmanager's own retries and repeats
-- land on the unique key and are recognised as duplicates.
CREATE TABLE halt_requests (
  id bigserial PRIMARY KEY,
  fingerprint text NOT NULL,
  starts_at timestamptz NOT NULL,
  service text NOT NULL,
  region text,
  alertname text NOT NULL,
  alert jsonb NOT NULL,
  requested_by text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  delivered_at timestamptz,
  -- HALTED, NO_RUNNING_ROLLOUT, NOT_AFFECTED (the rollout has not touched the alert's region)
  outcome text,
  rollout_id text,
  CONSTRAINT halt_requests_alert_key UNIQUE (fingerprint, starts_at, service)
);
CREATE INDEX halt_requests_pending_idx ON halt_requests (id) WHERE delivered_at IS NULL;

-- Down Migration
DROP TABLE halt_requests;
