-- How common each value of a matched field is in a workspace (term frequencies), for weighing
-- agreement on a common name less than on a rare one (src/modules/dedupe/matching.ts,
-- ValueFrequencies). Written by every full duplicate scan (all live records counted, the previous
-- counts replaced), read by the incremental matcher for the values it compares.
--
-- Per field: how many records have a value and how often two random records agree on it (Σ share²).
CREATE TABLE dedupe_field_stats (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  object        text NOT NULL CHECK (object IN ('contact', 'account')),
  field         text NOT NULL,
  total         integer NOT NULL,
  agree         double precision NOT NULL,
  counted_at    timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, object, field)
);

-- Records per value, values of two or more records only. Values are stored as 64-bit hashes
-- (hashtextextended of the folded value, as dedupe_keys stores blocking keys): no names here.
CREATE TABLE dedupe_value_counts (
  workspace_id  uuid NOT NULL,
  object        text NOT NULL CHECK (object IN ('contact', 'account')),
  field         text NOT NULL,
  value_hash    bigint NOT NULL,
  count         integer NOT NULL,
  PRIMARY KEY (workspace_id, object, field, value_hash)
);
