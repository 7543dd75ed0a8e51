import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx, Tx } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import type { WorkingHours } from './routing.schema.js';
import { waitingSql } from './lead-status.js';
import { rdb } from './routing.tables.js';
import {
  slaSettingsSchema,
  type SlaLead,
  type SlaQuery,
  type SlaRule,
  type SlaSettings,
  type SlaSettingsInput,
  type SlaState,
} from './sla.schema.js';
import { addWorkingMinutes, type WorkCalendar } from './working-time.js';

export interface Ctx {
  db: Db;
  clock: Clock;
}

const defaults: SlaSettings = slaSettingsSchema.parse({ slas: [] });

// ---------- settings ----------

export async function slaSettings(db: DbOrTx, ws: string): Promise<SlaSettings> {
  const row = await rdb(db).selectFrom('routing_sla_settings').select('settings').where('workspace_id', '=', ws).executeTakeFirst();
  if (!row) return defaults;
  // Stored settings were validated on the way in; parsing again fills defaults added since.
  return slaSettingsSchema.parse(row.settings);
}

/** Sets the workspace's SLAs; the managers named must be active users of the workspace. Audited. */
export async function putSlaSettings(ctx: Ctx, actor: Actor, input: SlaSettingsInput): Promise<SlaSettings> {
  const next = slaSettingsSchema.parse(input);
  const ws = actor.workspaceId;
  return ctx.db.transaction().execute(async (trx) => {
    const named = [next.escalateTo, ...next.slas.map((s) => s.escalateTo)].filter((x): x is string => x !== null);
    if (named.length) {
      const users = await trx
        .selectFrom('users')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('id', 'in', [...new Set(named)])
        .where('disabled_at', 'is', null)
        .execute();
      const known = new Set(users.map((u) => u.id));
      const missing = named.find((id) => !known.has(id));
      if (missing)
        throw new AppError('validation_failed', `No active user ${missing} in this workspace to escalate to`, [
          { path: 'escalateTo', message: 'no such user' },
        ]);
    }
    const before = await slaSettings(trx, ws);
    const values = { settings: JSON.stringify(next), updated_at: ctx.clock.now() };
    await rdb(trx)
      .insertInto('routing_sla_settings')
      .values({ workspace_id: ws, ...values })
      .onConflict((oc) => oc.column('workspace_id').doUpdateSet(values))
      .execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'routing.sla_changed',
      entityType: 'routing_sla_settings',
      entityId: ws,
      before,
      after: next,
    });
    return next;
  });
}

// ---------- timing ----------

export interface OpenRow {
  id: string;
  contact_id: string;
  owner_id: string;
  owner_name: string;
  assigned_at: Date;
  stage: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  working_hours: WorkingHours | null;
  time_zone: string | null;
  reminded_at: Date | null;
  escalated_at: Date | null;
  escalated_to: string | null;
}

interface Timed {
  row: OpenRow;
  rule: SlaRule;
  remindAt: Date | null;
  dueAt: Date | null;
  state: SlaState;
}

/**
 * The calendar a lead's SLA runs on. `rep`: the rep's working hours in their time zone, when they
 * have any; `workspace`, or a rep without hours (or an account owner who is not a rep): the
 * workspace calendar. The workspace's holidays apply to both.
 */
export function calendarFor(settings: SlaSettings, rep: { working_hours: WorkingHours | null; time_zone: string | null }): WorkCalendar {
  const ws = settings.workspaceCalendar;
  const hasHours = rep.working_hours && Object.values(rep.working_hours).some((p) => p.length > 0);
  if (settings.calendar === 'rep' && hasHours && rep.working_hours)
    return { timeZone: rep.time_zone ?? 'UTC', workingHours: rep.working_hours, holidays: ws.holidays };
  return ws;
}

function timeOf(settings: SlaSettings, rules: Map<string, SlaRule>, row: OpenRow, now: Date): Timed | null {
  const rule = rules.get(row.stage);
  if (!rule) return null;
  const cal = calendarFor(settings, row);
  const assigned = new Date(row.assigned_at);
  const dueAt = addWorkingMinutes(assigned, rule.withinMinutes, cal);
  const remindAt = addWorkingMinutes(assigned, rule.withinMinutes - rule.remindBeforeMinutes, cal);
  const state: SlaState = dueAt && now >= dueAt ? 'breached' : remindAt && now >= remindAt ? 'at_risk' : 'on_track';
  return { row, rule, remindAt, dueAt, state };
}

