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
-- Such writes may move a stage backwards: the record is then synced from another system of record,
-- and the history shows it. Clearing the stage writes no history row (to_stage is required).
CREATE FUNCTION keel_lifecycle_outside_writes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  who text := coalesce(nullif(current_setting('keel.actor', true), ''), 'contact record');
  why text := 'set on the contact record (API, import, bulk edit or merge)';
BEGIN
  IF coalesce(current_setting('keel.lifecycle_writer', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    WITH moves AS (
      SELECT n.workspace_id, n.id AS contact_id, NULL::text AS from_stage, n.lifecycle_stage AS to_stage, n.updated_at AS at
      FROM keel_new n WHERE n.lifecycle_stage IS NOT NULL AND n.deleted_at IS NULL
    ), history AS (
      INSERT INTO lifecycle_history (id, workspace_id, contact_id, from_stage, to_stage, reason, rule_id, actor, at)
      SELECT gen_random_uuid(), m.workspace_id, m.contact_id, m.from_stage, m.to_stage, why, NULL, who, m.at FROM moves m
    )
    INSERT INTO routing_queue (workspace_id, contact_id, cause, rep_id)
    SELECT m.workspace_id, m.contact_id, 'stage:' || m.to_stage, NULL
    FROM moves m LEFT JOIN lifecycle_settings s ON s.workspace_id = m.workspace_id
    WHERE m.to_stage IN (SELECT jsonb_array_elements_text(coalesce(s.route_on, '["mql"]'::jsonb)));
  ELSE
    WITH moves AS (
      SELECT n.workspace_id, n.id AS contact_id, o.lifecycle_stage AS from_stage, n.lifecycle_stage AS to_stage, n.updated_at AS at
      FROM keel_new n JOIN keel_old o ON o.id = n.id
      WHERE n.lifecycle_stage IS NOT NULL AND n.lifecycle_stage IS DISTINCT FROM o.lifecycle_stage AND n.deleted_at IS NULL
    ), history AS (
      INSERT INTO lifecycle_history (id, workspace_id, contact_id, from_stage, to_stage, reason, rule_id, actor, at)
      SELECT gen_random_uuid(), m.workspace_id, m.contact_id, m.from_stage, m.to_stage, why, NULL, who, m.at FROM moves m
    )
    INSERT INTO routing_queue (workspace_id, contact_id, cause, rep_id)
    SELECT m.workspace_id, m.contact_id, 'stage:' || m.to_stage, NULL
    FROM moves m LEFT JOIN lifecycle_settings s ON s.workspace_id = m.workspace_id
    WHERE m.to_stage IN (SELECT jsonb_array_elements_text(coalesce(s.route_on, '["mql"]'::jsonb)));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_lifecycle_outside_ins AFTER INSERT ON contacts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_lifecycle_outside_writes();
CREATE TRIGGER contacts_lifecycle_outside_upd AFTER UPDATE ON contacts REFERENCING OLD TABLE AS keel_old NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_lifecycle_outside_writes();
