-- Tracking: sources and write keys, profiles and identities, events (partitioned by time), touchpoints.

CREATE TABLE sources (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  kind          text NOT NULL DEFAULT 'website' CHECK (kind IN ('website','server','mobile','other')),
  retention_days integer CHECK (retention_days IS NULL OR retention_days > 0),
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  deleted_at    timestamptz
);
CREATE INDEX sources_ws_idx ON sources (workspace_id, id);

-- Write keys are sent in clear by every Segment library (HTTP Basic user name): stored as SHA-256.
-- A rotated key keeps working until expires_at, so deployed clients can be updated meanwhile.
CREATE TABLE source_keys (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  source_id     uuid NOT NULL REFERENCES sources(id),
  prefix        text NOT NULL,
  key_hash      text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX source_keys_source_idx ON source_keys (source_id);

-- A profile is one person as tracking knows them; contact_id once they are known.
-- A merged profile points at the one it was merged into; its identities and events move there.
CREATE TABLE profiles (
  id             uuid PRIMARY KEY,
  workspace_id   uuid NOT NULL REFERENCES workspaces(id),
  contact_id     uuid REFERENCES contacts(id),
  merged_into    uuid REFERENCES profiles(id),
  traits         jsonb NOT NULL DEFAULT '{}'::jsonb,
  first_seen_at  timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL
);
CREATE INDEX profiles_contact_idx ON profiles (contact_id) WHERE contact_id IS NOT NULL;

CREATE TABLE identities (
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  kind          text NOT NULL CHECK (kind IN ('anonymous_id','user_id')),
  value         text NOT NULL,
  profile_id    uuid NOT NULL REFERENCES profiles(id),
  first_seen_at timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, kind, value)
);
CREATE INDEX identities_profile_idx ON identities (profile_id);

CREATE TABLE profile_merges (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  from_profile  uuid NOT NULL REFERENCES profiles(id),
  into_profile  uuid NOT NULL REFERENCES profiles(id),
  reason        text NOT NULL,
  message_id    text,
  merged_at     timestamptz NOT NULL
);
CREATE INDEX profile_merges_into_idx ON profile_merges (into_profile);

-- messageId deduplication across partitions (a unique index on a partitioned table must include
-- the partition key, which a retry need not repeat exactly).
CREATE TABLE event_ids (
  workspace_id  uuid NOT NULL,
  message_id    text NOT NULL,
  PRIMARY KEY (workspace_id, message_id)
);

-- Events by event time, one partition per month (created ahead by a daily job), and a default
-- partition for what falls outside (historical imports, clocks far off).
CREATE TABLE events (
  id            uuid NOT NULL,
  workspace_id  uuid NOT NULL,
  source_id     uuid NOT NULL,
  profile_id    uuid NOT NULL,
  type          text NOT NULL CHECK (type IN ('identify','track','page','screen','group','alias')),
  event         text,
  name          text,
  message_id    text NOT NULL,
  anonymous_id  text,
  user_id       text,
  ts            timestamptz NOT NULL,
  sent_at       timestamptz,
  received_at   timestamptz NOT NULL,
  properties    jsonb NOT NULL DEFAULT '{}'::jsonb,
  traits        jsonb NOT NULL DEFAULT '{}'::jsonb,
  context       jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (id, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_profile_idx ON events (profile_id, ts DESC, id DESC);
CREATE INDEX events_ws_received_idx ON events (workspace_id, received_at DESC);

CREATE FUNCTION keel_ensure_event_partitions(from_month date, months integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  m date := date_trunc('month', from_month)::date;
  made integer := 0;
  name text;
BEGIN
  FOR i IN 0 .. months - 1 LOOP
    name := 'events_' || to_char(m, 'YYYY_MM');
    IF to_regclass(name) IS NULL THEN
      BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)', name, m, (m + interval '1 month')::date);
        made := made + 1;
      EXCEPTION WHEN check_violation THEN
        -- Rows for that month already sit in the default partition: they stay there.
        NULL;
      END;
    END IF;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN made;
END $$;

SELECT keel_ensure_event_partitions((now() - interval '1 month')::date, 4);

-- A visit's source: UTM parameters, click ids and referrer, classified into a channel group.
CREATE TABLE touchpoints (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  profile_id    uuid NOT NULL REFERENCES profiles(id),
  event_id      uuid NOT NULL,
  ts            timestamptz NOT NULL,
  channel       text NOT NULL,
  source        text,
  medium        text,
  campaign      text,
  term          text,
  content       text,
  click_id      text,
  referrer      text,
  landing_page  text
);
CREATE INDEX touchpoints_profile_idx ON touchpoints (profile_id, ts DESC);
CREATE INDEX touchpoints_ws_idx ON touchpoints (workspace_id, ts DESC);
