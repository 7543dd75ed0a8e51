import { pino } from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settableClock } from '../../test/clock.js';
import { bearer, createTestApp, json, makeApiKey, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import type { User } from '../users/users.schema.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';
import type { ContactAssignment, RoutingLogKind } from './routing.schema.js';
import { runSlaChecks } from './sla.service.js';

// Monday 2 March 2026, 09:00 UTC: the workspace calendar's (Mon-Fri 09:00-17:00 UTC) first minute.
const { clock, setNow } = settableClock('2026-03-02T09:00:00Z');

let t: TestApp;
let w: Workspace;
let other: Workspace;
let key: string;
let viewerKey: string;
let otherKey: string;
let ana: User;
let ben: User;

const call = (method: string, url: string, payload?: object, k = key) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(k), ...(payload && { payload }) });
let seq = 0;
const lead = async (body: object = {}, k = key) => {
  const res = await call('POST', '/api/v1/contacts', { email: `kind${++seq}@example.com`, lifecycleStage: 'mql', ...body }, k);
  expect(res.statusCode, res.body).toBe(201);
  return json<{ id: string }>(res).id;
};
const ok = async (method: string, url: string, payload?: object) => {
  const res = await call(method, url, payload);
  expect(res.statusCode, `${method} ${url} ${res.body}`).toBe(200);
  return res;
};
type Entry = { id: string; contactId: string; kind: RoutingLogKind; assignedTo: string | null; queue: string | null; reason: string };
const logOf = async (query: string) => json<{ data: Entry[] }>(await ok('GET', `/api/v1/routing/log?limit=200&${query}`)).data;
const assignmentOf = async (contactId: string, k = key) => {
  const res = await call('GET', `/api/v1/contacts/${contactId}/assignment`, undefined, k);
  expect(res.statusCode, res.body).toBe(200);
  return json<{ assignment: ContactAssignment | null }>(res).assignment;
};
const sla = () => runSlaChecks(t.db.handle.db, clock, { logger: pino({ level: 'silent' }) });

beforeAll(async () => {
  t = await createTestApp({ clock });
  w = await makeWorkspace(t);
  other = await makeWorkspace(t);
  key = await makeApiKey(t, w, 'admin');
  viewerKey = await makeApiKey(t, w, 'viewer');
  otherKey = await makeApiKey(t, other, 'admin');
  ana = await makeUser(t, w, 'sales');
  ben = await makeUser(t, w, 'sales');
  await ok('PUT', '/api/v1/routing/reps', { reps: [{ userId: ana.id }, { userId: ben.id }] });
  for (const rule of [
    { name: 'Inbound', condition: { field: 'source', op: 'eq', value: 'inbound' }, action: { type: 'queue', queue: 'inbound' } },
    { name: 'Everyone', action: { type: 'round_robin', reps: [ana.id, ben.id] } },
  ]) {
    expect((await call('POST', '/api/v1/routing/rules', rule)).statusCode).toBe(201);
  }
  // 60 working minutes to decide an MQL, reminded 15 before: remind 09:45, due 10:00 on the calendar.
  await ok('PUT', '/api/v1/routing/sla/settings', {
    calendar: 'workspace',
    slas: [{ stage: 'mql', withinMinutes: 60, remindBeforeMinutes: 15 }],
  });
});
afterAll(async () => t?.close());

