-- Lifecycle stages and lead routing (module routing): a workspace's stage labels and allowed
-- backward moves, the rules that move contacts between stages, every stage change, the reps and
-- rules that assign leads, every assignment, and the queues that feed both workers.

-- One row per workspace once it has changed the defaults (no row: the defaults in
-- lifecycle.schema.ts). stages: [{key, label}] in funnel order (keys are fixed, labels free);
-- allowed: [{from: key | '*', to: key}] backward or off-funnel moves that are allowed;
-- route_on: stage keys whose entry sends the contact to routing.
CREATE TABLE lifecycle_settings (
  workspace_id  uuid PRIMARY KEY REFERENCES workspaces(id),
  stages        jsonb NOT NULL,
  allowed       jsonb NOT NULL,
  route_on      jsonb NOT NULL,
  updated_at    timestamptz NOT NULL
);

-- Stage rules, evaluated in position order, once per pass. trigger (jsonb, validated by
-- lifecycle.schema.ts): {kind: 'condition', condition} | {kind: 'event', event, withinDays} |
-- {kind: 'score', modelId, gte, bands}. from_stages: the stages it applies from (null: any).
CREATE TABLE lifecycle_rules (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  position      integer NOT NULL,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  to_stage      text NOT NULL,
  from_stages   jsonb,
  trigger       jsonb NOT NULL,
  enabled       boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX lifecycle_rules_ws_idx ON lifecycle_rules (workspace_id, position);

-- Every stage change: by hand (actor is the person), by rule (rule_id), or by import/API writes
-- seen on contacts (reason says so). from_stage is null for a contact's first stage.
CREATE TABLE lifecycle_history (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  contact_id    uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  from_stage    text,
  to_stage      text NOT NULL,
  reason        text NOT NULL,
  rule_id       uuid,
  actor         text NOT NULL,
  at            timestamptz NOT NULL
);
CREATE INDEX lifecycle_history_contact_idx ON lifecycle_history (contact_id, at DESC, id DESC);

-- Contacts whose stage rules may fire: filled by the triggers below in the writer's transaction,
-- only in workspaces with enabled rules; drained by the routing.lifecycle loop.
CREATE TABLE lifecycle_queue (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid NOT NULL,
  contact_id    uuid NOT NULL,
  queued_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION keel_lifecycleq_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lifecycle_queue (workspace_id, contact_id)
  SELECT n.workspace_id, n.id FROM keel_new n
  WHERE n.deleted_at IS NULL
    AND EXISTS (SELECT 1 FROM lifecycle_rules r WHERE r.workspace_id = n.workspace_id AND r.enabled);
  RETURN NULL;
END $$;
CREATE TRIGGER contacts_lifecycleq_ins AFTER INSERT ON contacts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_lifecycleq_contacts();
CREATE TRIGGER contacts_lifecycleq_upd AFTER UPDATE ON contacts REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_lifecycleq_contacts();

-- Hand-raiser events ("Demo Requested"): the event's profile's contact.
CREATE FUNCTION keel_lifecycleq_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lifecycle_queue (workspace_id, contact_id)
  SELECT DISTINCT p.workspace_id, p.contact_id
  FROM (SELECT DISTINCT profile_id FROM keel_new) n JOIN profiles p ON p.id = n.profile_id
  WHERE p.contact_id IS NOT NULL
    AND EXISTS (SELECT 1 FROM lifecycle_rules r WHERE r.workspace_id = p.workspace_id AND r.enabled);
  RETURN NULL;
END $$;
CREATE TRIGGER events_lifecycleq_ins AFTER INSERT ON events REFERENCING NEW TABLE AS keel_new
  FOR EACH STATEMENT EXECUTE FUNCTION keel_lifecycleq_events();

-- Score rules read contact_scores (module scoring, migration 0018). When that table exists, its
-- changes queue the contact too; when it does not, score rules cannot be saved (see the README).
DO $$
BEGIN
  IF to_regclass('contact_scores') IS NOT NULL THEN
    EXECUTE $f$
      CREATE FUNCTION keel_lifecycleq_scores() RETURNS trigger LANGUAGE plpgsql AS $b$
      BEGIN
        INSERT INTO lifecycle_queue (workspace_id, contact_id)
        SELECT DISTINCT n.workspace_id, n.contact_id FROM keel_new n
        WHERE EXISTS (SELECT 1 FROM lifecycle_rules r WHERE r.workspace_id = n.workspace_id AND r.enabled);
        RETURN NULL;
      END $b$;
    $f$;
    EXECUTE 'CREATE TRIGGER contact_scores_lifecycleq_ins AFTER INSERT ON contact_scores REFERENCING NEW TABLE AS keel_new
      FOR EACH STATEMENT EXECUTE FUNCTION keel_lifecycleq_scores()';
    EXECUTE 'CREATE TRIGGER contact_scores_lifecycleq_upd AFTER UPDATE ON contact_scores REFERENCING NEW TABLE AS keel_new
      FOR EACH STATEMENT EXECUTE FUNCTION keel_lifecycleq_scores()';
  END IF;
END $$;

-- Routing settings: the fallback queue when no rule assigns anyone, and the reasons a rep may
-- give for rejecting a lead. No row: the defaults in routing.schema.ts.
CREATE TABLE routing_settings (
  workspace_id    uuid PRIMARY KEY REFERENCES workspaces(id),
  fallback_queue  text NOT NULL,
  reject_reasons  jsonb NOT NULL,
  updated_at      timestamptz NOT NULL
);

-- A Keel user as a rep: weight for round robin (0: never picked), capacity (most open leads at
-- once, null: no cap), working hours {mon: [["09:00","17:00"]], ...} in time_zone (null: always).
CREATE TABLE routing_reps (
  workspace_id   uuid NOT NULL REFERENCES workspaces(id),
  user_id        uuid NOT NULL REFERENCES users(id),
  weight         integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 0 AND 1000),
  capacity       integer CHECK (capacity >= 0),
  working_hours  jsonb,
  time_zone      text NOT NULL DEFAULT 'UTC',
  available      boolean NOT NULL DEFAULT true,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, user_id)
);

