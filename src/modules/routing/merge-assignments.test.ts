import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settableClock } from '../../test/clock.js';
import { bearer, createTestApp, json, makeApiKey, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import type { User } from '../users/users.schema.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';
import { runSlaChecks, slaCandidates } from './sla.service.js';

// Duplicate contacts merged while one or both are a rep's open lead (dedupe's merge, routing's
// assignments and the SLA job).
const { clock, setNow } = settableClock('2026-03-02T09:00:00Z'); // a Monday

let t: TestApp;
let w: Workspace;
let key: string;
let ana: User;
let bob: User;
let ruleId: string;

const call = (method: string, url: string, payload?: object) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(key), ...(payload && { payload }) });
let seq = 0;
const mql = async () =>
  json<{ id: string }>(
    await call('POST', '/api/v1/contacts', { email: `dup${++seq}@example.com`, firstName: `Dup ${seq}`, lifecycleStage: 'mql' }),
  ).id;
const routeTo = async (contactId: string, rep: User) => {
  expect((await call('PATCH', `/api/v1/routing/rules/${ruleId}`, { action: { type: 'round_robin', reps: [rep.id] } })).statusCode).toBe(
    200,
  );
  const res = await call('POST', '/api/v1/routing/route', { contactId });
  expect(res.statusCode, res.body).toBe(200);
  return json<{ assignment: { id: string; ownerId: string; assignedAt: string } }>(res).assignment;
};
const merge = async (survivor: string, loser: string) => {
  const res = await call('POST', `/api/v1/contacts/${survivor}/merge`, { from: [loser] });
  expect(res.statusCode, res.body).toBe(200);
  return json<{ id: string; moved: Record<string, number> }>(res);
};
type AssignmentView = { id: string; ownerId: string | null; status: string; assignedAt: string; sla: { dueAt: string } | null } | null;
const assignmentOf = async (contactId: string) =>
  json<{ assignment: AssignmentView }>(await call('GET', `/api/v1/contacts/${contactId}/assignment`)).assignment;
const liveRows = async (contactId: string) =>
  (
    await sql<{ id: string; status: string }>`select id, status from lead_assignments
      where contact_id = ${contactId} and status in ('open', 'accepted')`.execute(t.db.handle.db)
  ).rows;
const queueOf = async (rep: User) =>
  json<{ data: Array<{ contact: { id: string } }> }>(await call('GET', `/api/v1/routing/queue?ownerId=${rep.id}`)).data.map(
    (q) => q.contact.id,
  );
const logOf = async (contactId: string) =>
  json<{ data: Array<{ kind: string; reason: string; assignedTo: string | null }> }>(
    await call('GET', `/api/v1/routing/log?contactId=${contactId}&limit=100`),
  ).data;
const eventsOf = async (contactId: string) =>
  (
    await sql<{ kind: string; assignment_id: string }>`select kind, assignment_id from routing_sla_events
      where contact_id = ${contactId} order by kind`.execute(t.db.handle.db)
  ).rows;

beforeAll(async () => {
  t = await createTestApp({ clock });
  w = await makeWorkspace(t);
  key = await makeApiKey(t, w, 'admin');
  ana = await makeUser(t, w, 'sales');
  bob = await makeUser(t, w, 'sales');
  expect((await call('PUT', '/api/v1/routing/reps', { reps: [{ userId: ana.id }, { userId: bob.id }] })).statusCode).toBe(200);
  const rule = await call('POST', '/api/v1/routing/rules', { name: 'One rep', action: { type: 'round_robin', reps: [ana.id] } });
  expect(rule.statusCode, rule.body).toBe(201);
  ruleId = json<{ id: string }>(rule).id;
  const sla = await call('PUT', '/api/v1/routing/sla/settings', {
    slas: [{ stage: 'mql', withinMinutes: 240, remindBeforeMinutes: 60 }],
    calendar: 'workspace',
  });
  expect(sla.statusCode, sla.body).toBe(200);
});
afterAll(async () => t?.close());