/**
 * The open rep-owned leads of a workspace in a stage with an SLA, with their reminder and
 * escalation; `assignmentIds` narrows them to those assignments (the sales queue's). Reads only:
 * the job locks each lead it acts on itself (`lockLead`), contact first.
 *
 * A lead is judged by its contact's stage now: the SLA of the stage it was assigned in runs only
 * while the contact is still in that stage. One that has moved on since (to sal or sql, or was
 * recycled or disqualified) was handled, whether or not the rep clicked accept: it is neither on
 * the dashboard nor overdue in the queue, just as the job (`lockLead`) passes it over.
 */
async function openRows(
  db: DbOrTx,
  ws: string,
  stages: string[],
  opts: { ownerId?: string; assignmentIds?: readonly string[]; forJob?: boolean } = {},
): Promise<OpenRow[]> {
  if (stages.length === 0 || opts.assignmentIds?.length === 0) return [];
  const r = await sql<OpenRow>`
    select a.id, a.contact_id, a.owner_id, u.name as owner_name, a.assigned_at,
      c.lifecycle_stage as stage, c.email, c.first_name, c.last_name,
      p.working_hours, p.time_zone, rm.at as reminded_at, es.at as escalated_at, es.recipient_id as escalated_to
    from lead_assignments a
    join contacts c on c.id = a.contact_id and c.deleted_at is null
    join users u on u.id = a.owner_id
    left join routing_reps p on p.workspace_id = a.workspace_id and p.user_id = a.owner_id
    left join routing_sla_events rm on rm.assignment_id = a.id and rm.kind = 'reminder'
    left join routing_sla_events es on es.assignment_id = a.id and es.kind = 'escalation'
    where a.workspace_id = ${ws} and a.status = 'open' and a.owner_id is not null
      and c.lifecycle_stage = any(${stages}::text[]) and ${waitingSql()}
      ${opts.ownerId ? sql`and a.owner_id = ${opts.ownerId}` : sql``}
      ${opts.assignmentIds ? sql`and a.id = any(${[...opts.assignmentIds]}::uuid[])` : sql``}
      ${opts.forJob ? sql`and es.id is null` : sql``}
    order by a.assigned_at, a.id`.execute(db);
  return r.rows;
}

/**
 * Locks one lead for the job in the order routing, accept and reject use: the contact first, then
 * its assignment (locking the assignment first and reaching the contact through the foreign keys
 * of the rows we insert deadlocked with a rep deciding the same lead). Both with `skip locked`: a
 * lead being routed, accepted or rejected right now is passed over and seen next run if still
 * open, so the job never waits for anyone. `for key share` is the lock the foreign keys take
 * anyway; it conflicts with the `for update` of routing and deciding, not with contact edits.
 *
 * The candidates were read before these locks, so what they say may be stale by now: the rep may
 * have accepted or rejected the lead, it may have been reassigned or merged into another contact,
 * or the contact may have moved on from the SLA's stage. Both rows are read again under the locks
 * and the lead is passed over unless it is still open, with the same rep, on the same contact, and
 * the contact is still in the stage whose SLA is being applied.
 */
async function lockLead(trx: DbOrTx, row: OpenRow): Promise<boolean> {
  const c = await sql<{ lifecycle_stage: string | null }>`select lifecycle_stage from contacts
    where id = ${row.contact_id} and deleted_at is null
    for key share skip locked`.execute(trx);
  const contact = c.rows[0];
  if (!contact || contact.lifecycle_stage !== row.stage) return false;
  const a = await sql<{ owner_id: string | null }>`select owner_id from lead_assignments
    where id = ${row.id} and contact_id = ${row.contact_id} and status = 'open'
    for update skip locked`.execute(trx);
  return a.rows[0]?.owner_id === row.owner_id;
}

// ---------- the job ----------

/**
 * Records the reminders and escalations that are due, exactly once each: the unique index on
 * (assignment, kind) makes a second worker's insert a no-op, and leads being routed, accepted or
 * rejected at that moment are skipped (`lockLead`) and seen again next run if still open.
 * A lead already past its due time gets its reminder and its escalation in the same run.
 * Each workspace runs in its own transaction; one that fails is logged and the others go on.
 */
export async function runSlaChecks(
  db: Db,
  clock: Clock,
  opts: { logger?: Logger } = {},
): Promise<{ reminders: number; escalations: number; failed: number }> {
  const now = clock.now();
  const workspaces = await rdb(db).selectFrom('routing_sla_settings').select('workspace_id').orderBy('workspace_id').execute();
  const total = { reminders: 0, escalations: 0, failed: 0 };
  for (const { workspace_id: ws } of workspaces) {
    try {
      const done = await db.transaction().execute((trx) => checkWorkspace(trx, ws, now));
      total.reminders += done.reminders;
      total.escalations += done.escalations;
    } catch (err) {
      total.failed++;
      opts.logger?.error({ err, workspaceId: ws }, 'SLA checks failed for a workspace; the other workspaces were checked');
    }
  }
  return total;
}

