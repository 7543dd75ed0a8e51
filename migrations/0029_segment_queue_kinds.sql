-- What kind of activity brought a contact onto the segment and scoring queues, so their workers
-- re-evaluate only the segments and models that read it. `kinds` holds 'track:<event name>',
-- 'page', 'screen', 'identify', 'group', 'alias' and 'touchpoint' for the new rows of one tracking
-- batch; NULL (every other writer: triggers, moved events, linked profiles) means any change.
ALTER TABLE segment_queue ADD COLUMN kinds text[];
-- The same for scoring: a model is rescored for new activity only if one of its rules reads it.
ALTER TABLE scoring_queue ADD COLUMN kinds text[];

-- keel_queue_event_contacts (0028) with the kind of each new row: kinds[i] belongs to
-- profile_ids[i] (a profile appears once per row). The lifecycle queue as before.
CREATE FUNCTION keel_queue_event_contacts(ws uuid, profile_ids uuid[], kinds text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  contacts uuid[];
BEGIN
  SELECT array_agg(DISTINCT p.contact_id) INTO contacts
  FROM profiles p
  WHERE p.id = ANY (profile_ids) AND p.workspace_id = ws AND p.contact_id IS NOT NULL;
  IF contacts IS NULL THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM segments s WHERE s.workspace_id = ws AND s.deleted_at IS NULL) THEN
    INSERT INTO segment_queue (workspace_id, contact_id, cause, kinds)
    SELECT ws, p.contact_id, 'event', array_agg(DISTINCT k.kind)
    FROM unnest(profile_ids, kinds) AS k(profile_id, kind)
    JOIN profiles p ON p.id = k.profile_id AND p.workspace_id = ws
    WHERE p.contact_id IS NOT NULL
    GROUP BY p.contact_id;
  END IF;
  IF keel_scoring_active(ws) THEN
    INSERT INTO scoring_queue (workspace_id, contact_id, kinds)
    SELECT ws, p.contact_id, array_agg(DISTINCT k.kind)
    FROM unnest(profile_ids, kinds) AS k(profile_id, kind)
    JOIN profiles p ON p.id = k.profile_id AND p.workspace_id = ws
    WHERE p.contact_id IS NOT NULL
    GROUP BY p.contact_id;
  END IF;
  IF EXISTS (SELECT 1 FROM lifecycle_rules r WHERE r.workspace_id = ws AND r.enabled) THEN
    INSERT INTO lifecycle_queue (workspace_id, contact_id) SELECT ws, c FROM unnest(contacts) AS c;
  END IF;
END $$;
