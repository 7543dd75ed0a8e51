-- Platform: workspaces, users, sessions, API keys, audit log.
-- Every row of user data carries workspace_id; every query filters by it.

CREATE TABLE workspaces (
  id          uuid PRIMARY KEY,
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id             uuid PRIMARY KEY,
  workspace_id   uuid NOT NULL REFERENCES workspaces(id),
  email          text NOT NULL CHECK (email = lower(email)),
  name           text NOT NULL DEFAULT '',
  password_hash  text NOT NULL,
  role           text NOT NULL CHECK (role IN ('admin','mops_manager','automation_specialist','data_analyst','sales','viewer')),
  disabled_at    timestamptz,
  last_login_at  timestamptz,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
-- One login per email across the install: login does not ask which workspace.
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_workspace_idx ON users (workspace_id, id);

CREATE TABLE sessions (
  id            uuid PRIMARY KEY,
  token_hash    text NOT NULL UNIQUE,
  user_id       uuid NOT NULL REFERENCES users(id),
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  csrf_token    text NOT NULL,
  ip            text,
  user_agent    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE api_keys (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  role          text NOT NULL CHECK (role IN ('admin','mops_manager','automation_specialist','data_analyst','sales','viewer')),
  prefix        text NOT NULL UNIQUE,
  key_hash      text NOT NULL,
  created_by    uuid REFERENCES users(id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id, id);

CREATE TABLE audit_log (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  occurred_at   timestamptz NOT NULL,
  actor_type    text NOT NULL CHECK (actor_type IN ('user','api_key','system','cli')),
  actor_id      text,
  actor_label   text NOT NULL,
  action        text NOT NULL,
  entity_type   text NOT NULL,
  entity_id     text,
  changes       jsonb NOT NULL DEFAULT '{}'::jsonb,
  ip            text,
  request_id    text
);
CREATE INDEX audit_log_ws_idx ON audit_log (workspace_id, id DESC);
CREATE INDEX audit_log_entity_idx ON audit_log (workspace_id, entity_type, entity_id, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (workspace_id, actor_id, id DESC);

-- Idempotency-Key for API writes: a retried POST returns the first answer instead of acting twice.
CREATE TABLE idempotency_keys (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  key           text NOT NULL,
  actor_id      text NOT NULL,
  method        text NOT NULL,
  path          text NOT NULL,
  status        integer NOT NULL,
  body          jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, actor_id, key)
);
