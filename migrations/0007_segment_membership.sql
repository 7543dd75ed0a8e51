-- Segment membership kept current: who is in each segment now, every entry and exit (the stream
-- journeys and webhooks read), and the queue of contacts whose membership may have changed.

ALTER TABLE segments
  ADD COLUMN member_count integer NOT NULL DEFAULT 0,
  ADD COLUMN refreshed_at timestamptz,
  -- 'building' from a definition change until its rebuild has run; 'ready' after.
  ADD COLUMN state text NOT NULL DEFAULT 'building' CHECK (state IN ('building', 'ready'));

CREATE TABLE segment_members (
  segment_id    uuid NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
  contact_id    uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  workspace_id  uuid NOT NULL,
  entered_at    timestamptz NOT NULL,
  PRIMARY KEY (segment_id, contact_id)
);
CREATE INDEX segment_members_contact_idx ON segment_members (contact_id);

CREATE TABLE segment_membership_log (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid NOT NULL,
  segment_id    uuid NOT NULL,
  contact_id    uuid NOT NULL,
  change        text NOT NULL CHECK (change IN ('entered', 'exited')),
  reason        text NOT NULL,
  at            timestamptz NOT NULL
);
CREATE INDEX segment_membership_log_segment_idx ON segment_membership_log (segment_id, id);
CREATE INDEX segment_membership_log_contact_idx ON segment_membership_log (contact_id, id);
CREATE INDEX segment_membership_log_ws_idx ON segment_membership_log (workspace_id, id);

-- Static lists: contacts added by hand, API, file or a segment snapshot.
CREATE TABLE lists (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description   text NOT NULL DEFAULT '',
  member_count  integer NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  deleted_at    timestamptz
);
CREATE INDEX lists_ws_idx ON lists (workspace_id, id) WHERE deleted_at IS NULL;

CREATE TABLE list_members (
  list_id       uuid NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
  contact_id    uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  workspace_id  uuid NOT NULL,
  added_at      timestamptz NOT NULL,
  -- 'api', 'file' or 'segment:<id>' (a snapshot).
  added_by      text NOT NULL,
  PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX list_members_contact_idx ON list_members (contact_id);

-- Contacts to re-evaluate, with what changed ('contact', 'account', 'event', 'list'). Filled by the
-- triggers below in the writer's own transaction, so no change is missed; drained by the
-- segments worker. Workspaces without segments queue nothing.
CREATE TABLE segment_queue (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid NOT NULL,
  contact_id    uuid NOT NULL,
  cause         text NOT NULL,
  queued_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION keel_segq_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO segment_queue (workspace_id, contact_id, cause)
  SELECT n.workspace_id, n.id, 'contact' FROM keel_new n
  WHERE EXISTS (SELECT 1 FROM segments s WHERE s.workspace_id = n.workspace_id AND s.deleted_at IS NULL);
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_segq_ins AFTER INSERT ON contacts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_segq_contacts();
CREATE TRIGGER contacts_segq_upd AFTER UPDATE ON contacts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_segq_contacts();

CREATE FUNCTION keel_segq_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO segment_queue (workspace_id, contact_id, cause)
  SELECT c.workspace_id, c.id, 'account' FROM keel_new n JOIN contacts c ON c.account_id = n.id
  WHERE EXISTS (SELECT 1 FROM segments s WHERE s.workspace_id = n.workspace_id AND s.deleted_at IS NULL);
  RETURN NULL;
END $$;
CREATE TRIGGER accounts_segq_upd AFTER UPDATE ON accounts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_segq_accounts();

-- New or moved events (a profile merge moves them) and touchpoints: their profile's contact.
CREATE FUNCTION keel_segq_profile_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO segment_queue (workspace_id, contact_id, cause)
  SELECT DISTINCT p.workspace_id, p.contact_id, 'event'
  FROM (SELECT DISTINCT profile_id FROM keel_new) n JOIN profiles p ON p.id = n.profile_id
  WHERE p.contact_id IS NOT NULL
    AND EXISTS (SELECT 1 FROM segments s WHERE s.workspace_id = p.workspace_id AND s.deleted_at IS NULL);
  RETURN NULL;
END $$;
CREATE TRIGGER events_segq_ins AFTER INSERT ON events REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_segq_profile_rows();
CREATE TRIGGER events_segq_upd AFTER UPDATE ON events REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_segq_profile_rows();
CREATE TRIGGER touchpoints_segq_ins AFTER INSERT ON touchpoints REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_segq_profile_rows();
CREATE TRIGGER touchpoints_segq_upd AFTER UPDATE ON touchpoints REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_segq_profile_rows();

-- A profile that becomes (or stops being) a contact's brings or takes its events.
CREATE FUNCTION keel_segq_profiles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO segment_queue (workspace_id, contact_id, cause)
  SELECT DISTINCT x.workspace_id, x.contact_id, 'event' FROM (
    SELECT n.workspace_id, n.contact_id FROM keel_new n JOIN keel_old o ON o.id = n.id
      WHERE n.contact_id IS DISTINCT FROM o.contact_id AND n.contact_id IS NOT NULL
    UNION ALL
    SELECT o.workspace_id, o.contact_id FROM keel_new n JOIN keel_old o ON o.id = n.id
      WHERE n.contact_id IS DISTINCT FROM o.contact_id AND o.contact_id IS NOT NULL
  ) x
  WHERE EXISTS (SELECT 1 FROM segments s WHERE s.workspace_id = x.workspace_id AND s.deleted_at IS NULL);
  RETURN NULL;
END $$;
CREATE TRIGGER profiles_segq_upd AFTER UPDATE ON profiles REFERENCING NEW TABLE AS keel_new OLD TABLE AS keel_old
  FOR EACH STATEMENT EXECUTE FUNCTION keel_segq_profiles();

CREATE FUNCTION keel_segq_lists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO segment_queue (workspace_id, contact_id, cause)
  SELECT DISTINCT n.workspace_id, n.contact_id, 'list' FROM keel_new n
  WHERE EXISTS (SELECT 1 FROM segments s WHERE s.workspace_id = n.workspace_id AND s.deleted_at IS NULL);
  RETURN NULL;
END $$;
CREATE TRIGGER list_members_segq_ins AFTER INSERT ON list_members REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_segq_lists();
CREATE TRIGGER list_members_segq_del AFTER DELETE ON list_members REFERENCING OLD TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_segq_lists();
