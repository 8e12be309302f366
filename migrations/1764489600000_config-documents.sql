-- Up Migration

-- Config documents, stored once by content: the key is the SHA-256 of the document's
-- canonical JSON (the hash every RegionConfigPushed already carries). Rollout workflows and
-- their activities carry the hash, not the document, so Temporal history no longer grows
-- with config size × regions. Rows are never changed; equal content is stored once.
CREATE TABLE config_documents (
  hash text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
  body jsonb NOT NULL,
  size_bytes integer NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE config_documents;
