-- Lead SLAs (module routing, issue 8 part 4): per-stage response times per workspace, the
-- reminders and escalations the routing.sla job records, and the stage each assignment was made in.

-- One row per workspace once it has set SLAs (no row: no SLAs). settings (jsonb, validated by
-- routing.schema.ts slaSettingsSchema): {calendar: 'rep' | 'workspace', workspaceCalendar:
-- {timeZone, workingHours, holidays}, slas: [{stage, withinMinutes, remindBeforeMinutes, escalateTo}]}.
CREATE TABLE routing_sla_settings (
  workspace_id  uuid PRIMARY KEY REFERENCES workspaces(id),
  settings      jsonb NOT NULL,
  updated_at    timestamptz NOT NULL
);

-- A reminder (to the rep) or an escalation (to the manager) about one assignment. At most one of
-- each kind per assignment: the unique index makes "exactly once" hold whichever worker, or how
-- many, run the job at the same time.
CREATE TABLE routing_sla_events (
  id             uuid PRIMARY KEY,
  workspace_id   uuid NOT NULL REFERENCES workspaces(id),
  assignment_id  uuid NOT NULL REFERENCES lead_assignments(id) ON DELETE CASCADE,
  contact_id     uuid NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  kind           text NOT NULL CHECK (kind IN ('reminder', 'escalation')),
  recipient_id   uuid REFERENCES users(id),
  stage          text NOT NULL,
  due_at         timestamptz NOT NULL,
  at             timestamptz NOT NULL
);
CREATE UNIQUE INDEX routing_sla_events_once_uq ON routing_sla_events (assignment_id, kind);
CREATE INDEX routing_sla_events_ws_idx ON routing_sla_events (workspace_id, at DESC);

-- The lifecycle stage of the lead when it was assigned (the SLA that applies). Null for
-- assignments made before this migration: the contact's current stage is used for those.
ALTER TABLE lead_assignments ADD COLUMN stage text;
