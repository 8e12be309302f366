-- Up Migration

-- Halt requests as themselves, not as alerts: where each came from (an Alertmanager webhook
-- or POST /hooks/halt), why, and the alert only when there is one. Delivery claims a row
-- for a lease instead of holding a transaction across Temporal calls, retries with backoff,
-- and after a bounded number of attempts parks the row as dead (paged on, redelivered by hand).
ALTER TABLE halt_requests
  ADD COLUMN source text NOT NULL DEFAULT 'alertmanager' CHECK (source IN ('alertmanager', 'hook')),
  ADD COLUMN reason text,
  -- the region label as monitoring sent it; `region` is the service's region it matched
  ADD COLUMN alert_region text,
  -- the latest notification of the same alert: a repeat says it is still firing
  ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now(),
  -- when it last went into the queue (received, or queued again by a repeat): its backlog age
  ADD COLUMN queued_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- the latest claim: when a gateway took the row, and until when others leave it alone
  ADD COLUMN claimed_at timestamptz,
  ADD COLUMN claimed_until timestamptz,
  ADD COLUMN dead_at timestamptz,
  ALTER COLUMN alert DROP NOT NULL;
UPDATE halt_requests SET reason = alertname, alert_region = region, last_seen_at = received_at, queued_at = received_at;
ALTER TABLE halt_requests ALTER COLUMN reason SET NOT NULL;
-- outcomes: HALTED, NOT_AFFECTED, NO_RUNNING_ROLLOUT, STALE, UNMATCHED
DROP INDEX halt_requests_pending_idx;
CREATE INDEX halt_requests_pending_idx ON halt_requests (next_attempt_at, id)
  WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX halt_requests_dead_idx ON halt_requests (id) WHERE dead_at IS NOT NULL AND delivered_at IS NULL;

-- Down Migration
DROP INDEX halt_requests_dead_idx;
DROP INDEX halt_requests_pending_idx;
CREATE INDEX halt_requests_pending_idx ON halt_requests (id) WHERE delivered_at IS NULL;
DELETE FROM halt_requests WHERE alert IS NULL;
ALTER TABLE halt_requests
  ALTER COLUMN alert SET NOT NULL,
  DROP COLUMN dead_at,
  DROP COLUMN claimed_until,
  DROP COLUMN claimed_at,
  DROP COLUMN next_attempt_at,
  DROP COLUMN queued_at,
  DROP COLUMN last_seen_at,
  DROP COLUMN alert_region,
  DROP COLUMN reason,
  DROP COLUMN source;
