-- Per source: IP addresses and ranges whose traffic is not kept (the team's own office, VPN, QA
-- machines). Events from them are counted and dropped.
ALTER TABLE sources ADD COLUMN excluded_ips text[] NOT NULL DEFAULT '{}';

-- Per workspace: the channel grouping rules for touchpoints, when the workspace has edited them
-- (no row: the documented defaults).
CREATE TABLE channel_rules (
  workspace_id  uuid PRIMARY KEY REFERENCES workspaces(id),
  rules         jsonb NOT NULL,
  updated_at    timestamptz NOT NULL
);
