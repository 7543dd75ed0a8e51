import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { newId } from '../../platform/ids.js';
import { bearer, createTestApp, fixedClock, json, login, makeApiKey, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import type { User } from '../users/users.schema.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';
import { drainLifecycleQueue } from './lifecycle.service.js';
import { drainRoutingQueue, routeContact } from './routing.service.js';

// Monday 2 March 2026, 10:00 in Berlin (CET, UTC+1).
const clock = fixedClock(new Date('2026-03-02T09:00:00Z'));
let t: TestApp;
let w: Workspace;
let key: string;
let viewerKey: string;
let ana: User;
let ben: User;
let cho: User;

const call = (method: string, url: string, payload?: object, k = key) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(k), ...(payload && { payload }) });
let seq = 0;
const lead = async (body: object = {}) =>
  json<{ id: string }>(await call('POST', '/api/v1/contacts', { email: `lead${++seq}@example.com`, ...body })).id;
const route = async (contactId: string, reassign = false) => call('POST', '/api/v1/routing/route', { contactId, reassign });
type Result = {
  assignment: { ownerId: string | null; queue: string | null; ruleId: string | null; status: string };
  alreadyAssigned: boolean;
  reason: string;
  skipped: Array<{ rule: string | null; repId?: string; reason: string }>;
};
const routed = async (contactId: string) => {
  const res = await route(contactId);
  expect(res.statusCode, res.body).toBe(200);
  return json<Result>(res);
};
const rep = (u: User, extra: object = {}) => ({ userId: u.id, ...extra });
const setReps = async (reps: object[]) => {
  const res = await call('PUT', '/api/v1/routing/reps', { reps });
  expect(res.statusCode, res.body).toBe(200);
};
const clearRules = async () => {
  for (const r of json<{ data: Array<{ id: string }> }>(await call('GET', '/api/v1/routing/rules')).data)
    await call('DELETE', `/api/v1/routing/rules/${r.id}`);
};
const addRule = async (body: object) => {
  const res = await call('POST', '/api/v1/routing/rules', body);
  expect(res.statusCode, res.body).toBe(201);
  return json<{ id: string }>(res).id;
};
const releaseAll = () => sql`update lead_assignments set status = 'released' where status in ('open', 'accepted')`.execute(t.db.handle.db);

beforeAll(async () => {
  t = await createTestApp({ clock });
  w = await makeWorkspace(t);
  key = await makeApiKey(t, w, 'admin');
  viewerKey = await makeApiKey(t, w, 'viewer');
  ana = await makeUser(t, w, 'sales');
  ben = await makeUser(t, w, 'sales');
  cho = await makeUser(t, w, 'sales');
});
afterAll(async () => t?.close());

