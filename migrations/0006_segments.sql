-- Segments: a saved condition over contacts (their fields, account, events, other segments).
CREATE TABLE segments (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description   text NOT NULL DEFAULT '',
  definition    jsonb NOT NULL,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  deleted_at    timestamptz
);
CREATE INDEX segments_ws_idx ON segments (workspace_id, id) WHERE deleted_at IS NULL;
-- A contact's events by name and time, for event conditions.
CREATE INDEX events_profile_event_idx ON events (profile_id, event, ts) WHERE type = 'track';
