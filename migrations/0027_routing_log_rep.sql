-- The workspace-wide routing log screen filters entries by rep (`GET /api/v1/routing/log?assignedTo=`),
-- newest first: this index serves that filter as routing_log_kind_idx serves the `kind` filter.
CREATE INDEX routing_log_rep_idx ON routing_log (workspace_id, assigned_to, id);
