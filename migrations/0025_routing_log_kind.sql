-- What each routing log entry records, as data: `routed` (a rule gave the lead to a rep), `queued`
-- (a queue rule or the fallback queue took it), `accepted`, `rejected` (by the rep), `released`
-- (taken from its rep or queue: reassigned, or the rep was disabled), `sla_reminder`,
-- `sla_escalation` (the SLA job). Until now a reader had to tell them apart by the wording of
-- `reason`; the writers (routing.service.ts, sla.service.ts) now set `kind` on every insert.
--
-- Existing rows are classified once, from what each writer stored: a queue means a queue decision;
-- no rep and no queue is a rep's rejection ("rejected by ...") or a release ("released from ...");
-- with a rep, the fixed start of the reason tells a routing decision ('rule "...') from an accept
-- ("accepted by ...") and the SLA job's entries ("SLA reminder to ...", "SLA breached (...").
-- Every start is written before any free text (rule names, actor labels), so no name can mislead
-- it. The function stays so a test can check it against what the writers write today.
CREATE FUNCTION keel_routing_log_kind_from_text(reason text, assigned_to uuid, queue text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN queue IS NOT NULL THEN 'queued'
    WHEN assigned_to IS NULL AND reason LIKE 'rejected by %' THEN 'rejected'
    WHEN assigned_to IS NULL THEN 'released'
    WHEN reason LIKE 'accepted by %' THEN 'accepted'
    WHEN reason LIKE 'SLA reminder to %' THEN 'sla_reminder'
    WHEN reason LIKE 'SLA breached (%' THEN 'sla_escalation'
    ELSE 'routed'
  END
$$;

ALTER TABLE routing_log ADD COLUMN kind text;
UPDATE routing_log SET kind = keel_routing_log_kind_from_text(reason, assigned_to, queue);
ALTER TABLE routing_log ALTER COLUMN kind SET NOT NULL;
ALTER TABLE routing_log ADD CONSTRAINT routing_log_kind_check
  CHECK (kind IN ('routed', 'queued', 'accepted', 'rejected', 'released', 'sla_reminder', 'sla_escalation'));

-- GET /api/v1/routing/log?kind= across the workspace, newest first (per contact, the contact index
-- already narrows the rows to a handful).
CREATE INDEX routing_log_kind_idx ON routing_log (workspace_id, kind, id);
