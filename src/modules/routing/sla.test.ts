import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settableClock } from '../../test/clock.js';
import { bearer, createTestApp, json, makeApiKey, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import { untilWaitingForLock } from '../../test/locks.js';
import type { User } from '../users/users.schema.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';
import { actOnSlaCandidates, runSlaChecks, slaCandidates } from './sla.service.js';
import { addWorkingMinutes, officeHours } from './working-time.js';

// A clock the test sets; the app, the routing and the SLA job all read it.
const { clock, setNow } = settableClock('2026-03-02T09:00:00Z');

let t: TestApp;
let w: Workspace;
let key: string;
let viewerKey: string;
let ana: User;
let bob: User;
let boss: User;

const call = (method: string, url: string, payload?: object, k = key) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(k), ...(payload && { payload }) });
let seq = 0;
const mql = async () =>
  json<{ id: string }>(
    await call('POST', '/api/v1/contacts', { email: `sla${++seq}@example.com`, firstName: `Lead ${seq}`, lifecycleStage: 'mql' }),
  ).id;
const routeTo = async (contactId: string, ownerId: string) => {
  const res = await call('POST', '/api/v1/routing/route', { contactId });
  expect(res.statusCode, res.body).toBe(200);
  expect(json<{ assignment: { ownerId: string } }>(res).assignment.ownerId).toBe(ownerId);
};
type Overview = {
  summary: { open: number; onTrack: number; atRisk: number; breached: number };
  perRep: Array<{ ownerId: string; atRisk: number; breached: number }>;
  data: Array<{
    contactId: string;
    state: string;
    dueAt: string;
    remindAt: string;
    remindedAt: string | null;
    escalatedAt: string | null;
    escalatedTo: string | null;
  }>;
  nextCursor: string | null;
};
const leadSla = async (contactId: string) => {
  const o = json<Overview>(await call('GET', '/api/v1/routing/sla?limit=200'));
  const row = o.data.find((d) => d.contactId === contactId);
  if (!row) throw new Error(`no SLA row for ${contactId}`);
  return row;
};
const eventsOf = async (contactId: string) =>
  json<{ data: Array<{ contactId: string; kind: string; recipientId: string | null }> }>(
    await call('GET', '/api/v1/routing/sla/events?limit=200'),
  ).data.filter((e) => e.contactId === contactId);

beforeAll(async () => {
  t = await createTestApp({ clock });
  w = await makeWorkspace(t);
  key = await makeApiKey(t, w, 'admin');
  viewerKey = await makeApiKey(t, w, 'viewer');
  ana = await makeUser(t, w, 'sales');
  bob = await makeUser(t, w, 'sales');
  boss = await makeUser(t, w, 'mops_manager');
  const berlin = {
    mon: [['09:00', '17:00']],
    tue: [['09:00', '17:00']],
    wed: [['09:00', '17:00']],
    thu: [['09:00', '17:00']],
    fri: [['09:00', '17:00']],
  };
  const reps = await call('PUT', '/api/v1/routing/reps', {
    reps: [
      { userId: ana.id, timeZone: 'Europe/Berlin', workingHours: berlin },
      { userId: bob.id, timeZone: 'America/New_York', workingHours: berlin },
    ],
  });
  expect(reps.statusCode, reps.body).toBe(200);
});
afterAll(async () => t?.close());

