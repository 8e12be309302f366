-- Up Migration

-- Emergency freezes (the declareFreeze mutation), kept here so they survive a restart of any
-- process: startRollout reads them, and running rollouts hold while one covers their service.
-- A null service freezes every service. A freeze ends when lifted or at `until`.
CREATE TABLE emergency_freezes (
  id text PRIMARY KEY,
  service text,
  reason text NOT NULL,
  declared_by text NOT NULL,
  declared_at timestamptz NOT NULL DEFAULT now(),
  until timestamptz,
  lifted_at timestamptz,
  lifted_by text
);
CREATE INDEX emergency_freezes_active_idx ON emergency_freezes (service) WHERE lifted_at IS NULL;

-- Down Migration
DROP TABLE emergency_freezes;
