-- New events and touchpoints queue their contacts for segments, scoring and lifecycle from the
-- writer, in one statement, instead of five statement triggers on events and touchpoints.
--
-- The triggers (0007 events_segq_ins, 0018 events_scoreq_ins, 0019 events_lifecycleq_ins) each
-- joined the statement's new rows to profiles, and the NEW transition table they needed made
-- PostgreSQL copy every inserted event into a tuplestore. For a tracking batch of 100 events that
-- was about 5.4 of its insert's 7.9 ms (EXPLAIN ANALYZE on PostgreSQL 15, warm; 2.5 ms without
-- them); the touchpoints' two (0007, 0018) were most of that insert's 2.3 ms. Both are written by
-- tracking ingestion, which now calls keel_queue_event_contacts with the batch's profiles in the
-- same transaction (a touchpoint's profile is one of its batch's events'); a script that inserts
-- events or touchpoints must call it too. Rows moved by a profile merge (UPDATE) keep their triggers.
DROP TRIGGER events_segq_ins ON events;
DROP TRIGGER events_scoreq_ins ON events;
DROP TRIGGER events_lifecycleq_ins ON events;
DROP TRIGGER touchpoints_segq_ins ON touchpoints;
DROP TRIGGER touchpoints_scoreq_ins ON touchpoints;

CREATE FUNCTION keel_queue_event_contacts(ws uuid, profile_ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
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
    INSERT INTO segment_queue (workspace_id, contact_id, cause) SELECT ws, c, 'event' FROM unnest(contacts) AS c;
  END IF;
  IF keel_scoring_active(ws) THEN
    INSERT INTO scoring_queue (workspace_id, contact_id) SELECT ws, c FROM unnest(contacts) AS c;
  END IF;
  IF EXISTS (SELECT 1 FROM lifecycle_rules r WHERE r.workspace_id = ws AND r.enabled) THEN
    INSERT INTO lifecycle_queue (workspace_id, contact_id) SELECT ws, c FROM unnest(contacts) AS c;
  END IF;
END $$;
