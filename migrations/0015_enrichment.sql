-- Enrichment (module enrichment): providers, where each field value came from, and suggested
-- links between contacts and accounts.

-- A workspace's enrichment providers. kind 'offline' is the built-in provider (at most one row per
-- workspace, only to set its overwrite rules or switch it off); kind 'http' calls a URL.
-- config (jsonb, validated by enrichment.schema.ts): {object, url, method, headers, fieldMap,
-- confidence, confidencePath, timeoutMs, overwrite}. Header values are secrets: stored here, never
-- returned by the API in full, never written to the audit log.
CREATE TABLE enrichment_providers (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  kind          text NOT NULL CHECK (kind IN ('offline', 'http')),
  config        jsonb NOT NULL,
  enabled       boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);
-- The name is part of every provenance source ('enrichment:<name>'): unique per workspace.
CREATE UNIQUE INDEX enrichment_providers_name_uq ON enrichment_providers (workspace_id, lower(name));
CREATE UNIQUE INDEX enrichment_providers_offline_uq ON enrichment_providers (workspace_id) WHERE kind = 'offline';

-- Where the current value of a field of a contact or account came from. source is
-- 'enrichment:<provider name>', 'api', 'import' or 'ui'; value is the value as it was written, so
-- a record whose value differs from it has been changed since (by a person, as far as enrichment
-- is concerned). One row per record and field: the latest write. Confidences are double precision,
-- not real: a real 0.9 reads back as 0.8999999762 and fails a ">= 0.9" threshold.
CREATE TABLE field_provenance (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  object        text NOT NULL CHECK (object IN ('contact', 'account')),
  record_id     uuid NOT NULL,
  field         text NOT NULL CHECK (length(field) BETWEEN 1 AND 200),
  source        text NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
  value         jsonb NOT NULL,
  confidence    double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  at            timestamptz NOT NULL,
  PRIMARY KEY (record_id, field)
);

-- Provenance goes with its record when the record is removed for good (erasure, purge): it holds
-- values about the person.
CREATE FUNCTION keel_field_provenance_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM field_provenance p USING keel_old o WHERE p.record_id = o.id;
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_provenance_del AFTER DELETE ON contacts REFERENCING OLD TABLE AS keel_old
  FOR EACH STATEMENT EXECUTE FUNCTION keel_field_provenance_gone();
CREATE TRIGGER accounts_provenance_del AFTER DELETE ON accounts REFERENCING OLD TABLE AS keel_old
  FOR EACH STATEMENT EXECUTE FUNCTION keel_field_provenance_gone();

-- Lead-to-account matching: a contact that may belong to an account, how sure (0..1) and why
-- (domain, parent_domain, name, similar_name, domain_and_name). status: suggested (waiting for a
-- person), linked (the account became the contact's account, automatically or accepted), rejected
-- (never suggested again).
CREATE TABLE account_matches (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  contact_id    uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  account_id    uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  confidence    double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  reason        text NOT NULL,
  status        text NOT NULL DEFAULT 'suggested' CHECK (status IN ('suggested', 'linked', 'rejected')),
  found_at      timestamptz NOT NULL,
  decided_by    text,
  decided_at    timestamptz,
  PRIMARY KEY (contact_id, account_id)
);
CREATE INDEX account_matches_ws_idx ON account_matches (workspace_id, status, confidence DESC);
CREATE INDEX account_matches_account_idx ON account_matches (account_id);