async function checkWorkspace(trx: Tx, ws: string, now: Date): Promise<{ reminders: number; escalations: number }> {
  return actOnSlaCandidates(trx, ws, now, await slaCandidates(trx, ws, now));
}

/** A lead the job may have to remind or escalate about, as read before any lock is taken. */
export interface SlaCandidate {
  row: OpenRow;
  rule: SlaRule;
  dueAt: Date;
  escalateTo: string | null;
}

/** The job's first step: the open leads whose remind or due time has passed, read without locks. */
export async function slaCandidates(db: DbOrTx, ws: string, now: Date): Promise<SlaCandidate[]> {
  const settings = await slaSettings(db, ws);
  const rules = new Map(settings.slas.map((r) => [r.stage, r]));
  const out: SlaCandidate[] = [];
  for (const row of await openRows(db, ws, [...rules.keys()], { forJob: true })) {
    const t = timeOf(settings, rules, row, now);
    if (!t?.dueAt || !t.remindAt || now < t.remindAt) continue;
    // Reminded already and not due yet: nothing to record, no lock to take.
    if (row.reminded_at && now < t.dueAt) continue;
    out.push({ row, rule: t.rule, dueAt: t.dueAt, escalateTo: t.rule.escalateTo ?? settings.escalateTo });
  }
  return out;
}

/**
 * The job's second step: locks each candidate (`lockLead`, which reads it again) and records its
 * reminder and escalation. Candidates that went stale since they were read are passed over.
 */
export async function actOnSlaCandidates(
  trx: DbOrTx,
  ws: string,
  now: Date,
  candidates: readonly SlaCandidate[],
): Promise<{ reminders: number; escalations: number }> {
  let reminders = 0;
  let escalations = 0;
  for (const { row, dueAt: due, escalateTo } of candidates) {
    if (!(await lockLead(trx, row))) continue;
    const record = async (kind: 'reminder' | 'escalation', recipient: string | null): Promise<boolean> => {
      const ins = await sql<{ id: string }>`
        insert into routing_sla_events (id, workspace_id, assignment_id, contact_id, kind, recipient_id, stage, due_at, at)
        values (${newId()}, ${ws}, ${row.id}, ${row.contact_id}, ${kind}, ${recipient}, ${row.stage}, ${due}, ${now})
        on conflict (assignment_id, kind) do nothing returning id`.execute(trx);
      if (ins.rows.length === 0) return false;
      await rdb(trx)
        .insertInto('routing_log')
        .values({
          id: newId(),
          workspace_id: ws,
          contact_id: row.contact_id,
          rule_id: null,
          assigned_to: row.owner_id,
          queue: null,
          reason:
            kind === 'reminder'
              ? `SLA reminder to ${row.owner_name}: ${row.stage} lead due ${due.toISOString()}`
              : `SLA breached (${row.stage} lead due ${due.toISOString()}): escalated${recipient ? '' : ' (no manager set)'}`,
          skipped: '[]',
          at: now,
          kind: kind === 'reminder' ? 'sla_reminder' : 'sla_escalation',
        })
        .execute();
      return true;
    };
    if (!row.reminded_at && (await record('reminder', row.owner_id))) reminders++;
    if (now >= due && (await record('escalation', escalateTo))) escalations++;
  }
  return { reminders, escalations };
}

// ---------- reading ----------

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function encodeOffset(n: number): string {
  return Buffer.from(JSON.stringify({ o: n })).toString('base64url');
}
function decodeOffset(cursor: string | undefined): number {
  if (!cursor) return 0;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (v && typeof v === 'object' && 'o' in v && Number.isInteger(v.o) && Number(v.o) >= 0) return Number(v.o);
  } catch {
    /* fall through */
  }
  throw new AppError('invalid_cursor', 'The cursor is not one this API returned');
}

/**
 * The open leads under an SLA, soonest due first, with counts overall and per rep (over every
 * lead the filters ownerId and stage select, whatever `state`), for the SLA dashboard.
 */
