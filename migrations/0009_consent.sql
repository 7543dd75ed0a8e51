-- Consent per contact and purpose (email marketing, tracking, profiling...): the current state and
-- every change behind it, with lawful basis, source, the text shown and double opt-in.

CREATE TABLE consents (
  workspace_id    uuid NOT NULL REFERENCES workspaces(id),
  contact_id      uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  purpose         text NOT NULL CHECK (purpose ~ '^[a-z][a-z0-9_]{0,49}$'),
  status          text NOT NULL CHECK (status IN ('granted', 'withdrawn')),
  lawful_basis    text NOT NULL CHECK (lawful_basis IN ('consent', 'legitimate_interest', 'contract', 'legal_obligation', 'vital_interest', 'public_task')),
  -- 'not_required', 'pending' (asked to confirm), 'confirmed'.
  double_opt_in   text NOT NULL CHECK (double_opt_in IN ('not_required', 'pending', 'confirmed')),
  source          text NOT NULL,
  text_shown      text,
  changed_at      timestamptz NOT NULL,
  PRIMARY KEY (contact_id, purpose)
);
CREATE INDEX consents_ws_purpose_idx ON consents (workspace_id, purpose, status);

CREATE TABLE consent_events (
  id              uuid PRIMARY KEY,
  workspace_id    uuid NOT NULL REFERENCES workspaces(id),
  contact_id      uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  purpose         text NOT NULL,
  status          text NOT NULL,
  lawful_basis    text NOT NULL,
  double_opt_in   text NOT NULL,
  source          text NOT NULL,
  text_shown      text,
  ip              text,
  user_agent      text,
  actor           text NOT NULL,
  at              timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL,
  -- False when a newer change was already recorded: kept in the history, not the current state.
  applied         boolean NOT NULL DEFAULT true
);
CREATE INDEX consent_events_contact_idx ON consent_events (contact_id, at DESC);

-- A consent change can move its contact in or out of segments (see 0007).
CREATE FUNCTION keel_segq_consents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO segment_queue (workspace_id, contact_id, cause)
  SELECT DISTINCT n.workspace_id, n.contact_id, 'contact' FROM keel_new n
  WHERE EXISTS (SELECT 1 FROM segments s WHERE s.workspace_id = n.workspace_id AND s.deleted_at IS NULL);
  RETURN NULL;
END $$;
CREATE TRIGGER consents_segq_ins AFTER INSERT ON consents REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_segq_consents();
CREATE TRIGGER consents_segq_upd AFTER UPDATE ON consents REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_segq_consents();