describe('routing', () => {
  it('configures reps and rules, and refuses bad input with problem+json', async () => {
    await setReps([rep(ana, { weight: 2, timeZone: 'Europe/Berlin', workingHours: { mon: [['09:00', '17:00']] } }), rep(ben)]);
    const reps = json<{ data: Array<{ userId: string; weight: number; timeZone: string; openLeads: number }> }>(
      await call('GET', '/api/v1/routing/reps'),
    ).data;
    expect(reps.find((r) => r.userId === ana.id)).toMatchObject({ weight: 2, timeZone: 'Europe/Berlin', openLeads: 0 });
    const bad: Array<[string, string, object]> = [
      ['PUT', '/api/v1/routing/reps', { reps: [rep(ana, { timeZone: 'Mars/Olympus' })] }],
      ['PUT', '/api/v1/routing/reps', { reps: [rep(ana, { workingHours: { mon: [['17:00', '09:00']] } })] }],
      ['PUT', '/api/v1/routing/reps', { reps: [rep(ana), rep(ana)] }],
      ['PUT', '/api/v1/routing/reps', { reps: [{ userId: '01900000-0000-7000-8000-000000000000' }] }],
      ['PUT', '/api/v1/routing/reps', { reps: [rep(ana, { weight: -1 })] }],
      ['POST', '/api/v1/routing/rules', { name: 'x', action: { type: 'round_robin', reps: [cho.id] } }],
      ['POST', '/api/v1/routing/rules', { name: 'x', action: { type: 'dice' } }],
      [
        'POST',
        '/api/v1/routing/rules',
        { name: 'x', condition: { field: 'nope', op: 'eq', value: 1 }, action: { type: 'queue', queue: 'inbound' } },
      ],
      ['POST', '/api/v1/routing/rules', { name: 'x', action: { type: 'queue', queue: 'Has Spaces' } }],
      [
        'POST',
        '/api/v1/routing/rules',
        { name: 'x', action: { type: 'territory', territories: [{ name: 'T', match: {}, reps: [ana.id] }] } },
      ],
      ['POST', '/api/v1/routing/route', { contactId: 'nope' }],
      ['PUT', '/api/v1/routing/settings', { fallbackQueue: 'x', rejectReasons: [] }],
      ['GET', '/api/v1/routing/log?limit=0', {}],
      ['GET', '/api/v1/routing/log?cursor=garbage', {}],
    ];
    for (const [method, url, body] of bad) {
      const res = await call(method, url, method === 'GET' ? undefined : body);
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)} ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await route('01900000-0000-7000-8000-000000000000')).statusCode).toBe(404);
    expect((await call('PUT', '/api/v1/routing/reps', { reps: [] }, viewerKey)).statusCode).toBe(403);
    const id = await addRule({ name: 'Everyone', action: { type: 'round_robin', reps: [ana.id, ben.id] } });
    const first = await addRule({
      name: 'Inbound first',
      position: 0,
      condition: { field: 'source', op: 'eq', value: 'inbound' },
      action: { type: 'queue', queue: 'inbound' },
    });
    const rules = json<{ data: Array<{ id: string; position: number }> }>(await call('GET', '/api/v1/routing/rules')).data;
    expect(rules.map((r) => r.id)).toEqual([first, id]);
    const moved = await call('PATCH', `/api/v1/routing/rules/${first}`, { position: 5, name: 'Inbound queue' });
    expect(json<{ position: number; name: string }>(moved)).toMatchObject({ position: 1, name: 'Inbound queue' });
    expect((await call('PATCH', `/api/v1/routing/rules/${first}`, { action: { type: 'queue' } })).statusCode).toBe(400);
    expect((await call('DELETE', `/api/v1/routing/rules/${first}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/routing/rules/${first}`)).statusCode).toBe(404);
    await clearRules();
  });

  it('routes by the first rule that fires, logs why earlier rules did not, and never assigns a lead twice', async () => {
    await setReps([rep(ana), rep(ben)]);
    const inbound = await addRule({
      name: 'Inbound',
      condition: { field: 'source', op: 'eq', value: 'inbound' },
      action: { type: 'queue', queue: 'inbound' },
    });
    const rr = await addRule({ name: 'Round robin', action: { type: 'round_robin', reps: [ana.id, ben.id] } });
    const c1 = await lead({ source: 'webinar' });
    const r1 = await routed(c1);
    expect(r1.assignment).toMatchObject({ ownerId: ana.id, ruleId: rr, status: 'open' });
    expect(r1.skipped).toEqual([{ ruleId: inbound, rule: 'Inbound', reason: 'condition not met' }]);
    const again = await routed(c1);
    expect(again).toMatchObject({ alreadyAssigned: true, assignment: { ownerId: ana.id } });
    const c2 = await lead({ source: 'inbound' });
    expect((await routed(c2)).assignment).toMatchObject({ ownerId: null, queue: 'inbound', ruleId: inbound });
    const contact = json<{ ownerId: string }>(await call('GET', `/api/v1/contacts/${c1}`));
    expect(contact.ownerId).toBe(ana.id);
    // Two (and twenty) routers of one lead at once: one assignment.
    for (const n of [2, 20]) {
      const c = await lead();
      const results = await Promise.all(Array.from({ length: n }, () => routeContact({ db: t.db.handle.db, clock }, systemActor(w.id), c)));
      expect(results.filter((x) => !x.alreadyAssigned).length).toBe(1);
      expect(new Set(results.map((x) => x.assignment.id)).size).toBe(1);
      const rows = await sql<{ n: number }>`select count(*)::int as n from lead_assignments where contact_id = ${c}`.execute(
        t.db.handle.db,
      );
      expect(rows.rows[0]?.n).toBe(1);
    }
    // Reassigning keeps the history.
    const re = json<Result>(await route(c1, true));
    expect(re.assignment.ownerId).toBe(ben.id);
    const log = json<{ data: Array<{ rule: string | null; assignedTo: string | null; reason: string }> }>(
      await call('GET', `/api/v1/routing/log?contactId=${c1}`),
    );
    expect(log.data.map((l) => [l.rule, l.assignedTo])).toEqual([
      ['Round robin', ben.id],
      [null, null],
      ['Round robin', ana.id],
    ]);
    expect(log.data[1]?.reason).toMatch(/released from .*reassigned/);
    const page = json<{ data: unknown[]; nextCursor: string }>(await call('GET', '/api/v1/routing/log?limit=2'));
    expect(page.data.length).toBe(2);
    const next = json<{ data: unknown[] }>(await call('GET', `/api/v1/routing/log?limit=2&cursor=${page.nextCursor}`));
    expect(next.data.length).toBe(2);
    await clearRules();
    await releaseAll();
  });

  it('respects capacity caps and availability, and falls back to the queue when nobody is available', async () => {
    await setReps([rep(ana, { capacity: 2 }), rep(ben, { capacity: 1 }), rep(cho, { available: false })]);
    await addRule({ name: 'RR', action: { type: 'round_robin', reps: [ana.id, ben.id, cho.id] } });
    const owners: Array<string | null> = [];
    const last: Result[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await routed(await lead());
      owners.push(r.assignment.ownerId ?? r.assignment.queue);
      last.push(r);
    }
    expect(owners.filter((o) => o === ana.id).length).toBe(2);
    expect(owners.filter((o) => o === ben.id).length).toBe(1);
    expect(owners.slice(3)).toEqual(['unassigned', 'unassigned']);
    const skipped = last[4]?.skipped ?? [];
    expect(skipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ repId: ana.id, reason: 'at capacity (2/2 open leads)' }),
        expect.objectContaining({ repId: ben.id, reason: 'at capacity (1/1 open leads)' }),
        expect.objectContaining({ repId: cho.id, reason: 'unavailable' }),
        expect.objectContaining({ rule: 'RR', reason: 'no rep available' }),
      ]),
    );
    expect(last[4]?.reason).toMatch(/fallback queue unassigned/);
    // Accepting a lead frees capacity (a cap counts leads waiting for the rep).
    const anaLeads = json<{ data: Array<{ contact: { id: string } }> }>(await call('GET', `/api/v1/routing/queue?ownerId=${ana.id}`)).data;
    expect(anaLeads.length).toBe(2);
    expect((await call('POST', `/api/v1/routing/leads/${anaLeads[0]?.contact.id}/accept`, {})).statusCode).toBe(200);
    expect((await routed(await lead())).assignment.ownerId).toBe(ana.id);
    await clearRules();
    await releaseAll();
  });

  it('frees a rep at capacity once the contact of their lead moves on (to sql): a cap counts only leads still waiting', async () => {
    await setReps([rep(ana, { capacity: 1 }), rep(ben, { capacity: 1 })]);
    await addRule({ name: 'RR', action: { type: 'round_robin', reps: [ana.id, ben.id] } });
    const mql = () => lead({ lifecycleStage: 'mql' });
    const first = await mql();
    const firstOwner = (await routed(first)).assignment.ownerId;
    const other = firstOwner === ana.id ? ben.id : ana.id;
    expect((await routed(await mql())).assignment.ownerId).toBe(other);
    const full = await routed(await mql());
    expect(full.assignment.queue).toBe('unassigned');
    expect(full.skipped).toEqual(
      expect.arrayContaining([expect.objectContaining({ repId: firstOwner, reason: 'at capacity (1/1 open leads)' })]),
    );
    // The first lead's contact is taken to sql outside the queue: handled, though never accepted.
    const moved = await call('POST', `/api/v1/contacts/${first}/lifecycle`, { stage: 'sql', reason: 'qualified on a call' });
    expect(moved.statusCode, moved.body).toBe(200);
    const reps = json<{ data: Array<{ userId: string; openLeads: number }> }>(await call('GET', '/api/v1/routing/reps')).data;
    expect(Object.fromEntries(reps.map((r) => [r.userId, r.openLeads]))).toMatchObject({ [firstOwner ?? '']: 0, [other]: 1 });
    expect((await routed(await mql())).assignment.ownerId).toBe(firstOwner);
    await drainRoutingQueue(t.db.handle.db, clock); // the new MQLs were queued too: already assigned
    await clearRules();
    await releaseAll();
  });

  it("follows working hours in each rep's time zone across a daylight-saving change", async () => {
    // Berlin moves to CEST (UTC+2) on Sunday 29 March 2026. Both reps work 09:00-17:00 local time.
    const hours = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']]]));
    await setReps([
      rep(ana, { timeZone: 'Europe/Berlin', workingHours: hours }),
      rep(ben, { timeZone: 'America/New_York', workingHours: hours }),
    ]);
    await addRule({ name: 'RR', action: { type: 'round_robin', reps: [ana.id, ben.id] } });
    const at = async (iso: string) => {
      clock.advance(new Date(iso).getTime() - clock.now().getTime());
      return routed(await lead());
    };
    // Friday 27 March 07:30 UTC = 08:30 in Berlin (CET), 03:30 in New York: nobody.
    const before = await at('2026-03-27T07:30:00Z');
    expect(before.assignment.queue).toBe('unassigned');
    expect(before.skipped).toEqual(
      expect.arrayContaining([expect.objectContaining({ repId: ana.id, reason: 'outside working hours (fri 08:30 Europe/Berlin)' })]),
    );
    // Monday 30 March 07:30 UTC = 09:30 in Berlin (CEST): Ana works; New York is at 03:30.
    const after = await at('2026-03-30T07:30:00Z');
    expect(after.assignment.ownerId).toBe(ana.id);
    // New York moved on 8 March: 13:30 UTC is 09:30 EDT on Monday 9 March, 08:30 EST a week before.
    expect((await at('2026-03-02T13:30:00Z')).assignment.ownerId).toBe(ana.id);
    const ny = await at('2026-03-09T13:30:00Z');
    expect([ana.id, ben.id]).toContain(ny.assignment.ownerId);
    expect(ny.skipped.filter((s) => s.repId === ben.id)).toEqual([]);
    // Saturday: nobody works.
    expect((await at('2026-03-28T12:00:00Z')).assignment.queue).toBe('unassigned');
    await clearRules();
    await releaseAll();
    clock.advance(new Date('2026-03-02T09:00:00Z').getTime() - clock.now().getTime());
  });

  it('routes to the account owner, then by territory', async () => {
    await setReps([rep(ana), rep(ben), rep(cho)]);
    const seg = json<{ id: string }>(
      await call('POST', '/api/v1/segments', { name: 'Execs', definition: { field: 'title', op: 'contains', value: 'VP' } }),
    ).id;
    await addRule({ name: 'Account owner', action: { type: 'account_owner' } });
    await addRule({
      name: 'Territories',
      action: {
        type: 'territory',
        territories: [
          { name: 'Enterprise', match: { accountSizes: ['1000+'] }, reps: [cho.id] },
          { name: 'DACH', match: { countries: ['DE', 'AT', 'CH'] }, reps: [ana.id] },
          { name: 'Americas', match: { regions: ['NA', 'LATAM'] }, reps: [ben.id] },
          { name: 'Execs', match: { segmentId: seg }, reps: [cho.id] },
        ],
      },
    });
    const owned = json<{ id: string }>(
      await call('POST', '/api/v1/accounts', { name: 'Owned', domain: 'owned.example', ownerId: ben.id, size: '1000+' }),
    ).id;
    const big = json<{ id: string }>(await call('POST', '/api/v1/accounts', { name: 'Big', domain: 'big.example', size: '1000+' })).id;
    const r1 = await routed(await lead({ country: 'DE', accountId: owned }));
    expect(r1.assignment.ownerId).toBe(ben.id);
    expect(r1.reason).toMatch(/owner of the contact's account/);
    const r2 = await routed(await lead({ country: 'DE', accountId: big }));
    expect(r2).toMatchObject({ assignment: { ownerId: cho.id }, reason: expect.stringMatching(/territory Enterprise/) });
    expect(r2.skipped).toEqual([expect.objectContaining({ rule: 'Account owner', reason: 'the account has no owner' })]);
    expect((await routed(await lead({ country: 'AT' }))).assignment.ownerId).toBe(ana.id);
    expect((await routed(await lead({ country: 'BR' }))).assignment.ownerId).toBe(ben.id);
    expect((await routed(await lead({ country: 'JP', title: 'VP Marketing' }))).assignment.ownerId).toBe(cho.id);
    const none = await routed(await lead({ country: 'JP' }));
    expect(none.assignment.queue).toBe('unassigned');
    expect(none.skipped).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'Territories', reason: 'no territory matches the lead' })]),
    );
    // A disabled account owner is passed over.
    await call('PATCH', `/api/v1/users/${ben.id}`, { disabled: true });
    const r3 = await routed(await lead({ country: 'AT', accountId: owned }));
    expect(r3.assignment.ownerId).toBe(cho.id);
    expect(r3.skipped).toEqual([expect.objectContaining({ rule: 'Account owner', repId: ben.id, reason: 'account owner: user disabled' })]);
    await call('PATCH', `/api/v1/users/${ben.id}`, { disabled: false });
    await drainRoutingQueue(t.db.handle.db, clock);
    await clearRules();
    await releaseAll();
  });

  it("returns a disabled rep's leads to routing, and routes new MQLs from the stage change", async () => {
    await setReps([rep(ana), rep(ben)]);
    await addRule({ name: 'RR', action: { type: 'round_robin', reps: [ana.id, ben.id] } });
    const leads: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await lead();
      expect((await call('POST', `/api/v1/contacts/${c}/lifecycle`, { stage: 'mql', reason: 'demo' })).statusCode).toBe(200);
      leads.push(c);
    }
    await drainRoutingQueue(t.db.handle.db, clock);
    const owners = async () =>
      (await t.db.handle.db.selectFrom('contacts').select(['id', 'owner_id']).where('id', 'in', leads).execute()).map((c) => c.owner_id);
    expect((await owners()).filter((o) => o === ben.id).length).toBe(2);
    const log = json<{ data: Array<{ reason: string }> }>(await call('GET', `/api/v1/routing/log?contactId=${leads[0]}`));
    expect(log.data[0]?.reason).toMatch(/stage: mql/);
    expect((await call('PATCH', `/api/v1/users/${ben.id}`, { disabled: true })).statusCode).toBe(200);
    await drainRoutingQueue(t.db.handle.db, clock);
    expect(await owners()).toEqual([ana.id, ana.id, ana.id, ana.id]);
    const benLeads = await sql<{
      n: number;
    }>`select count(*)::int as n from lead_assignments where owner_id = ${ben.id} and status in ('open', 'accepted')`.execute(
      t.db.handle.db,
    );
    expect(benLeads.rows[0]?.n).toBe(0);
    const moved = leads[1] ?? '';
    const history = json<{
      data: Array<{ assignedTo: string | null; reason: string; skipped: Array<{ repId?: string; reason: string }> }>;
    }>(await call('GET', `/api/v1/routing/log?contactId=${moved}`)).data;
    const [latest, released] = history;
    expect(released?.reason).toMatch(/rep disabled/);
    expect(latest?.assignedTo).toBe(ana.id);
    expect(latest?.skipped).toEqual(expect.arrayContaining([expect.objectContaining({ repId: ben.id, reason: 'user disabled' })]));
    await call('PATCH', `/api/v1/users/${ben.id}`, { disabled: false });
    // Nobody left: the leads of the last rep go to the fallback queue, logged.
    await call('PATCH', `/api/v1/users/${ana.id}`, { disabled: true });
    await call('PUT', '/api/v1/routing/reps', { reps: [rep(ana)] });
    await drainRoutingQueue(t.db.handle.db, clock);
    const q = await sql<{
      queue: string | null;
    }>`select queue from lead_assignments where contact_id = any(${leads}::uuid[]) and status = 'open'`.execute(t.db.handle.db);
    expect(q.rows.map((r) => r.queue)).toEqual(['unassigned', 'unassigned', 'unassigned', 'unassigned']);
    await call('PATCH', `/api/v1/users/${ana.id}`, { disabled: false });
    await clearRules();
    await releaseAll();
  });

  it('lets the rep accept or reject with a listed reason; a rejected lead goes to someone else', async () => {
    await setReps([rep(ana), rep(ben)]);
    await addRule({ name: 'RR', action: { type: 'round_robin', reps: [ana.id, ben.id] } });
    const c = await lead();
    const first = (await routed(c)).assignment.ownerId;
    const [mine, other] = first === ana.id ? [ana, ben] : [ben, ana];
    const sMine = await login(t, mine.email);
    const sOther = await login(t, other.email);
    const queue = json<{ data: Array<{ contact: { id: string } }> }>(
      await t.app.inject({ url: '/api/v1/routing/queue', headers: sMine.headers }),
    );
    expect(queue.data.map((d) => d.contact.id)).toContain(c);
    const decide = (s: typeof sMine, action: string, payload: object) =>
      t.app.inject({ method: 'POST', url: `/api/v1/routing/leads/${c}/${action}`, headers: s.headers, payload });
    expect((await decide(sOther, 'accept', {})).statusCode).toBe(403);
    const badReason = await decide(sMine, 'reject', { reason: 'Meh' });
    expect(badReason.statusCode).toBe(400);
    expect(json<{ detail: string }>(badReason).detail).toMatch(/Not a fit/);
    const rejected = await decide(sMine, 'reject', { reason: 'Not a fit' });
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(json<Result>(rejected).assignment.ownerId).toBe(other.id);
    const accepted = await decide(sOther, 'accept', {});
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(json<{ assignment: { status: string; acceptedAt: string } }>(accepted).assignment).toMatchObject({
      status: 'accepted',
      acceptedAt: clock.now().toISOString(),
    });
    expect((await decide(sOther, 'accept', {})).statusCode).toBe(409);
    const rows = await sql<{ owner_id: string; status: string; reject_reason: string | null }>`
      select owner_id, status, reject_reason from lead_assignments where contact_id = ${c} order by assigned_at, status desc`.execute(
      t.db.handle.db,
    );
    expect(rows.rows).toEqual([
      { owner_id: mine.id, status: 'rejected', reject_reason: 'Not a fit' },
      { owner_id: other.id, status: 'accepted', reject_reason: null },
    ]);
    const settings = await call('PUT', '/api/v1/routing/settings', { fallbackQueue: 'sdr-pool', rejectReasons: ['Wrong person'] });
    expect(settings.statusCode).toBe(200);
    await clearRules();
    await releaseAll();
  });

  it('runs stage rules and routing from the queues end to end', async () => {
    await setReps([rep(ana)]);
    await addRule({ name: 'RR', action: { type: 'round_robin', reps: [ana.id] } });
    const put = await call('PUT', '/api/v1/lifecycle/rules', {
      rules: [{ name: 'German', toStage: 'mql', trigger: { kind: 'condition', condition: { field: 'country', op: 'eq', value: 'DE' } } }],
    });
    expect(put.statusCode, put.body).toBe(200);
    const c = await lead({ country: 'DE' });
    await drainLifecycleQueue(t.db.handle.db, clock);
    await drainRoutingQueue(t.db.handle.db, clock);
    const got = json<{ lifecycleStage: string; ownerId: string }>(await call('GET', `/api/v1/contacts/${c}`));
    expect(got).toMatchObject({ lifecycleStage: 'mql', ownerId: ana.id });
  });

  it('passes over a rule whose condition uses a deleted field, and says so in the log', async () => {
    await clearRules();
    await releaseAll();
    await setReps([rep(ana)]);
    const field = json<{ id: string; key: string }>(
      await call('POST', '/api/v1/custom-fields', { object: 'contact', label: 'Tier', type: 'text' }),
    );
    await addRule({
      name: 'Tier one',
      condition: { field: field.key, op: 'eq', value: 'one' },
      action: { type: 'queue', queue: 'tier-one' },
    });
    const c = await lead({ custom: { [field.key]: 'one' } });
    expect((await call('DELETE', `/api/v1/custom-fields/${field.id}`)).statusCode).toBeLessThan(300);
    const r = await routed(c);
    expect(r.assignment.queue).toBe('sdr-pool');
    expect(r.skipped).toEqual([
      expect.objectContaining({ rule: 'Tier one', reason: expect.stringMatching(/^condition no longer valid: Unknown contact field/) }),
    ]);
  });

  it("shows the queue's scores in a published scoring model only, and refuses a model id that is not one", async () => {
    await releaseAll();
    const db = t.db.handle.db;
    const c = await lead();
    await sql`insert into lead_assignments (id, workspace_id, contact_id, owner_id, status, assigned_at)
      values (${newId()}, ${w.id}, ${c}, ${ana.id}, 'open', ${clock.now()})`.execute(db);
    // The oldest model is a draft (its scores are nobody's agreed scores); the published one is newer.
    const model = async (name: string, published: number | null, createdAt: string, score: number) => {
      const id = newId();
      await sql`insert into scoring_models (id, workspace_id, name, draft, published_version, created_at, updated_at)
        values (${id}, ${w.id}, ${name}, '{}'::jsonb, ${published}, ${new Date(createdAt)}, now())`.execute(db);
      await sql`insert into contact_scores (workspace_id, model_id, contact_id, score, band, explanation, computed_at)
        values (${w.id}, ${id}, ${c}, ${score}, ${name === 'Draft' ? 'D' : 'A'}, '[]'::jsonb, now())`.execute(db);
      return id;
    };
    const draft = await model('Draft', null, '2026-01-01T00:00:00Z', 10);
    const fit = await model('Fit', 1, '2026-02-01T00:00:00Z', 90);
    type Queue = { data: Array<{ contact: { id: string }; score: { model: string; score: number; band: string } | null }> };
    const queue = (q = '') => call('GET', `/api/v1/routing/queue?ownerId=${ana.id}${q}`);
    const byDefault = await queue();
    expect(byDefault.statusCode, byDefault.body).toBe(200);
    expect(json<Queue>(byDefault).data.find((d) => d.contact.id === c)?.score).toEqual({ model: 'Fit', score: 90, band: 'A' });
    const chosen = await queue(`&modelId=${fit}`);
    expect(chosen.statusCode, chosen.body).toBe(200);
    expect(json<Queue>(chosen).data.find((d) => d.contact.id === c)?.score).toEqual({ model: 'Fit', score: 90, band: 'A' });
    const unpublished = await queue(`&modelId=${draft}`);
    expect(unpublished.statusCode, unpublished.body).toBe(400);
    expect(unpublished.headers['content-type']).toContain('application/problem+json');
    expect(json(unpublished)).toMatchObject({ errors: [{ path: 'modelId' }] });
    const unknown = await queue(`&modelId=${c}`);
    expect(unknown.statusCode, unknown.body).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    await releaseAll();
  });
});
