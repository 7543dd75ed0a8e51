-- Stage changes made outside the lifecycle module: a contact created or updated with a lifecycle
-- stage through the contacts API (POST, PATCH, upsert), an import, a bulk edit, tracking, a merge
-- or plain SQL. They wrote no history and did not start routing; now these triggers write the
-- history row (from, to, why, who, when) in the writer's own transaction and, on entering a
-- routing stage of the workspace (MQL by default), queue the contact for routing.
--
-- Writers describe their change with transaction-local settings (`triggerContext` in
-- src/platform/audit/audit.service.ts): `keel.actor` (who; else "contact record"),
-- `keel.stage_reason` (why; else "set on the contact record"), and `keel.stage_routing` = 'off'
-- where entering a routing stage must not route: imports (a first import of a CRM's old MQLs must
-- not fill reps' queues), merges and undos. The lifecycle module's own moves write their history
-- themselves (with rule and reason) and set `keel.lifecycle_writer` = 'on' for their update:
-- these triggers then stand aside.
-- Such writes may move a stage backwards: the record is then synced from another system of record,
-- and the history shows it. Clearing the stage writes no history row (to_stage is required).
-- Updates use a row trigger that fires only for rows whose stage changed (WHEN): a statement
-- trigger would need the OLD transition table of every contacts update, which cost about 10% of a
-- 100,000-row update that did not touch the stage (measured on PostgreSQL 15). Inserts are one
-- set-based pass over the statement's new rows.
CREATE FUNCTION keel_stage_actor() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('keel.actor', true), ''), 'contact record') $$;
CREATE FUNCTION keel_stage_reason() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('keel.stage_reason', true), ''), 'set on the contact record') $$;
CREATE FUNCTION keel_stage_routes(ws uuid, stage text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('keel.stage_routing', true), '') <> 'off'
    AND stage IN (SELECT jsonb_array_elements_text(coalesce(
      (SELECT s.route_on FROM lifecycle_settings s WHERE s.workspace_id = ws), '["mql"]'::jsonb))) $$;

CREATE FUNCTION keel_lifecycle_outside_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('keel.lifecycle_writer', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  INSERT INTO lifecycle_history (id, workspace_id, contact_id, from_stage, to_stage, reason, rule_id, actor, at)
  SELECT gen_random_uuid(), n.workspace_id, n.id, NULL, n.lifecycle_stage, keel_stage_reason(), NULL, keel_stage_actor(), n.updated_at
  FROM keel_new n WHERE n.lifecycle_stage IS NOT NULL AND n.deleted_at IS NULL;
  INSERT INTO routing_queue (workspace_id, contact_id, cause, rep_id)
  SELECT n.workspace_id, n.id, 'stage:' || n.lifecycle_stage, NULL
  FROM keel_new n WHERE n.lifecycle_stage IS NOT NULL AND n.deleted_at IS NULL AND keel_stage_routes(n.workspace_id, n.lifecycle_stage);
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_lifecycle_outside_ins AFTER INSERT ON contacts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_lifecycle_outside_inserts();

-- A writer that leaves updated_at as it was (a sync script) gets the time of the change itself.
CREATE FUNCTION keel_lifecycle_outside_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('keel.lifecycle_writer', true), '') = 'on' OR NEW.deleted_at IS NOT NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO lifecycle_history (id, workspace_id, contact_id, from_stage, to_stage, reason, rule_id, actor, at)
  VALUES (gen_random_uuid(), NEW.workspace_id, NEW.id, OLD.lifecycle_stage, NEW.lifecycle_stage, keel_stage_reason(), NULL, keel_stage_actor(),
    CASE WHEN NEW.updated_at IS DISTINCT FROM OLD.updated_at THEN NEW.updated_at ELSE clock_timestamp() END);
  IF keel_stage_routes(NEW.workspace_id, NEW.lifecycle_stage) THEN
    INSERT INTO routing_queue (workspace_id, contact_id, cause, rep_id) VALUES (NEW.workspace_id, NEW.id, 'stage:' || NEW.lifecycle_stage, NULL);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_lifecycle_outside_upd AFTER UPDATE OF lifecycle_stage ON contacts
  FOR EACH ROW WHEN (NEW.lifecycle_stage IS NOT NULL AND NEW.lifecycle_stage IS DISTINCT FROM OLD.lifecycle_stage)
  EXECUTE FUNCTION keel_lifecycle_outside_update();