export async function slaOverview(db: DbOrTx, clock: Clock, ws: string, q: SlaQuery) {
  const offset = decodeOffset(q.cursor);
  const settings = await slaSettings(db, ws);
  const rules = new Map(settings.slas.map((r) => [r.stage, r]));
  const stages = q.stage ? [...rules.keys()].filter((s) => s === q.stage) : [...rules.keys()];
  const now = clock.now();
  const timed = (await openRows(db, ws, stages, { ownerId: q.ownerId }))
    .map((r) => timeOf(settings, rules, r, now))
    .filter((t): t is Timed => t !== null);
  const summary = { open: timed.length, onTrack: 0, atRisk: 0, breached: 0 };
  const perRep = new Map<string, { ownerId: string; ownerName: string; open: number; onTrack: number; atRisk: number; breached: number }>();
  for (const t of timed) {
    const key = t.state === 'on_track' ? 'onTrack' : t.state === 'at_risk' ? 'atRisk' : 'breached';
    summary[key]++;
    let rep = perRep.get(t.row.owner_id);
    if (!rep) {
      rep = { ownerId: t.row.owner_id, ownerName: t.row.owner_name, open: 0, onTrack: 0, atRisk: 0, breached: 0 };
      perRep.set(t.row.owner_id, rep);
    }
    rep.open++;
    rep[key]++;
  }
  const chosen = timed
    .filter((t) => q.state === 'all' || t.state === q.state)
    .sort((a, b) => (a.dueAt?.getTime() ?? Infinity) - (b.dueAt?.getTime() ?? Infinity) || (a.row.id < b.row.id ? -1 : 1));
  const data: SlaLead[] = chosen.slice(offset, offset + q.limit).map((t) => ({
    assignmentId: t.row.id,
    contactId: t.row.contact_id,
    contactName: [t.row.first_name, t.row.last_name].filter(Boolean).join(' '),
    contactEmail: t.row.email,
    ownerId: t.row.owner_id,
    ownerName: t.row.owner_name,
    stage: t.row.stage,
    assignedAt: new Date(t.row.assigned_at).toISOString(),
    remindAt: iso(t.remindAt),
    dueAt: iso(t.dueAt),
    state: t.state,
    remindedAt: iso(t.row.reminded_at),
    escalatedAt: iso(t.row.escalated_at),
    escalatedTo: t.row.escalated_to,
  }));
  return {
    summary,
    perRep: [...perRep.values()].sort((a, b) => b.breached - a.breached || b.atRisk - a.atRisk || a.ownerName.localeCompare(b.ownerName)),
    data,
    nextCursor: chosen.length > offset + q.limit ? encodeOffset(offset + q.limit) : null,
  };
}

/** Reminders and escalations recorded, newest first. */
export async function slaEvents(
  db: DbOrTx,
  ws: string,
  q: { kind?: 'reminder' | 'escalation'; recipientId?: string; limit: number; cursor?: string },
) {
  const offset = decodeOffset(q.cursor);
  let query = rdb(db).selectFrom('routing_sla_events').selectAll().where('workspace_id', '=', ws);
  if (q.kind) query = query.where('kind', '=', q.kind);
  if (q.recipientId) query = query.where('recipient_id', '=', q.recipientId);
  const rows = await query
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .offset(offset)
    .limit(q.limit + 1)
    .execute();
  return {
    data: rows.slice(0, q.limit).map((r) => ({
      id: r.id,
      assignmentId: r.assignment_id,
      contactId: r.contact_id,
      kind: r.kind,
      recipientId: r.recipient_id,
      stage: r.stage,
      dueAt: new Date(r.due_at).toISOString(),
      at: new Date(r.at).toISOString(),
    })),
    nextCursor: rows.length > q.limit ? encodeOffset(offset + q.limit) : null,
  };
}

/**
 * Due times for the sales queue: assignment id -> {dueAt, state}, for every one of the given
 * assignments that is open under an SLA (all of them, however many the queue returns; each
 * worked out exactly as the SLA dashboard does).
 */
export async function slaDueFor(
  db: DbOrTx,
  clock: Clock,
  ws: string,
  assignmentIds: readonly string[],
): Promise<Map<string, { dueAt: string | null; state: SlaState }>> {
  const settings = await slaSettings(db, ws);
  const rules = new Map(settings.slas.map((r) => [r.stage, r]));
  const now = clock.now();
  const due = new Map<string, { dueAt: string | null; state: SlaState }>();
  for (const row of await openRows(db, ws, [...rules.keys()], { assignmentIds })) {
    const t = timeOf(settings, rules, row, now);
    if (t) due.set(row.id, { dueAt: iso(t.dueAt), state: t.state });
  }
  return due;
}
