-- Duplicate detection and merge (module dedupe).
--
-- Blocking keys are stored as 64-bit hashes of the key text ("e:<email>", "p:<phone>", "n:<metaphone
-- of last name>:<first initial>", ...): candidates share a key; no personal data sits in this table.
CREATE TABLE dedupe_keys (
  workspace_id  uuid NOT NULL,
  object        text NOT NULL CHECK (object IN ('contact', 'account')),
  key           bigint NOT NULL,
  record_id     uuid NOT NULL,
  PRIMARY KEY (workspace_id, object, key, record_id)
);
CREATE INDEX dedupe_keys_record_idx ON dedupe_keys (record_id);

-- Pairs at or above the review threshold, a_id < b_id. status: open (in the review queue),
-- merged (by a person), auto_merged, dismissed (not the same: never proposed again).
CREATE TABLE duplicate_pairs (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  object        text NOT NULL CHECK (object IN ('contact', 'account')),
  a_id          uuid NOT NULL,
  b_id          uuid NOT NULL CHECK (a_id < b_id),
  probability   double precision NOT NULL CHECK (probability >= 0 AND probability <= 1),
  -- [{field, level, weight}]: which fields agreed, how much each counted (no values).
  reasons       jsonb NOT NULL,
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'merged', 'auto_merged', 'dismissed')),
  merge_id      uuid,
  found_at      timestamptz NOT NULL,
  scored_at     timestamptz NOT NULL,
  decided_by    text,
  decided_at    timestamptz,
  PRIMARY KEY (workspace_id, object, a_id, b_id)
);
CREATE INDEX duplicate_pairs_queue_idx ON duplicate_pairs (workspace_id, object, probability DESC, a_id, b_id);
CREATE INDEX duplicate_pairs_b_idx ON duplicate_pairs (b_id);
CREATE INDEX duplicate_pairs_a_idx ON duplicate_pairs (a_id);

-- Per workspace and object: thresholds, auto-merge (off by default), survivorship and weights.
CREATE TABLE dedupe_settings (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  object        text NOT NULL CHECK (object IN ('contact', 'account')),
  settings      jsonb NOT NULL,
  updated_by    text NOT NULL,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, object)
);

-- A merge: the survivor, the records folded into it, and everything needed to undo it within
-- 30 days (the survivor's values before, each loser's row, the rows that moved).
CREATE TABLE merges (
  id              uuid PRIMARY KEY,
  workspace_id    uuid NOT NULL REFERENCES workspaces(id),
  object          text NOT NULL CHECK (object IN ('contact', 'account')),
  survivor_id     uuid NOT NULL,
  loser_ids       uuid[] NOT NULL,
  -- {field: record id the value came from}
  chosen          jsonb NOT NULL,
  survivor_before jsonb NOT NULL,
  survivor_after  jsonb NOT NULL,
  losers          jsonb NOT NULL,
  moved           jsonb NOT NULL,
  auto            boolean NOT NULL DEFAULT false,
  probability     double precision,
  actor           text NOT NULL,
  merged_at       timestamptz NOT NULL,
  undone_at       timestamptz,
  undone_by       text
);
CREATE INDEX merges_survivor_idx ON merges (survivor_id, merged_at DESC);
CREATE INDEX merges_ws_idx ON merges (workspace_id, merged_at DESC);

-- A merged record is soft-deleted and points at its survivor.
ALTER TABLE contacts ADD COLUMN merged_into uuid;
ALTER TABLE accounts ADD COLUMN merged_into uuid;
CREATE INDEX contacts_merged_into_idx ON contacts (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX accounts_merged_into_idx ON accounts (merged_into) WHERE merged_into IS NOT NULL;

-- Records whose matching fields changed, for the incremental pass (module dedupe's loop).
CREATE TABLE dedupe_queue (
  workspace_id  uuid NOT NULL,
  object        text NOT NULL,
  record_id     uuid NOT NULL,
  queued_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (object, record_id)
);

CREATE FUNCTION keel_dedupeq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dedupe_queue (workspace_id, object, record_id)
  SELECT n.workspace_id, TG_ARGV[0], n.id FROM keel_new n
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_dedupeq_ins AFTER INSERT ON contacts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_dedupeq('contact');
CREATE TRIGGER accounts_dedupeq_ins AFTER INSERT ON accounts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_dedupeq('account');

-- Updates queue only rows whose matching fields (or deletion) changed.
CREATE FUNCTION keel_dedupeq_upd_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dedupe_queue (workspace_id, object, record_id)
  SELECT n.workspace_id, 'contact', n.id FROM keel_new n JOIN keel_old o ON o.id = n.id
  WHERE (n.email, n.first_name, n.last_name, n.phone, n.company, n.city, n.country, n.title, n.deleted_at)
    IS DISTINCT FROM (o.email, o.first_name, o.last_name, o.phone, o.company, o.city, o.country, o.title, o.deleted_at)
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_dedupeq_upd AFTER UPDATE ON contacts REFERENCING NEW TABLE AS keel_new OLD TABLE AS keel_old
  FOR EACH STATEMENT EXECUTE FUNCTION keel_dedupeq_upd_contacts();

CREATE FUNCTION keel_dedupeq_upd_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dedupe_queue (workspace_id, object, record_id)
  SELECT n.workspace_id, 'account', n.id FROM keel_new n JOIN keel_old o ON o.id = n.id
  WHERE (n.name, n.domain, n.city, n.country, n.deleted_at) IS DISTINCT FROM (o.name, o.domain, o.city, o.country, o.deleted_at)
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER accounts_dedupeq_upd AFTER UPDATE ON accounts REFERENCING NEW TABLE AS keel_new OLD TABLE AS keel_old
  FOR EACH STATEMENT EXECUTE FUNCTION keel_dedupeq_upd_accounts();

-- A full scan's candidate pairs (cleared when the next scan of the same workspace and object starts).
CREATE TABLE dedupe_candidates (
  workspace_id  uuid NOT NULL,
  object        text NOT NULL,
  a_id          uuid NOT NULL,
  b_id          uuid NOT NULL,
  PRIMARY KEY (workspace_id, object, a_id, b_id)
);

-- Full scans: who started one, its phase and progress, what it found.
CREATE TABLE dedupe_scans (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  object        text NOT NULL CHECK (object IN ('contact', 'account')),
  status        text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  phase         text NOT NULL,
  done          integer NOT NULL DEFAULT 0,
  total         integer NOT NULL DEFAULT 0,
  stats         jsonb NOT NULL DEFAULT '{}'::jsonb,
  error         text,
  actor         text NOT NULL,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz
);
CREATE INDEX dedupe_scans_ws_idx ON dedupe_scans (workspace_id, object, started_at DESC);
CREATE UNIQUE INDEX dedupe_scans_running_uq ON dedupe_scans (workspace_id, object) WHERE status = 'running';