describe('working time', () => {
  const berlin = { timeZone: 'Europe/Berlin', workingHours: officeHours };
  it('counts only working hours, on the local wall clock, across daylight-saving changes', () => {
    // Monday 10:00 Berlin (CET) + 4 working hours = 14:00 CET.
    expect(addWorkingMinutes(new Date('2026-03-02T09:00:00Z'), 240, berlin)?.toISOString()).toBe('2026-03-02T13:00:00.000Z');
    // Friday 27 March 16:00 CET: one hour on Friday; the clocks go forward on Sunday 29 March, so
    // Monday's 09:00 is 07:00 UTC and the other three hours end at 12:00 CEST = 10:00 UTC.
    expect(addWorkingMinutes(new Date('2026-03-27T15:00:00Z'), 240, berlin)?.toISOString()).toBe('2026-03-30T10:00:00.000Z');
    // New York goes forward on 8 March: Friday 6 March 16:00 EST (21:00 UTC) + 4h = Monday 12:00 EDT = 16:00 UTC.
    const ny = { timeZone: 'America/New_York', workingHours: officeHours };
    expect(addWorkingMinutes(new Date('2026-03-06T21:00:00Z'), 240, ny)?.toISOString()).toBe('2026-03-09T16:00:00.000Z');
    // Autumn: Berlin goes back on 25 October. Friday 23 Oct 16:00 CEST (14:00 UTC) + 4h = Monday 12:00 CET = 11:00 UTC.
    expect(addWorkingMinutes(new Date('2026-10-23T14:00:00Z'), 240, berlin)?.toISOString()).toBe('2026-10-26T11:00:00.000Z');
    // Before hours: starts counting at 09:00. Saturday: starts Monday.
    expect(addWorkingMinutes(new Date('2026-03-02T06:00:00Z'), 30, berlin)?.toISOString()).toBe('2026-03-02T08:30:00.000Z');
    expect(addWorkingMinutes(new Date('2026-03-07T12:00:00Z'), 60, berlin)?.toISOString()).toBe('2026-03-09T09:00:00.000Z');
  });

  it('skips holidays, and answers null for a calendar without working time', () => {
    const london = { timeZone: 'Europe/London', workingHours: officeHours, holidays: ['2026-04-03', '2026-04-06'] };
    // Thursday 2 April 16:00 BST + 2h: one hour Thursday, Good Friday and Easter Monday off, Tuesday 10:00 BST.
    expect(addWorkingMinutes(new Date('2026-04-02T15:00:00Z'), 120, london)?.toISOString()).toBe('2026-04-07T09:00:00.000Z');
    expect(addWorkingMinutes(new Date('2026-04-02T15:00:00Z'), 120, { timeZone: 'UTC', workingHours: {} })).toBeNull();
    // A day worked around the clock across the spring change is 23 real hours long.
    const allDay = { timeZone: 'Europe/Berlin', workingHours: { sun: [['00:00', '24:00'] as [string, string]] } };
    expect(addWorkingMinutes(new Date('2026-03-28T23:00:00Z'), 23 * 60, allDay)?.toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });
});

describe('SLA settings', () => {
  it('refuses bad settings and queries with problem+json 400, and viewers may not change them', async () => {
    const ok = { slas: [{ stage: 'mql', withinMinutes: 240 }] };
    const bad: Array<[string, string, object | undefined]> = [
      ['PUT', '/api/v1/routing/sla/settings', { ...ok, surprise: 1 }],
      ['PUT', '/api/v1/routing/sla/settings', { slas: [{ stage: 'mql', withinMinutes: '240' }] }],
      ['PUT', '/api/v1/routing/sla/settings', { slas: [{ stage: 'mql', withinMinutes: 60, remindBeforeMinutes: 60 }] }],
      ['PUT', '/api/v1/routing/sla/settings', { slas: [{ stage: 'hot', withinMinutes: 60 }] }],
      ['PUT', '/api/v1/routing/sla/settings', { slas: [ok.slas[0], ok.slas[0]] }],
      ['PUT', '/api/v1/routing/sla/settings', { ...ok, escalateTo: '01900000-0000-7000-8000-000000000000' }],
      ['PUT', '/api/v1/routing/sla/settings', { ...ok, calendar: 'moon' }],
      ['PUT', '/api/v1/routing/sla/settings', { ...ok, workspaceCalendar: { timeZone: 'Mars/Base', workingHours: {} } }],
      ['PUT', '/api/v1/routing/sla/settings', { ...ok, workspaceCalendar: { timeZone: 'UTC', workingHours: {}, holidays: ['Xmas'] } }],
      ['GET', '/api/v1/routing/sla?state=late', undefined],
      ['GET', '/api/v1/routing/sla?cursor=garbage', undefined],
      ['GET', '/api/v1/routing/sla?color=red', undefined],
      ['GET', '/api/v1/routing/sla/events?kind=nudge', undefined],
      ['GET', '/api/v1/routing/report?from=2026-04-01T00:00:00Z', undefined],
      ['GET', '/api/v1/routing/report?from=2026-05-01T00:00:00Z&to=2026-04-01T00:00:00Z', undefined],
      ['GET', '/api/v1/routing/report?from=yesterday&to=2026-04-01T00:00:00Z', undefined],
    ];
    for (const [method, url, body] of bad) {
      const res = await call(method, url, body);
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)} ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await call('PUT', '/api/v1/routing/sla/settings', ok, viewerKey)).statusCode).toBe(403);
    expect((await call('GET', '/api/v1/routing/sla/settings', undefined, viewerKey)).statusCode).toBe(200);
  });

  it('saves settings with defaults filled in, audited in the same transaction', async () => {
    const res = await call('PUT', '/api/v1/routing/sla/settings', {
      escalateTo: boss.id,
      slas: [{ stage: 'mql', withinMinutes: 240, remindBeforeMinutes: 60 }],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res)).toMatchObject({
      calendar: 'rep',
      workspaceCalendar: { timeZone: 'UTC', holidays: [] },
      escalateTo: boss.id,
      slas: [{ stage: 'mql', withinMinutes: 240, remindBeforeMinutes: 60, escalateTo: null }],
    });
    const audit = await sql<{
      action: string;
    }>`select action from audit_log where workspace_id = ${w.id} and action = 'routing.sla_changed'`.execute(t.db.handle.db);
    expect(audit.rows.length).toBe(1);
  });
});

