-- Per-workspace normalisation rules (module quality): which normalisations run on every write
-- path, the phone country used when a contact has none, and the job-title rule tables. A workspace
-- without a row uses the built-in defaults.
CREATE TABLE normalisation_rules (
  workspace_id  uuid PRIMARY KEY REFERENCES workspaces(id),
  rules         jsonb NOT NULL,
  updated_by    text NOT NULL,
  updated_at    timestamptz NOT NULL
);
