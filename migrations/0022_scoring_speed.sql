-- Full recompute speed (issue 8). The recompute now reads a workspace's matching activity once per
-- engagement rule for the whole run, rather than once per chunk of contacts; a track-event rule
-- reads its event by name through this index instead of scanning every event of the workspace.
CREATE INDEX events_ws_event_ts_idx ON events (workspace_id, type, event, ts);

-- Full recomputes in progress. The recompute scores from one snapshot of the activity taken at its
-- start and writes chunk by chunk afterwards; while a run of the workspace is listed here, the
-- scoring queue notes every contact it rescores in scoring_rescored, and the run queues those
-- contacts again when it ends, so a fresher incremental score overwritten by the run's older
-- snapshot is put right at once.
CREATE TABLE scoring_recompute_runs (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid NOT NULL,
  model_id      uuid NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX scoring_recompute_runs_ws_idx ON scoring_recompute_runs (workspace_id);

CREATE TABLE scoring_rescored (
  workspace_id  uuid NOT NULL,
  contact_id    uuid NOT NULL,
  PRIMARY KEY (workspace_id, contact_id)
);