describe('a merged contact and its lead assignment', () => {
  it("the survivor with no assignment takes the loser's over: same rep, same due time, its reminder kept; the loser leaves the queue and the SLA job", async () => {
    setNow('2026-03-02T09:00:00Z');
    const survivor = await mql();
    const loser = await mql();
    const a = await routeTo(loser, ana);
    const due = (await assignmentOf(loser))?.sla?.dueAt;
    expect(due).toBe('2026-03-02T13:00:00.000Z');
    setNow('2026-03-02T12:30:00Z'); // at risk: the reminder goes to Ana
    await runSlaChecks(t.db.handle.db, clock);
    expect((await eventsOf(loser)).map((e) => e.kind)).toEqual(['reminder']);

    const m = await merge(survivor, loser);
    expect(m.moved.assignments).toBe(1);
    expect(await liveRows(loser)).toEqual([]);
    expect(await assignmentOf(survivor)).toMatchObject({
      id: a.id,
      ownerId: ana.id,
      status: 'open',
      assignedAt: a.assignedAt,
      sla: { dueAt: due },
    });
    expect(json<{ ownerId: string | null }>(await call('GET', `/api/v1/contacts/${survivor}`)).ownerId).toBe(ana.id);
    const queue = await queueOf(ana);
    expect(queue).toContain(survivor);
    expect(queue).not.toContain(loser);
    expect((await logOf(loser))[0]).toMatchObject({ kind: 'released' });
    expect((await logOf(loser))[0]?.reason).toContain(`merged into ${survivor}`);
    const survivorLog = await logOf(survivor);
    expect(survivorLog.map((l) => l.kind)).toEqual(['routed']);
    expect(survivorLog[0]).toMatchObject({ assignedTo: ana.id });
    expect(survivorLog[0]?.reason).toContain(`taken over from merged duplicate ${loser}`);

    // Past the due time: one escalation, about the survivor; the reminder is not sent again.
    setNow('2026-03-02T13:30:00Z');
    const candidates = (await slaCandidates(t.db.handle.db, w.id, clock.now())).map((c) => c.row.contact_id);
    expect(candidates).not.toContain(loser);
    await runSlaChecks(t.db.handle.db, clock);
    expect(await eventsOf(loser)).toEqual([]);
    expect((await eventsOf(survivor)).map((e) => [e.kind, e.assignment_id])).toEqual([
      ['escalation', a.id],
      ['reminder', a.id],
    ]);
    expect((await call('POST', `/api/v1/routing/leads/${survivor}/accept`, {})).statusCode).toBe(200);
  });

  it("the survivor keeps its own assignment and the loser's is released, logged; undo leaves it released and says so", async () => {
    setNow('2026-03-03T09:00:00Z');
    const survivor = await mql();
    const loser = await mql();
    const mine = await routeTo(survivor, bob);
    const theirs = await routeTo(loser, ana);
    const m = await merge(survivor, loser);
    expect(await liveRows(loser)).toEqual([]);
    const released = await sql<{ status: string; released_at: Date | null }>`select status, released_at from lead_assignments
      where id = ${theirs.id}`.execute(t.db.handle.db);
    expect(released.rows[0]).toMatchObject({ status: 'released' });
    expect(await assignmentOf(survivor)).toMatchObject({ id: mine.id, ownerId: bob.id, status: 'open' });
    expect(await queueOf(ana)).not.toContain(loser);
    expect(await queueOf(bob)).toContain(survivor);
    const loserLog = await logOf(loser);
    expect(loserLog[0]).toMatchObject({ kind: 'released' });
    expect(loserLog[0]?.reason).toContain(`merged into ${survivor}`);
    // The survivor was not routed again.
    expect((await logOf(survivor)).filter((l) => l.kind === 'routed')).toHaveLength(1);

    // Past the due time: only the survivor's lead is escalated.
    setNow('2026-03-03T15:00:00Z');
    await runSlaChecks(t.db.handle.db, clock);
    expect(await eventsOf(loser)).toEqual([]);
    expect((await eventsOf(survivor)).map((e) => e.assignment_id)).toEqual([mine.id, mine.id]);

    // Undo: the loser comes back without a live assignment, and its log says why.
    const undo = await call('POST', `/api/v1/merges/${m.id}/undo`, {});
    expect(undo.statusCode, undo.body).toBe(200);
    expect(await liveRows(loser)).toEqual([]);
    expect(await assignmentOf(loser)).toBeNull();
    expect(await assignmentOf(survivor)).toMatchObject({ id: mine.id, ownerId: bob.id });
    const after = await logOf(loser);
    expect(after[0]).toMatchObject({ kind: 'released' });
    expect(after[0]?.reason).toContain('merge undone');
    expect(await queueOf(ana)).not.toContain(loser);
  });

  it('undoing a take-over leaves the assignment with the survivor and logs it on the restored contact', async () => {
    setNow('2026-03-04T09:00:00Z');
    const survivor = await mql();
    const loser = await mql();
    const a = await routeTo(loser, ana);
    const m = await merge(survivor, loser);
    const undo = await call('POST', `/api/v1/merges/${m.id}/undo`, {});
    expect(undo.statusCode, undo.body).toBe(200);
    expect(await assignmentOf(loser)).toBeNull();
    expect(await assignmentOf(survivor)).toMatchObject({ id: a.id, ownerId: ana.id });
    const log = await logOf(loser);
    expect(log[0]).toMatchObject({ kind: 'released' });
    expect(log[0]?.reason).toContain(`stays with ${survivor}`);
  });
});