describe('SLA job', () => {
  it('reminds the rep, then escalates to the manager, exactly once each', async () => {
    await call('POST', '/api/v1/routing/rules', { name: 'Ana takes all', action: { type: 'round_robin', reps: [ana.id] } });
    setNow('2026-03-02T09:00:00Z'); // Monday 10:00 in Berlin
    const lead = await mql();
    await routeTo(lead, ana.id);
    // Due four working hours later, 14:00 Berlin; at risk from 13:00.
    expect(await leadSla(lead)).toMatchObject({
      state: 'on_track',
      dueAt: '2026-03-02T13:00:00.000Z',
      remindAt: '2026-03-02T12:00:00.000Z',
    });

    setNow('2026-03-02T11:59:00Z');
    await runSlaChecks(t.db.handle.db, clock);
    expect(await eventsOf(lead)).toEqual([]);

    setNow('2026-03-02T12:00:00Z');
    await runSlaChecks(t.db.handle.db, clock);
    await runSlaChecks(t.db.handle.db, clock);
    expect(await eventsOf(lead)).toMatchObject([{ kind: 'reminder', recipientId: ana.id }]);
    expect(await leadSla(lead)).toMatchObject({ state: 'at_risk', remindedAt: '2026-03-02T12:00:00.000Z', escalatedAt: null });
    const queue = json<{ data: Array<{ contact: { id: string }; sla: { dueAt: string; state: string } | null; score: unknown }> }>(
      await call('GET', `/api/v1/routing/queue?ownerId=${ana.id}`),
    ).data;
    expect(queue.find((q) => q.contact.id === lead)).toMatchObject({
      sla: { dueAt: '2026-03-02T13:00:00.000Z', state: 'at_risk' },
      score: null,
    });
    const risky = json<Overview>(await call('GET', `/api/v1/routing/sla?state=at_risk&ownerId=${ana.id}`));
    expect(risky.data.map((d) => d.contactId)).toEqual([lead]);
    expect(risky.perRep.find((r) => r.ownerId === ana.id)).toMatchObject({ atRisk: 1, breached: 0 });

    setNow('2026-03-02T13:00:00Z');
    // Two workers at once, then again: one escalation.
    await Promise.all([runSlaChecks(t.db.handle.db, clock), runSlaChecks(t.db.handle.db, clock)]);
    setNow('2026-03-02T15:00:00Z');
    await runSlaChecks(t.db.handle.db, clock);
    const events = await eventsOf(lead);
    expect(events.map((e) => e.kind).sort()).toEqual(['escalation', 'reminder']);
    expect(events.find((e) => e.kind === 'escalation')?.recipientId).toBe(boss.id);
    expect(await leadSla(lead)).toMatchObject({ state: 'breached', escalatedAt: '2026-03-02T13:00:00.000Z', escalatedTo: boss.id });
    const breached = json<Overview>(await call('GET', '/api/v1/routing/sla?state=breached'));
    expect(breached.summary.breached).toBeGreaterThanOrEqual(1);
    const log = json<{ data: Array<{ reason: string }> }>(await call('GET', `/api/v1/routing/log?contactId=${lead}`)).data;
    expect(log.filter((l) => l.reason.startsWith('SLA')).length).toBe(2);

    // Accepted: off the SLA list, and nothing more is sent.
    expect((await call('POST', `/api/v1/routing/leads/${lead}/accept`, {})).statusCode).toBe(200);
    expect(json<Overview>(await call('GET', '/api/v1/routing/sla')).data.find((d) => d.contactId === lead)).toBeUndefined();
  });

  it('a lead found past its due time gets its reminder and escalation in one run; a lead decided in time gets none', async () => {
    setNow('2026-03-03T09:00:00Z'); // Tuesday 10:00 Berlin
    const late = await mql();
    await routeTo(late, ana.id);
    const quick = await mql();
    await routeTo(quick, ana.id);
    setNow('2026-03-03T09:30:00Z');
    expect((await call('POST', `/api/v1/routing/leads/${quick}/reject`, { reason: 'Duplicate' })).statusCode).toBe(200);
    setNow('2026-03-04T09:00:00Z');
    await runSlaChecks(t.db.handle.db, clock);
    expect((await eventsOf(late)).map((e) => e.kind).sort()).toEqual(['escalation', 'reminder']);
    expect(await eventsOf(quick)).toEqual([]);
    await call('POST', `/api/v1/routing/leads/${late}/accept`, {});
    // The rejected lead was routed again (to the fallback queue: Ana rejected it): not a rep's SLA.
    expect(json<Overview>(await call('GET', '/api/v1/routing/sla')).data.find((d) => d.contactId === quick)).toBeUndefined();
  });

  it('reads the lead again after locking it: a lead accepted, or moved past the SLA stage, after the select gets nothing', async () => {
    setNow('2026-03-05T09:00:00Z'); // Thursday 10:00 Berlin
    const accepted = await mql();
    await routeTo(accepted, ana.id);
    const moved = await mql();
    await routeTo(moved, ana.id);
    const still = await mql();
    await routeTo(still, ana.id);
    setNow('2026-03-06T09:00:00Z'); // all three past their due time
    const db = t.db.handle.db;
    // The job's select runs first; then, before it locks anything, the rep accepts one lead and
    // another contact moves on to sql (its mql SLA no longer applies).
    const stale = (await slaCandidates(db, w.id, clock.now())).filter((c) => [accepted, moved, still].includes(c.row.contact_id));
    expect(stale.map((c) => c.row.contact_id).sort()).toEqual([accepted, moved, still].sort());
    expect((await call('POST', `/api/v1/routing/leads/${accepted}/accept`, {})).statusCode).toBe(200);
    expect((await call('POST', `/api/v1/contacts/${moved}/lifecycle`, { stage: 'sql', reason: 'qualified' })).statusCode).toBe(200);
    const done = await db.transaction().execute((trx) => actOnSlaCandidates(trx, w.id, clock.now(), stale));
    expect(done).toEqual({ reminders: 1, escalations: 1 });
    expect(await eventsOf(accepted)).toEqual([]);
    expect(await eventsOf(moved)).toEqual([]);
    expect((await eventsOf(still)).map((e) => e.kind).sort()).toEqual(['escalation', 'reminder']);
    const logged = async (id: string) =>
      json<{ data: Array<{ kind: string }> }>(await call('GET', `/api/v1/routing/log?contactId=${id}`)).data.filter((l) =>
        l.kind.startsWith('sla_'),
      );
    expect(await logged(accepted)).toEqual([]);
    expect(await logged(moved)).toEqual([]);
    await call('POST', `/api/v1/routing/leads/${still}/accept`, {});
    await call('POST', `/api/v1/routing/leads/${moved}/accept`, {});
  });

  it("judges a lead by its contact's stage now: one moved on (sql, recycled, disqualified) is handled, not overdue", async () => {
    setNow('2026-03-09T09:00:00Z'); // Monday 10:00 Berlin
    const moved = { sal: await mql(), recycle: await mql(), disqualified: await mql() };
    const waiting = await mql();
    for (const id of [...Object.values(moved), waiting]) await routeTo(id, ana.id);
    for (const [stage, id] of Object.entries(moved)) {
      const res = await call('POST', `/api/v1/contacts/${id}/lifecycle`, { stage, reason: 'worked outside the queue' });
      expect(res.statusCode, res.body).toBe(200);
    }
    setNow('2026-03-10T09:00:00Z'); // a day later: all four are past their mql SLA
    const o = json<Overview>(await call('GET', `/api/v1/routing/sla?ownerId=${ana.id}`));
    expect(o.data.map((d) => d.contactId)).toEqual([waiting]);
    expect(o.summary).toEqual({ open: 1, onTrack: 0, atRisk: 0, breached: 1 });
    expect(o.perRep.find((r) => r.ownerId === ana.id)).toMatchObject({ breached: 1 });

    type Entry = { contact: { id: string; lifecycleStage: string }; status: string; sla: { state: string } | null };
    const queue = json<{ data: Entry[] }>(await call('GET', `/api/v1/routing/queue?ownerId=${ana.id}`)).data;
    const entry = (id: string) => queue.find((q) => q.contact.id === id);
    expect(entry(waiting)).toMatchObject({ status: 'waiting', sla: { state: 'breached' } });
    for (const [stage, id] of Object.entries(moved))
      expect(entry(id)).toMatchObject({ status: 'moved_on', sla: null, contact: { lifecycleStage: stage } });
    // Waiting leads come first, then the ones that need no decision.
    const firstHandled = queue.findIndex((q) => q.status !== 'waiting');
    expect(queue.slice(firstHandled).every((q) => q.status !== 'waiting')).toBe(true);
    // The contact's assignment says the same: no SLA runs on a lead that moved on.
    const a = json<{ assignment: { sla: unknown } }>(await call('GET', `/api/v1/contacts/${moved.sal}/assignment`));
    expect(a.assignment.sla).toBeNull();
    // The job agrees with what the screens show: nothing about the leads that moved on.
    await runSlaChecks(t.db.handle.db, clock);
    for (const id of Object.values(moved)) expect(await eventsOf(id)).toEqual([]);
    expect((await eventsOf(waiting)).map((e) => e.kind).sort()).toEqual(['escalation', 'reminder']);
    for (const id of [...Object.values(moved), waiting]) await call('POST', `/api/v1/routing/leads/${id}/accept`, {});
  });

  it("runs on the rep's own hours across a daylight-saving change, or on the workspace calendar", async () => {
    setNow('2026-03-27T15:00:00Z'); // Friday 16:00 CET in Berlin
    const lead = await mql();
    await routeTo(lead, ana.id);
    expect(await leadSla(lead)).toMatchObject({ dueAt: '2026-03-30T10:00:00.000Z', remindAt: '2026-03-30T09:00:00.000Z' });
    setNow('2026-03-30T08:59:00Z'); // Monday 10:59 CEST: not yet at risk (wall clock moved)
    await runSlaChecks(t.db.handle.db, clock);
    expect(await eventsOf(lead)).toEqual([]);
    setNow('2026-03-30T09:59:00Z');
    await runSlaChecks(t.db.handle.db, clock);
    expect((await eventsOf(lead)).map((e) => e.kind)).toEqual(['reminder']);
    setNow('2026-03-30T10:00:00Z');
    await runSlaChecks(t.db.handle.db, clock);
    expect((await eventsOf(lead)).map((e) => e.kind).sort()).toEqual(['escalation', 'reminder']);

    // One workspace calendar (London, Good Friday off) instead of the rep's own hours.
    const res = await call('PUT', '/api/v1/routing/sla/settings', {
      calendar: 'workspace',
      workspaceCalendar: { timeZone: 'Europe/London', workingHours: officeHours, holidays: ['2026-04-03'] },
      slas: [{ stage: 'mql', withinMinutes: 240, remindBeforeMinutes: 30, escalateTo: boss.id }],
    });
    expect(res.statusCode, res.body).toBe(200);
    // Thursday 15:00 BST: two hours that day, none on Good Friday, two on Monday (to 11:00 BST).
    setNow('2026-04-02T14:00:00Z');
    const other = await mql();
    await routeTo(other, ana.id);
    expect(await leadSla(other)).toMatchObject({ dueAt: '2026-04-06T10:00:00.000Z', state: 'on_track' });
    for (const id of [lead, other]) await call('POST', `/api/v1/routing/leads/${id}/accept`, {});
  });

  it('pages the SLA list', async () => {
    setNow('2026-04-07T09:00:00Z');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await mql();
      await routeTo(id, ana.id);
      ids.push(id);
    }
    const first = json<Overview>(await call('GET', '/api/v1/routing/sla?limit=2'));
    expect(first.data.length).toBe(2);
    expect(first.summary.open).toBe(3);
    const second = json<Overview>(await call('GET', `/api/v1/routing/sla?limit=2&cursor=${first.nextCursor ?? ''}`));
    expect(second.data.length).toBe(1);
    expect(second.nextCursor).toBeNull();
    expect([...first.data, ...second.data].map((d) => d.contactId).sort()).toEqual([...ids].sort());
  });
});