-- Routing rules in position order. condition: a segment definition (null: every contact).
-- action (jsonb, validated by routing.schema.ts): {type: 'round_robin', reps} |
-- {type: 'territory', territories: [{name, match, reps}]} | {type: 'account_owner'} |
-- {type: 'queue', queue}.
CREATE TABLE routing_rules (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  position      integer NOT NULL,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  condition     jsonb,
  action        jsonb NOT NULL,
  enabled       boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX routing_rules_ws_idx ON routing_rules (workspace_id, position);

-- Smooth weighted round robin (the nginx algorithm): each pool's running counters, changed only
-- under the workspace's routing lock, so the picks follow the weights exactly across processes.
CREATE TABLE routing_rr_state (
  workspace_id  uuid NOT NULL,
  pool          text NOT NULL,
  user_id       uuid NOT NULL,
  current       bigint NOT NULL,
  PRIMARY KEY (workspace_id, pool, user_id)
);

-- A lead's assignment to a rep (owner_id) or a named queue. status: open (waiting for the rep),
-- accepted, rejected, released (the rep left or the lead was reassigned). At most one live
-- (open or accepted) assignment per contact: the constraint that makes double assignment
-- impossible whatever the callers do.
CREATE TABLE lead_assignments (
  id             uuid PRIMARY KEY,
  workspace_id   uuid NOT NULL REFERENCES workspaces(id),
  contact_id     uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  owner_id       uuid,
  queue          text,
  rule_id        uuid,
  status         text NOT NULL CHECK (status IN ('open', 'accepted', 'rejected', 'released')),
  assigned_at    timestamptz NOT NULL,
  accepted_at    timestamptz,
  rejected_at    timestamptz,
  reject_reason  text,
  released_at    timestamptz,
  CHECK ((owner_id IS NULL) <> (queue IS NULL))
);
CREATE UNIQUE INDEX lead_assignments_live_uq ON lead_assignments (contact_id) WHERE status IN ('open', 'accepted');
CREATE INDEX lead_assignments_owner_idx ON lead_assignments (workspace_id, owner_id, status);
-- A lead's whole history (routing reads it to skip reps who rejected the lead).
CREATE INDEX lead_assignments_contact_idx ON lead_assignments (contact_id, assigned_at);

-- Every routing decision, newest last: the rule that fired, who or which queue, and why each
-- earlier rule did not fire or each rep was skipped.
CREATE TABLE routing_log (
  id            uuid PRIMARY KEY,
  workspace_id  uuid NOT NULL REFERENCES workspaces(id),
  contact_id    uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  rule_id       uuid,
  assigned_to   uuid,
  queue         text,
  reason        text NOT NULL,
  skipped       jsonb NOT NULL DEFAULT '[]'::jsonb,
  at            timestamptz NOT NULL
);
CREATE INDEX routing_log_contact_idx ON routing_log (workspace_id, contact_id, id);
CREATE INDEX routing_log_ws_idx ON routing_log (workspace_id, id);

-- Contacts to route: entering a routing stage (written by the lifecycle service), and the live
-- leads of a rep who was disabled (trigger below). Drained by the routing.queue loop.
CREATE TABLE routing_queue (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  workspace_id  uuid NOT NULL,
  contact_id    uuid NOT NULL,
  cause         text NOT NULL,
  rep_id        uuid,
  queued_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- A rep disabled (or removed) while holding leads: the leads go back to routing in the same
-- transaction, so none is lost whichever path disabled the user.
CREATE FUNCTION keel_routingq_rep_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO routing_queue (workspace_id, contact_id, cause, rep_id)
  SELECT a.workspace_id, a.contact_id, 'rep_unavailable', a.owner_id
  FROM keel_new n JOIN keel_old o ON o.id = n.id
  JOIN lead_assignments a ON a.owner_id = n.id AND a.status IN ('open', 'accepted')
  WHERE n.disabled_at IS NOT NULL AND o.disabled_at IS NULL;
  RETURN NULL;
END $$;
CREATE TRIGGER users_routingq_upd AFTER UPDATE ON users REFERENCING NEW TABLE AS keel_new OLD TABLE AS keel_old
  FOR EACH STATEMENT EXECUTE FUNCTION keel_routingq_rep_gone();