describe('routing log kinds', () => {
  let rep: string;
  let queued: string;

  it('gives every entry its kind: routed, reminded, escalated, rejected, routed again, accepted, released; and queued', async () => {
    rep = await lead();
    expect(await assignmentOf(rep)).toBeNull();
    const first = json<{ assignment: { ownerId: string } }>(await ok('POST', '/api/v1/routing/route', { contactId: rep })).assignment
      .ownerId;
    const second = first === ana.id ? ben.id : ana.id;
    setNow('2026-03-02T09:50:00Z');
    expect(await sla()).toMatchObject({ reminders: 1, escalations: 0 });
    setNow('2026-03-02T10:05:00Z');
    expect(await sla()).toMatchObject({ reminders: 0, escalations: 1 });
    await ok('POST', `/api/v1/routing/leads/${rep}/reject`, { reason: 'Not a fit' });
    await ok('POST', `/api/v1/routing/leads/${rep}/accept`, {});
    await ok('POST', '/api/v1/routing/route', { contactId: rep, reassign: true });

    const log = await logOf(`contactId=${rep}`);
    // Reassigned: the rep who has it leaves it, and the one who rejected it may not take it: the fallback queue.
    expect(log.map((e) => [e.kind, e.assignedTo, e.queue])).toEqual([
      ['queued', null, 'unassigned'],
      ['released', null, null],
      ['accepted', second, null],
      ['routed', second, null],
      ['rejected', null, null],
      ['sla_escalation', first, null],
      ['sla_reminder', first, null],
      ['routed', first, null],
    ]);
    expect(log[1]?.reason).toMatch(/^released from .*reassigned/);

    queued = await lead({ source: 'inbound' });
    await ok('POST', '/api/v1/routing/route', { contactId: queued });
    // The fallback queue is a queue decision too: no rule assigns once the rules are gone.
    const fallback = await lead();
    for (const r of json<{ data: Array<{ id: string }> }>(await ok('GET', '/api/v1/routing/rules')).data)
      expect((await call('DELETE', `/api/v1/routing/rules/${r.id}`)).statusCode).toBe(204);
    await ok('POST', '/api/v1/routing/route', { contactId: fallback });
    expect((await logOf(`contactId=${queued}`)).map((e) => [e.kind, e.queue])).toEqual([['queued', 'inbound']]);
    expect((await logOf(`contactId=${fallback}`)).map((e) => [e.kind, e.queue])).toEqual([['queued', 'unassigned']]);

    // Migration 0025 classified the rows written before it from their columns and wording; that
    // classification agrees with what every writer now sets.
    const disagree = await sql<{ kind: string; reason: string }>`
      select kind, reason from routing_log
      where workspace_id = ${w.id} and kind <> keel_routing_log_kind_from_text(reason, assigned_to, queue)`.execute(t.db.handle.db);
    expect(disagree.rows).toEqual([]);
  });

  it('filters the log by kind, alone and with a contact, and refuses an unknown kind with problem+json 400', async () => {
    const all = await logOf('');
    const kinds: RoutingLogKind[] = ['routed', 'queued', 'accepted', 'rejected', 'released', 'sla_reminder', 'sla_escalation'];
    for (const kind of kinds) {
      const some = await logOf(`kind=${kind}`);
      expect(some.length, kind).toBeGreaterThan(0);
      expect(some.every((e) => e.kind === kind)).toBe(true);
      expect(some.map((e) => e.id)).toEqual(all.filter((e) => e.kind === kind).map((e) => e.id));
    }
    expect((await logOf(`kind=routed&contactId=${rep}`)).length).toBe(2);
    expect((await logOf(`kind=queued&contactId=${queued}`)).map((e) => e.contactId)).toEqual([queued]);
    expect((await logOf(`kind=accepted&contactId=${queued}`)).length).toBe(0);
    // Paging within a kind.
    const page = json<{ data: Entry[]; nextCursor: string | null }>(await ok('GET', `/api/v1/routing/log?kind=routed&limit=1`));
    expect(page.data.length).toBe(1);
    expect(page.nextCursor).not.toBeNull();
    const rest = json<{ data: Entry[] }>(await ok('GET', `/api/v1/routing/log?kind=routed&limit=200&cursor=${page.nextCursor ?? ''}`));
    expect([...page.data, ...rest.data].map((e) => e.id)).toEqual(all.filter((e) => e.kind === 'routed').map((e) => e.id));
    for (const bad of ['nudge', 'ROUTED', '', 'routed,queued']) {
      const res = await call('GET', `/api/v1/routing/log?kind=${bad}`);
      expect(res.statusCode, `kind=${bad}: ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('filters the whole log by rep and time, with the contact and rep names, and only within the workspace', async () => {
    type Named = Entry & { at: string; contactName: string | null; contactEmail: string | null; assignedToName: string | null };
    const named = async (query: string, k = key) => {
      const res = await call('GET', `/api/v1/routing/log?limit=200&${query}`, undefined, k);
      expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
      return json<{ data: Named[] }>(res).data;
    };
    const all = await named('');
    for (const r of [ana, ben]) {
      const mine = await named(`assignedTo=${r.id}`);
      expect(mine.length, r.name).toBeGreaterThan(0);
      expect(mine.map((e) => e.id)).toEqual(all.filter((e) => e.assignedTo === r.id).map((e) => e.id));
      expect(mine.every((e) => e.assignedToName === r.name)).toBe(true);
      const escalated = await named(`assignedTo=${r.id}&kind=sla_escalation`);
      expect(escalated.map((e) => e.id)).toEqual(mine.filter((e) => e.kind === 'sla_escalation').map((e) => e.id));
    }
    expect(all.filter((e) => e.assignedTo === null).every((e) => e.assignedToName === null)).toBe(true);
    const email = json<{ email: string }>(await ok('GET', `/api/v1/contacts/${rep}`)).email;
    expect(all.filter((e) => e.contactId === rep).every((e) => e.contactEmail === email)).toBe(true);
    // [from, to): the reminder at 09:50 alone; from alone and to alone split the log in two.
    const window = await named(`from=2026-03-02T09:50:00Z&to=2026-03-02T10:00:00Z`);
    expect(window.map((e) => [e.kind, e.contactId])).toEqual([['sla_reminder', rep]]);
    const after = await named('from=2026-03-02T09:50:00Z');
    const before = await named('to=2026-03-02T09:50:00Z');
    expect([...after, ...before].map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(before.every((e) => Date.parse(e.at) < Date.parse('2026-03-02T09:50:00Z'))).toBe(true);
    // Another workspace's admin asking for this workspace's rep sees nothing of it.
    expect(await named(`assignedTo=${ana.id}`, otherKey)).toEqual([]);
    for (const bad of ['assignedTo=ana', 'from=yesterday', 'from=2026-03-03T00:00:00Z&to=2026-03-02T00:00:00Z']) {
      const res = await call('GET', `/api/v1/routing/log?${bad}`);
      expect(res.statusCode, `${bad}: ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });
});

describe("a contact's assignment", () => {
  it('is the open assignment with its SLA as the SLA service computes it, then accepted without one', async () => {
    setNow('2026-03-03T09:00:00Z');
    expect(
      (await call('POST', '/api/v1/routing/rules', { name: 'Round robin', action: { type: 'round_robin', reps: [ana.id, ben.id] } }))
        .statusCode,
    ).toBe(201);
    const c = await lead();
    expect(await assignmentOf(c)).toBeNull();
    const routed = json<{ assignment: { id: string; ownerId: string; ruleId: string } }>(
      await ok('POST', '/api/v1/routing/route', { contactId: c }),
    ).assignment;
    const owner = routed.ownerId === ana.id ? ana : ben;
    const open = await assignmentOf(c);
    expect(open).toEqual({
      id: routed.id,
      contactId: c,
      ownerId: owner.id,
      ownerName: owner.name,
      queue: null,
      ruleId: routed.ruleId,
      rule: 'Round robin',
      status: 'open',
      stage: 'mql',
      assignedAt: '2026-03-03T09:00:00.000Z',
      acceptedAt: null,
      sla: { dueAt: '2026-03-03T10:00:00.000Z', state: 'on_track' },
    });
    // The same state as the SLA dashboard at each moment, whether or not the job ran.
    for (const [at, state] of [
      ['2026-03-03T09:50:00Z', 'at_risk'],
      ['2026-03-03T10:00:00Z', 'breached'],
    ] as const) {
      setNow(at);
      expect((await assignmentOf(c))?.sla).toEqual({ dueAt: '2026-03-03T10:00:00.000Z', state });
      const dash = json<{ data: Array<{ contactId: string; dueAt: string; state: string }> }>(
        await ok('GET', '/api/v1/routing/sla?limit=200'),
      );
      expect(dash.data.find((d) => d.contactId === c)).toMatchObject({ dueAt: '2026-03-03T10:00:00.000Z', state });
    }
    // Everyone who may read the routing log may read it.
    expect((await assignmentOf(c, viewerKey))?.id).toBe(routed.id);

    setNow('2026-03-03T10:10:00Z');
    await ok('POST', `/api/v1/routing/leads/${c}/accept`, {});
    expect(await assignmentOf(c)).toMatchObject({
      id: routed.id,
      status: 'accepted',
      acceptedAt: '2026-03-03T10:10:00.000Z',
      assignedAt: '2026-03-03T09:00:00.000Z',
      sla: null,
    });
  });

  it('is a queue assignment without a rep or SLA, and null once released', async () => {
    const c = await lead({ source: 'inbound' });
    await ok('PUT', '/api/v1/routing/settings', { fallbackQueue: 'sdr-pool', rejectReasons: ['Not a fit'] });
    for (const r of json<{ data: Array<{ id: string }> }>(await ok('GET', '/api/v1/routing/rules')).data)
      expect((await call('DELETE', `/api/v1/routing/rules/${r.id}`)).statusCode).toBe(204);
    await ok('POST', '/api/v1/routing/route', { contactId: c });
    expect(await assignmentOf(c)).toMatchObject({
      contactId: c,
      ownerId: null,
      ownerName: null,
      queue: 'sdr-pool',
      ruleId: null,
      rule: null,
      status: 'open',
      stage: 'mql',
      sla: null,
    });
    await sql`update lead_assignments set status = 'released', released_at = now() where contact_id = ${c}`.execute(t.db.handle.db);
    expect(await assignmentOf(c)).toBeNull();
  });

  it("answers 404 for an unknown contact and for another workspace's, 400 for a malformed id", async () => {
    const unknown = await call('GET', '/api/v1/contacts/01900000-0000-7000-8000-000000000000/assignment');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    // The other workspace's contact, routed to its fallback queue: its own admin sees it, we do not.
    const theirs = await lead({}, otherKey);
    expect((await call('POST', '/api/v1/routing/route', { contactId: theirs }, otherKey)).statusCode).toBe(200);
    expect((await call('GET', `/api/v1/contacts/${theirs}/assignment`, undefined, otherKey)).statusCode).toBe(200);
    const foreign = await call('GET', `/api/v1/contacts/${theirs}/assignment`);
    expect(foreign.statusCode).toBe(404);
    expect(json<{ detail: string }>(foreign).detail).toBe('Contact not found');
    expect((await call('GET', `/api/v1/routing/log?contactId=${theirs}`)).body).not.toContain(theirs);
    expect((await call('GET', '/api/v1/contacts/nope/assignment')).statusCode).toBe(400);
  });
});
