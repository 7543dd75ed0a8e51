-- Tracking plan: the events a workspace declares, with a JSON Schema for their properties, and
-- what is actually seen (planned or not), with violations and examples.

CREATE TABLE tracking_plan (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  event         text NOT NULL CHECK (length(event) BETWEEN 1 AND 500),
  description   text NOT NULL DEFAULT '',
  schema        jsonb NOT NULL,
  block         boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, event)
);

CREATE TABLE event_stats (
  workspace_id    uuid NOT NULL REFERENCES workspaces(id),
  event           text NOT NULL,
  seen            bigint NOT NULL DEFAULT 0,
  violations      bigint NOT NULL DEFAULT 0,
  blocked         bigint NOT NULL DEFAULT 0,
  first_seen_at   timestamptz NOT NULL,
  last_seen_at    timestamptz NOT NULL,
  last_violation_at timestamptz,
  examples        jsonb NOT NULL DEFAULT '[]'::jsonb,
  PRIMARY KEY (workspace_id, event)
);
