-- The live event stream pages by (received_at, id), newest first: the index carries both, so a
-- page reads the newest rows of the workspace instead of sorting all of them.
DROP INDEX events_ws_received_idx;
CREATE INDEX events_ws_received_idx ON events (workspace_id, received_at DESC, id DESC);
