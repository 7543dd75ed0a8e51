-- Data-quality scores over time and retention policies per data type (module quality).
--
-- A contact's quality score is computed on read, set-based, from SQL expressions built in
-- src/modules/quality/quality-rules.ts (the weights live there, as data): nothing per contact is
-- stored. What is stored is the workspace's summary once a day, for the trend chart.
CREATE TABLE quality_snapshots (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  -- The UTC day the snapshot describes; a second snapshot on the same day replaces the first.
  day           date NOT NULL,
  contacts      integer NOT NULL,
  score         numeric(4,1),
  completeness  numeric(4,1),
  validity      numeric(4,1),
  -- Live contacts per problem key (missingEmail, emailTypo, noActivity...), no personal data.
  counts        jsonb NOT NULL,
  taken_at      timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, day)
);

-- How long a workspace keeps each kind of data. No row: kept for good. The minimum per type is
-- enforced by the API (quality.schema.ts retentionTypes), where the reasons are written down.
CREATE TABLE retention_policies (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  data_type     text NOT NULL CHECK (data_type IN ('events', 'touchpoints', 'audit_log', 'segment_membership_log', 'consent_events', 'import_files')),
  keep_days     integer NOT NULL CHECK (keep_days > 0),
  updated_by    text NOT NULL,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, data_type)
);

-- One row per retention pass over one data type of one workspace: what it removed. `deleted` is
-- raised in the same transaction as each batch it counts, so it is right even for a pass that
-- stopped half-way. Kept for good: no retention policy applies to it.
CREATE TABLE retention_runs (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  data_type     text NOT NULL,
  keep_days     integer,
  cutoff        timestamptz,
  status        text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  deleted       bigint NOT NULL DEFAULT 0,
  error         text,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz
);
CREATE INDEX retention_runs_ws_idx ON retention_runs (workspace_id, id DESC);

-- Retention deletes "older than" per workspace in batches: each batch finds its rows by time.
-- Touchpoints have (workspace_id, ts) already; the others get an index on their time column. Each
-- costs a little on every write to its table (one more btree entry per audit entry, membership
-- change or consent change), which the daily pass repays by not reading whole tables.
CREATE INDEX audit_log_occurred_idx ON audit_log (workspace_id, occurred_at);
CREATE INDEX segment_membership_log_at_idx ON segment_membership_log (workspace_id, at);
CREATE INDEX consent_events_ws_at_idx ON consent_events (workspace_id, at);

-- When retention removed an import's files (the uploaded CSV, the error CSV) and the rows copied
-- from them (sample, dry run); the import's record and its per-record change log stay.
ALTER TABLE imports ADD COLUMN files_removed_at timestamptz;
