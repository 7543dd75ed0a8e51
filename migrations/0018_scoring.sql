-- Lead scoring: named models per workspace, each with an editable draft and immutable published
-- versions; the published version's score per contact with its explanation; the queue of contacts
-- to rescore.

CREATE TABLE scoring_models (
  id                 uuid PRIMARY KEY,
  workspace_id       uuid NOT NULL REFERENCES workspaces(id),
  name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description        text NOT NULL DEFAULT '',
  -- The draft: edited in place until it is published as the next version.
  draft              jsonb NOT NULL,
  -- The version contact_scores hold (null until the first publish).
  published_version  integer,
  -- When the last full recompute of the published version finished.
  computed_at        timestamptz,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  deleted_at         timestamptz
);
CREATE INDEX scoring_models_ws_idx ON scoring_models (workspace_id, id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX scoring_models_name_idx ON scoring_models (workspace_id, lower(name)) WHERE deleted_at IS NULL;

-- Published versions never change: a new publish adds a row.
CREATE TABLE scoring_model_versions (
  model_id      uuid NOT NULL REFERENCES scoring_models(id),
  version       integer NOT NULL CHECK (version >= 1),
  workspace_id  uuid NOT NULL,
  definition    jsonb NOT NULL,
  published_at  timestamptz NOT NULL,
  published_by  text NOT NULL,
  PRIMARY KEY (model_id, version)
);

-- One row per (published model, live contact). Read by lifecycle and routing: keep this shape.
-- explanation: [{rule, points, at}] whose points add up exactly to score.
CREATE TABLE contact_scores (
  workspace_id  uuid NOT NULL,
  model_id      uuid NOT NULL REFERENCES scoring_models(id) ON DELETE CASCADE,
  contact_id    uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  score         double precision NOT NULL,
  band          text NOT NULL,
  explanation   jsonb NOT NULL,
  computed_at   timestamptz NOT NULL,
  PRIMARY KEY (model_id, contact_id)
);
CREATE INDEX contact_scores_contact_idx ON contact_scores (contact_id);
CREATE INDEX contact_scores_model_score_idx ON contact_scores (model_id, score DESC);

-- Contacts to rescore. Filled by the triggers below in the writer's own transaction (so no change
-- is missed), drained by the scoring.queue loop. Workspaces without a published model queue nothing.
CREATE TABLE scoring_queue (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid NOT NULL,
  contact_id    uuid NOT NULL,
  queued_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION keel_scoring_active(ws uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM scoring_models m
                 WHERE m.workspace_id = ws AND m.deleted_at IS NULL AND m.published_version IS NOT NULL)
$$;

CREATE FUNCTION keel_scoreq_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO scoring_queue (workspace_id, contact_id)
  SELECT n.workspace_id, n.id FROM keel_new n WHERE keel_scoring_active(n.workspace_id);
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_scoreq_ins AFTER INSERT ON contacts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_scoreq_contacts();
CREATE TRIGGER contacts_scoreq_upd AFTER UPDATE ON contacts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_scoreq_contacts();

-- Fit rules may test the contact's account.
CREATE FUNCTION keel_scoreq_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO scoring_queue (workspace_id, contact_id)
  SELECT c.workspace_id, c.id FROM keel_new n JOIN contacts c ON c.account_id = n.id
  WHERE keel_scoring_active(n.workspace_id);
  RETURN NULL;
END $$;
CREATE TRIGGER accounts_scoreq_upd AFTER UPDATE ON accounts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_scoreq_accounts();

-- New or moved events and touchpoints: their profile's contact.
CREATE FUNCTION keel_scoreq_profile_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO scoring_queue (workspace_id, contact_id)
  SELECT DISTINCT p.workspace_id, p.contact_id
  FROM (SELECT DISTINCT profile_id FROM keel_new) n JOIN profiles p ON p.id = n.profile_id
  WHERE p.contact_id IS NOT NULL AND keel_scoring_active(p.workspace_id);
  RETURN NULL;
END $$;
CREATE TRIGGER events_scoreq_ins AFTER INSERT ON events REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_scoreq_profile_rows();
CREATE TRIGGER events_scoreq_upd AFTER UPDATE ON events REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_scoreq_profile_rows();
CREATE TRIGGER touchpoints_scoreq_ins AFTER INSERT ON touchpoints REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_scoreq_profile_rows();
CREATE TRIGGER touchpoints_scoreq_upd AFTER UPDATE ON touchpoints REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_scoreq_profile_rows();

-- A profile that becomes (or stops being) a contact's brings or takes its events.
CREATE FUNCTION keel_scoreq_profiles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO scoring_queue (workspace_id, contact_id)
  SELECT DISTINCT x.workspace_id, x.contact_id FROM (
    SELECT n.workspace_id, n.contact_id FROM keel_new n JOIN keel_old o ON o.id = n.id
      WHERE n.contact_id IS DISTINCT FROM o.contact_id AND n.contact_id IS NOT NULL
    UNION ALL
    SELECT o.workspace_id, o.contact_id FROM keel_new n JOIN keel_old o ON o.id = n.id
      WHERE n.contact_id IS DISTINCT FROM o.contact_id AND o.contact_id IS NOT NULL
  ) x
  WHERE keel_scoring_active(x.workspace_id);
  RETURN NULL;
END $$;
CREATE TRIGGER profiles_scoreq_upd AFTER UPDATE ON profiles REFERENCING NEW TABLE AS keel_new OLD TABLE AS keel_old
  FOR EACH STATEMENT EXECUTE FUNCTION keel_scoreq_profiles();

-- Fit rules may test list membership (directly or through a segment).
CREATE FUNCTION keel_scoreq_lists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO scoring_queue (workspace_id, contact_id)
  SELECT DISTINCT n.workspace_id, n.contact_id FROM keel_new n WHERE keel_scoring_active(n.workspace_id);
  RETURN NULL;
END $$;
CREATE TRIGGER list_members_scoreq_ins AFTER INSERT ON list_members REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_scoreq_lists();
CREATE TRIGGER list_members_scoreq_del AFTER DELETE ON list_members REFERENCING OLD TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_scoreq_lists();
