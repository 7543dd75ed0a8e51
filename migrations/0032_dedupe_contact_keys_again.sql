-- Contacts' blocking keys changed: a work address's domain stands in for a missing company in the
-- name-at-employer keys, a mailbox's letters at its domain are a key (typos in the mailbox), phones
-- are keyed on their last eight digits (national and international forms of short numbers meet),
-- and the nickname table gained names. Keys stored before this migration are still valid keys but
-- not all of a record's keys: every keyed contact is queued for the duplicate matcher again, which
-- rewrites its keys (a workspace with a large backlog gets a full scan, as after a bulk import).
INSERT INTO dedupe_queue (workspace_id, object, record_id)
SELECT DISTINCT workspace_id, object, record_id FROM dedupe_keys WHERE object = 'contact'
ON CONFLICT DO NOTHING;