describe('SLA job: lock order, failures, and the queue', () => {
  const db = () => t.db.handle.db;
  const setSettings = (ws: string, settings: object) =>
    sql`insert into routing_sla_settings (workspace_id, settings, updated_at) values (${ws}, ${JSON.stringify(settings)}::jsonb, now())
      on conflict (workspace_id) do update set settings = excluded.settings`.execute(db());
  // Open mql leads assigned to `ownerId` at `at`, straight into the tables (no routing needed here).
  let bulk = 0;
  const seedLeads = async (ws: string, ownerId: string, n: number, at: Date) => {
    const tag = ++bulk;
    const r = await sql<{ id: string; contact_id: string }>`
      with c as (
        insert into contacts (id, workspace_id, email, lifecycle_stage, created_at, updated_at)
        select gen_random_uuid(), ${ws}, 'bulk' || ${tag}::int || '-' || g || '@example.com', 'mql', now(), now()
        from generate_series(1, ${n}::int) g returning id)
      insert into lead_assignments (id, workspace_id, contact_id, owner_id, status, assigned_at, stage)
      select gen_random_uuid(), ${ws}, id, ${ownerId}, 'open', ${at}, 'mql' from c
      returning id, contact_id`.execute(db());
    return r.rows;
  };
  const kindsOf = async (assignmentId: string) =>
    (
      await sql<{ kind: string }>`select kind from routing_sla_events where assignment_id = ${assignmentId} order by kind`.execute(db())
    ).rows.map((r) => r.kind);

  it('takes the contact before the assignment, as accept and reject do: no deadlock with a rep deciding a lead', async () => {
    setNow('2026-03-02T16:00:00Z'); // Monday 16:00 UTC: leads assigned at 09:00 are past a 60-minute SLA
    const ws = await makeWorkspace(t, 'SLA locks');
    const rep = await makeUser(t, ws, 'sales');
    await setSettings(ws.id, { slas: [{ stage: 'mql', withinMinutes: 60, remindBeforeMinutes: 30 }] });
    const [a, b] = await seedLeads(ws.id, rep.id, 2, new Date('2026-03-02T09:00:00Z'));
    if (!a || !b) throw new Error('no leads');
    let job: Promise<unknown> = Promise.resolve();
    // A rep accepting lead a, in decideLead's order: the contact's row, then its assignment. The job
    // starts between the two steps. Locking the assignment first, the job then waited for the
    // contact (the foreign key of the event it inserts) while the rep waited for the assignment.
    await db()
      .transaction()
      .execute(async (trx) => {
        await sql`select id from contacts where id = ${a.contact_id} for update`.execute(trx);
        job = runSlaChecks(db(), clock);
        await untilWaitingForLock(db(), job);
        await sql`update lead_assignments set status = 'accepted', accepted_at = ${clock.now()} where id = ${a.id}`.execute(trx);
      });
    expect(await job).toMatchObject({ failed: 0 });
    // On PostgreSQL the job passed over the lead being decided; on PGlite (one session) it ran after
    // the accept. Either way, nothing about lead a; lead b was checked.
    expect(await kindsOf(a.id)).toEqual([]);
    expect(await kindsOf(b.id)).toEqual(['escalation', 'reminder']);
  });

  it('goes on with the other workspaces when one fails, and logs the one that failed', async () => {
    setNow('2026-03-02T16:00:00Z');
    const bad = await makeWorkspace(t, 'SLA broken');
    const good = await makeWorkspace(t, 'SLA fine');
    const badRep = await makeUser(t, bad, 'sales');
    const goodRep = await makeUser(t, good, 'sales');
    await setSettings(bad.id, { slas: 'not a list' });
    await setSettings(good.id, { slas: [{ stage: 'mql', withinMinutes: 60, remindBeforeMinutes: 30 }] });
    await seedLeads(bad.id, badRep.id, 1, new Date('2026-03-02T09:00:00Z'));
    const [lead] = await seedLeads(good.id, goodRep.id, 1, new Date('2026-03-02T09:00:00Z'));
    if (!lead) throw new Error('no lead');
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (s: string) => void lines.push(s) });
    // Whichever order the workspaces come in, the good one is checked and the bad one logged.
    const run = await runSlaChecks(db(), clock, { logger });
    expect(run.failed).toBe(1);
    expect(await kindsOf(lead.id)).toEqual(['escalation', 'reminder']);
    expect(lines.length).toBe(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ workspaceId: bad.id, level: 50 });
  });

  it("works out the SLA of every open lead in a rep's queue, not only the first 200", async () => {
    setNow('2026-03-02T16:00:00Z');
    const ws = await makeWorkspace(t, 'SLA queue');
    const admin = await makeApiKey(t, ws, 'admin');
    const rep = await makeUser(t, ws, 'sales');
    await setSettings(ws.id, { slas: [{ stage: 'mql', withinMinutes: 60, remindBeforeMinutes: 30 }] });
    await seedLeads(ws.id, rep.id, 240, new Date('2026-03-02T09:00:00Z'));
    await seedLeads(ws.id, rep.id, 20, new Date('2026-03-02T15:45:00Z'));
    const res = await call('GET', `/api/v1/routing/queue?ownerId=${rep.id}`, undefined, admin);
    expect(res.statusCode, res.body).toBe(200);
    const data = json<{ data: Array<{ sla: { state: string } | null }> }>(res).data;
    expect(data.length).toBe(260);
    const states = data.map((d) => d.sla?.state ?? 'none');
    expect(states.filter((s) => s === 'breached').length).toBe(240);
    expect(states.filter((s) => s === 'on_track').length).toBe(20);
    // The same counts as the SLA dashboard's.
    const o = json<Overview>(await call('GET', `/api/v1/routing/sla?ownerId=${rep.id}`, undefined, admin));
    expect(o.summary).toEqual({ open: 260, onTrack: 20, atRisk: 0, breached: 240 });
  });
});
