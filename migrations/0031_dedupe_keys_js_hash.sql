-- Blocking keys are now stored as the 40-bit hash the full scan groups blocks by (`hash40` in the
-- dedupe module, computed in the application) instead of hashtextextended of the key text: a full
-- scan writes its keys straight from its sorted in-memory blocks, in key order, with no key text
-- sent to the database, and the incremental matcher and the scan share one hash (the same blocks).
-- Keys written before this migration are the old hash and would never meet new ones: every record
-- that had keys is queued for the duplicate matcher again (a workspace with a large backlog gets a
-- full scan, as after a bulk import), and the old keys are dropped.
INSERT INTO dedupe_queue (workspace_id, object, record_id)
SELECT DISTINCT workspace_id, object, record_id FROM dedupe_keys
ON CONFLICT DO NOTHING;
DELETE FROM dedupe_keys;
