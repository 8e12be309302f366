-- Up Migration

-- What a service's onIncident policy decided for an alert (docs/INCIDENT-INSIGHT.md,
-- "Acting on the blame"). One row per halt request each time it is queued, stored before
-- anything is done, so a delivery that crashes half-way acts on the same decision when the
-- row is claimed again. `decision` holds the numbers (verdict, the top suspects' scores and
-- e-values, each action and why); `results` what each action came to. A resolved alert sets
-- `resolved_at`; the dispatcher then resumes what the decision paused and sets `resumed_at`.
CREATE TABLE incident_decisions (
  id bigserial PRIMARY KEY,
  halt_request_id bigint NOT NULL REFERENCES halt_requests (id),
  queued_at timestamptz NOT NULL,
  fingerprint text NOT NULL,
  starts_at timestamptz NOT NULL,
  service text NOT NULL,
  region text,
  alertname text NOT NULL,
  policy text NOT NULL,
  rule text NOT NULL,
  verdict text,
  summary text NOT NULL,
  decision jsonb NOT NULL,
  results jsonb,
  decided_at timestamptz NOT NULL DEFAULT now(),
  acted_at timestamptz,
  resolved_at timestamptz,
  resumed jsonb,
  resumed_at timestamptz,
  CONSTRAINT incident_decisions_request_key UNIQUE (halt_request_id, queued_at)
);
-- A resolve that lands before the decision is stored is kept on the request, and copied.
ALTER TABLE halt_requests ADD COLUMN resolved_at timestamptz;
CREATE INDEX incident_decisions_alert_idx ON incident_decisions (service, starts_at);
CREATE INDEX incident_decisions_fingerprint_idx ON incident_decisions (fingerprint, service);
CREATE INDEX incident_decisions_to_resume_idx ON incident_decisions (id)
  WHERE rule = 'PAUSE_EXTERNAL' AND acted_at IS NOT NULL AND resolved_at IS NOT NULL AND resumed_at IS NULL;

-- Down Migration

DROP TABLE incident_decisions;
ALTER TABLE halt_requests DROP COLUMN resolved_at;
