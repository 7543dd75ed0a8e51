-- CRM core: contacts, accounts, custom fields, external ids, saved views, imports.

-- A custom field's `key` is its stable storage name (the key inside a record's `custom` jsonb and
-- its API name); renaming a field changes its label only, so no value is ever rewritten or lost.
-- Deleting is soft: values stay in place and the field can be restored for 30 days.
CREATE TABLE custom_fields (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  object        text NOT NULL CHECK (object IN ('contact','account')),
  key           text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
  label         text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
  type          text NOT NULL CHECK (type IN ('text','number','boolean','date','datetime','select','multiselect','url','email','phone','currency')),
  options       jsonb NOT NULL DEFAULT '[]'::jsonb,
  currency      text CHECK (currency ~ '^[A-Z]{3}$'),
  description   text NOT NULL DEFAULT '',
  required      boolean NOT NULL DEFAULT false,
  indexed       boolean NOT NULL DEFAULT false,
  position      integer NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  deleted_at    timestamptz
);
-- Keys stay reserved while a deleted field can still be restored.
CREATE UNIQUE INDEX custom_fields_key_uq ON custom_fields (workspace_id, object, key);

CREATE TABLE accounts (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  name          text NOT NULL,
  domain        text,
  industry      text,
  size          text,
  revenue       bigint,
  country       text,
  city          text,
  owner_id      uuid REFERENCES users(id),
  custom        jsonb NOT NULL DEFAULT '{}'::jsonb,
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  deleted_at    timestamptz,
  search        tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig, coalesce(name, '') || ' ' || coalesce(domain, '') || ' ' || coalesce(replace(domain, '.', ' '), ''))
  ) STORED
);
CREATE INDEX accounts_ws_idx ON accounts (workspace_id, id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX accounts_domain_uq ON accounts (workspace_id, domain) WHERE deleted_at IS NULL AND domain IS NOT NULL;
CREATE INDEX accounts_search_idx ON accounts USING gin (search);
CREATE INDEX accounts_owner_idx ON accounts (workspace_id, owner_id) WHERE deleted_at IS NULL;

CREATE TABLE contacts (
  id              uuid PRIMARY KEY,
  workspace_id    uuid NOT NULL REFERENCES workspaces(id),
  email           text CHECK (email = lower(email)),
  first_name      text,
  last_name       text,
  phone           text,
  title           text,
  company         text,
  country         text,
  city            text,
  lifecycle_stage text,
  source          text,
  owner_id        uuid REFERENCES users(id),
  account_id      uuid REFERENCES accounts(id),
  traits          jsonb NOT NULL DEFAULT '{}'::jsonb,
  custom          jsonb NOT NULL DEFAULT '{}'::jsonb,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  deleted_at      timestamptz,
  -- Full-text search over name, email (whole address and its domain words) and company.
  search          tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig,
      coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, '') || ' ' ||
      coalesce(replace(split_part(email, '@', 2), '.', ' '), '') || ' ' || coalesce(company, ''))
  ) STORED
);
-- One live contact per email in a workspace; a deleted one does not block re-creating it.
CREATE UNIQUE INDEX contacts_email_uq ON contacts (workspace_id, email) WHERE deleted_at IS NULL;
CREATE INDEX contacts_ws_idx ON contacts (workspace_id, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_search_idx ON contacts USING gin (search);
CREATE INDEX contacts_account_idx ON contacts (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX contacts_owner_idx ON contacts (workspace_id, owner_id) WHERE owner_id IS NOT NULL;

-- Ids a record has in other systems (crm_id, map_id, any named key), unique per workspace.
CREATE TABLE external_ids (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  object        text NOT NULL CHECK (object IN ('contact','account')),
  key           text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
  value         text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
  record_id     uuid NOT NULL,
  PRIMARY KEY (workspace_id, object, key, value)
);
CREATE UNIQUE INDEX external_ids_record_uq ON external_ids (record_id, key);

-- Contacts linked to accounts besides their primary account.
CREATE TABLE account_contacts (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  account_id    uuid NOT NULL REFERENCES accounts(id),
  contact_id    uuid NOT NULL REFERENCES contacts(id),
  role          text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (account_id, contact_id)
);
CREATE INDEX account_contacts_contact_idx ON account_contacts (contact_id);

CREATE TABLE saved_views (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  object        text NOT NULL CHECK (object IN ('contact','account')),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  config        jsonb NOT NULL,
  owner_id      uuid REFERENCES users(id),
  shared        boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX saved_views_ws_idx ON saved_views (workspace_id, object, id);

-- A reusable column mapping for imports (header -> field).
CREATE TABLE import_mappings (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  object        text NOT NULL CHECK (object IN ('contact','account')),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  mapping       jsonb NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX import_mappings_name_uq ON import_mappings (workspace_id, object, name);

-- One row per import: who, when, which file, how it was mapped, how far it got, what it did.
-- rows_done / error_bytes are the checkpoint a resumed import restarts from.
CREATE TABLE imports (
  id              uuid PRIMARY KEY,
  workspace_id    uuid NOT NULL REFERENCES workspaces(id),
  object          text NOT NULL CHECK (object IN ('contact','account')),
  status          text NOT NULL CHECK (status IN ('uploaded','dry_running','ready','queued','running','completed','failed','undoing','undone')),
  file_name       text NOT NULL,
  file_path       text NOT NULL,
  file_size       bigint NOT NULL,
  file_hash       text NOT NULL,
  encoding        text NOT NULL,
  bom_length      integer NOT NULL DEFAULT 0,
  delimiter       text NOT NULL,
  headers         jsonb NOT NULL,
  sample          jsonb NOT NULL DEFAULT '[]'::jsonb,
  mapping         jsonb NOT NULL,
  mode            text NOT NULL CHECK (mode IN ('create','update','upsert')),
  match_key       text NOT NULL,
  date_format     text NOT NULL DEFAULT 'auto',
  dry_run         jsonb,
  rows_done       bigint NOT NULL DEFAULT 0,
  bytes_done      bigint NOT NULL DEFAULT 0,
  created_count   bigint NOT NULL DEFAULT 0,
  updated_count   bigint NOT NULL DEFAULT 0,
  skipped_count   bigint NOT NULL DEFAULT 0,
  error_count     bigint NOT NULL DEFAULT 0,
  error_bytes     bigint NOT NULL DEFAULT 0,
  error_file      text,
  failure         text,
  actor_label     text NOT NULL,
  actor_id        text,
  created_at      timestamptz NOT NULL,
  started_at      timestamptz,
  finished_at     timestamptz,
  duration_ms     bigint,
  undone_at       timestamptz,
  undo_result     jsonb,
  -- Written with every checkpoint: a 'running' import whose heartbeat is old has lost its process.
  heartbeat_at    timestamptz
);
CREATE INDEX imports_ws_idx ON imports (workspace_id, id DESC);
CREATE INDEX imports_hash_idx ON imports (workspace_id, file_hash);

-- What an import did to each record, written in the same transaction as the change: the
-- per-record change log behind undo and the record's timeline. `before` is the record as it was
-- (null for a record the import created); after_version lets undo skip records edited since.
CREATE TABLE import_changes (
  import_id     uuid NOT NULL REFERENCES imports(id),
  record_id     uuid NOT NULL,
  op            text NOT NULL CHECK (op IN ('created','updated')),
  before        jsonb,
  after_version integer NOT NULL,
  PRIMARY KEY (import_id, record_id)
);
CREATE INDEX import_changes_record_idx ON import_changes (record_id);

-- Bulk update / delete / assign-owner over up to 10,000 records, run as a job with progress.
CREATE TABLE bulk_operations (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  object        text NOT NULL CHECK (object IN ('contact','account')),
  action        text NOT NULL,
  params        jsonb NOT NULL,
  record_ids    jsonb NOT NULL,
  status        text NOT NULL CHECK (status IN ('queued','running','completed','failed')),
  total         integer NOT NULL,
  done          integer NOT NULL DEFAULT 0,
  changed       integer NOT NULL DEFAULT 0,
  failure       text,
  actor_label   text NOT NULL,
  actor_id      text,
  actor_type    text NOT NULL,
  created_at    timestamptz NOT NULL,
  finished_at   timestamptz
);
CREATE INDEX bulk_operations_ws_idx ON bulk_operations (workspace_id, id DESC);
