-- Stage changes made outside the lifecycle module: a contact created or updated with a lifecycle
-- stage through the contacts API (POST, PATCH, upsert), an import, a bulk update, tracking or a
-- merge. They wrote no history and did not start routing; now these triggers write the history row
-- (from, to, who, when) and, on entering a routing stage of the workspace (MQL by default), queue
-- the contact for routing, in the writer's own transaction.
--
-- The lifecycle module's own moves (rules, POST /contacts/:id/lifecycle) write their history with
-- rule and reason themselves; they set `keel.lifecycle_writer` for their update, and these
-- triggers stand aside. Who made the change comes from `keel.actor`, which the contacts service
-- and imports set (transaction-local) when a write carries a stage; otherwise "contact record".
-- Updates use a row trigger that fires only for rows whose stage changed (WHEN): a statement
-- trigger would need the OLD transition table of every contacts update, which cost about 10% of a
-- 100,000-row update that did not touch the stage (measured on PostgreSQL 15).
-- Such writes may move a stage backwards: the record is then synced from another system of record,
-- and the history shows it. Clearing the stage writes no history row (to_stage is required).
CREATE FUNCTION keel_lifecycle_outside_record(ws uuid, contact uuid, from_stage text, to_stage text, at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lifecycle_history (id, workspace_id, contact_id, from_stage, to_stage, reason, rule_id, actor, at)
  VALUES (gen_random_uuid(), ws, contact, from_stage, to_stage, 'set on the contact record (API, import, bulk edit or merge)', NULL,
    coalesce(nullif(current_setting('keel.actor', true), ''), 'contact record'), at);
  IF to_stage IN (SELECT jsonb_array_elements_text(coalesce(
       (SELECT s.route_on FROM lifecycle_settings s WHERE s.workspace_id = ws), '["mql"]'::jsonb))) THEN
    INSERT INTO routing_queue (workspace_id, contact_id, cause, rep_id) VALUES (ws, contact, 'stage:' || to_stage, NULL);
  END IF;
END $$;

-- Created with a stage: one statement, over the rows the statement inserted.
CREATE FUNCTION keel_lifecycle_outside_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('keel.lifecycle_writer', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  PERFORM keel_lifecycle_outside_record(n.workspace_id, n.id, NULL, n.lifecycle_stage, n.updated_at)
  FROM keel_new n WHERE n.lifecycle_stage IS NOT NULL AND n.deleted_at IS NULL;
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_lifecycle_outside_ins AFTER INSERT ON contacts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_lifecycle_outside_inserts();

-- Updated: only rows whose stage changed to a stage.
CREATE FUNCTION keel_lifecycle_outside_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('keel.lifecycle_writer', true), '') <> 'on' AND NEW.deleted_at IS NULL THEN
    PERFORM keel_lifecycle_outside_record(NEW.workspace_id, NEW.id, OLD.lifecycle_stage, NEW.lifecycle_stage, NEW.updated_at);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_lifecycle_outside_upd AFTER UPDATE OF lifecycle_stage ON contacts
  FOR EACH ROW WHEN (NEW.lifecycle_stage IS NOT NULL AND NEW.lifecycle_stage IS DISTINCT FROM OLD.lifecycle_stage)
  EXECUTE FUNCTION keel_lifecycle_outside_update();
