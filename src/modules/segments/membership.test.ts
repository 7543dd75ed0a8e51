import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.js';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { drainQueue, processQueueBatch, rebuildBuilding, rebuildSegment, refreshTimedSegments } from './segments.membership.js';
import { registerSegmentCondition } from './segments.registry.js';
import { listSegments } from './segments.service.js';

// Two later-module conditions that move with time ("joined in the last N days"): one names its
// edge contacts, one cannot.
const since = (at: Date, days: number) => new Date(at.getTime() - days * 86_400_000);
for (const [key, named] of [
  ['joinedWithin', true],
  ['joinedWithinOpaque', false],
] as const) {
  registerSegmentCondition<Record<string, { days: number }>>({
    key,
    schema: z.object({ [key]: z.object({ days: z.number().int().min(1) }).strict() }).strict() as z.ZodType<
      Record<string, { days: number }>
    >,
    causes: ['contact'],
    timeDependent: () => true,
    compile: (node, ctx) => sql`r.created_at >= ${since(ctx.now, node[key]?.days ?? 0)}`,
    ...(named && {
      edges: (node, ctx) => sql`select r.id as contact_id from contacts r where r.workspace_id = ${ctx.workspaceId}
        and r.created_at >= ${since(ctx.from, node[key]?.days ?? 0)} and r.created_at <= ${since(ctx.to, node[key]?.days ?? 0)}`,
    }),
  });
}

// A condition slow enough (a computation per contact) for a rebuild to be caught mid-way.
registerSegmentCondition({
  key: 'slowTrue',
  schema: z.object({ slowTrue: z.literal(true) }).strict(),
  causes: ['contact'],
  // Correlated with the contact, so it runs per contact rather than once for the statement.
  compile: () => sql`(select count(*) > 0 from generate_series(1, 1000000) g(i) where r.id is not null)`,
});

/** A clock the test can move forward: time windows expire without any write. */
let offset = 0;
/** Set to hold the clock still. */
let frozen: number | null = null;
const clock: Clock = { now: () => new Date((frozen ?? Date.now()) + offset) };
const DAY = 86_400_000;

let t: TestApp;
let ws: string;
let key: string;
let basic: string;
const contacts: string[] = [];
let big: string;
let small: string;
let listId: string;

const call = async <T = Record<string, unknown>>(method: string, url: string, payload?: unknown, status?: number) => {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: bearer(key),
    ...(payload !== undefined && { payload: payload as object }),
  });
  if (status !== undefined) expect(res.statusCode, `${method} ${url} -> ${res.body}`).toBe(status);
  const isJson = String(res.headers['content-type'] ?? '').includes('json');
  return { status: res.statusCode, body: isJson ? json<T>(res) : ({} as T), text: res.body };
};
const track = async (batch: object[]) => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/batch',
    headers: { authorization: basic, 'content-type': 'application/json' },
    payload: { batch },
  });
  expect(res.statusCode, res.body).toBe(200);
};
let seq = 0;
const demo = (i: number, plan: string, ts?: Date) => ({
  type: 'track',
  messageId: `m-${++seq}-${i}`,
  userId: `u${i}`,
  event: 'Demo Requested',
  properties: { plan },
  ...(ts && { timestamp: ts.toISOString() }),
});

/** A page view of `what` when it is a path, else a track event of that name. */
const activity = (i: number, what: string) =>
  what.startsWith('/')
    ? { type: 'page', messageId: `p-${++seq}-${i}`, userId: `u${i}`, properties: { url: `https://keel.example${what}` } }
    : { type: 'track', messageId: `t-${++seq}-${i}`, userId: `u${i}`, event: what };

const db = () => t.db.handle.db;
const settle = async () => {
  await rebuildBuilding(db(), clock);
  expect(await drainQueue(db(), clock, { batch: 500, maxBatches: 100 })).toBe(false);
};
const members = async (segmentId: string) =>
  (await db().selectFrom('segment_members').select('contact_id').where('segment_id', '=', segmentId).execute())
    .map((r) => r.contact_id)
    .sort();
const makeSegment = async (name: string, definition: unknown) =>
  (await call<{ id: string }>('POST', '/api/v1/segments', { name, definition }, 201)).body.id;

beforeAll(async () => {
  t = await createTestApp({ clock });
  const w = await makeWorkspace(t);
  ws = w.id;
  key = await makeApiKey(t, w, 'admin');
  await call('POST', '/api/v1/custom-fields', { object: 'contact', label: 'Seats', type: 'number' }, 201);
  await call('POST', '/api/v1/custom-fields', { object: 'account', label: 'Employees', type: 'number' }, 201);
  big = (await call<{ id: string }>('POST', '/api/v1/accounts', { name: 'Big', domain: 'big.example', custom: { employees: 5000 } }, 201))
    .body.id;
  small = (
    await call<{ id: string }>('POST', '/api/v1/accounts', { name: 'Small', domain: 'small.example', custom: { employees: 12 } }, 201)
  ).body.id;
  for (let i = 0; i < 8; i++) {
    const c = await call<{ id: string }>(
      'POST',
      '/api/v1/contacts',
      { email: `m${i}@example.com`, country: i % 2 ? 'DE' : 'FR', accountId: i < 3 ? big : small, custom: { seats: i } },
      201,
    );
    contacts.push(c.body.id);
  }
  const writeKey = (await call<{ writeKey: string }>('POST', '/api/v1/sources', { name: 'Site' }, 201)).body.writeKey;
  basic = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  await track(
    contacts.map((_, i) => ({ type: 'identify', messageId: `id-${i}`, userId: `u${i}`, traits: { email: `m${i}@example.com` } })),
  );
  listId = (await call<{ id: string }>('POST', '/api/v1/lists', { name: 'VIP' }, 201)).body.id;
});
afterAll(async () => t?.close());

describe('segment membership', () => {
  it('queues nothing for workspaces without segments', async () => {
    const n = await db()
      .selectFrom('segment_queue')
      .select(db().fn.countAll<string>().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
  });

  it('keeps members current on contact, account, event and list changes, logging every entry and exit with its reason', async () => {
    const de = await makeSegment('Germany', { field: 'country', op: 'eq', value: 'DE' });
    expect((await call<{ state: string }>('GET', `/api/v1/segments/${de}`)).body.state).toBe('building');
    await settle();
    const deIds = contacts.filter((_, i) => i % 2 === 1).sort();
    expect(await members(de)).toEqual(deIds);
    const seg = (await call<{ count: number; memberCount: number; state: string; refreshedAt: string }>('GET', `/api/v1/segments/${de}`))
      .body;
    expect(seg).toMatchObject({ count: 4, memberCount: 4, state: 'ready' });

    // A contact change: only that contact is looked at again.
    await call('PATCH', `/api/v1/contacts/${contacts[1]}`, { country: 'AT' }, 200);
    await settle();
    expect(await members(de)).toEqual(deIds.filter((id) => id !== contacts[1]));
    const hist = (
      await call<{ data: { contactId: string; change: string; reason: string }[] }>('GET', `/api/v1/segments/${de}/history?limit=10`)
    ).body.data;
    expect(hist[0]).toMatchObject({ contactId: contacts[1], change: 'exited', reason: 'contact changed' });
    expect(hist.filter((h) => h.change === 'entered' && h.reason === 'segment created')).toHaveLength(4);

    // An account change reaches the account's contacts.
    const enterprise = await makeSegment('Enterprise', { account: { field: 'employees', op: 'gte', value: 1000 } });
    await settle();
    expect(await members(enterprise)).toEqual(contacts.slice(0, 3).sort());
    await call('PATCH', `/api/v1/accounts/${small}`, { custom: { employees: 2000 } }, 200);
    await settle();
    expect(await members(enterprise)).toEqual([...contacts].sort());
    const accHist = (await call<{ data: { reason: string }[] }>('GET', `/api/v1/segments/${enterprise}/history?limit=1`)).body.data;
    expect(accHist[0]?.reason).toBe('account changed');

    // An event puts its contact in.
    const demos = await makeSegment('Demo twice', {
      event: 'Demo Requested',
      count: { gte: 2 },
      where: [{ property: 'plan', op: 'eq', value: 'pro' }],
    });
    await settle();
    expect(await members(demos)).toEqual([]);
    await track([demo(4, 'pro'), demo(4, 'free')]);
    await settle();
    expect(await members(demos)).toEqual([]);
    await track([demo(4, 'pro')]);
    await settle();
    expect(await members(demos)).toEqual([contacts[4]]);
    expect((await call<{ data: { reason: string }[] }>('GET', `/api/v1/segments/${demos}/history`)).body.data[0]?.reason).toBe('activity');

    // Lists: added by id and by email, in a segment, removed again.
    const vip = await makeSegment('VIP list', { list: listId });
    const add = await call<{ added: number; errors: unknown[]; memberCount: number }>(
      'POST',
      `/api/v1/lists/${listId}/members/add`,
      { contactIds: [contacts[0]], emails: ['M2@Example.com', 'nobody@example.com', 'not an email'] },
      200,
    );
    expect(add.body).toMatchObject({ added: 2, memberCount: 2 });
    expect(add.body.errors).toEqual([
      { value: 'not an email', reason: 'Not an email address' },
      { value: 'nobody@example.com', reason: 'No contact with this email' },
    ]);
    await settle();
    expect(await members(vip)).toEqual([contacts[0], contacts[2]].sort());
    await call('POST', `/api/v1/lists/${listId}/members/remove`, { contactIds: [contacts[2]] }, 200);
    await settle();
    expect(await members(vip)).toEqual([contacts[0]]);

    // A deleted contact leaves every segment; restored, it comes back.
    await call('DELETE', `/api/v1/contacts/${contacts[3]}`, undefined, 200);
    await settle();
    expect(await members(de)).not.toContain(contacts[3]);
    expect(await members(enterprise)).not.toContain(contacts[3]);
    await call('POST', `/api/v1/contacts/${contacts[3]}/restore`, undefined, 200);
    await settle();
    expect(await members(de)).toContain(contacts[3]);

    // Reads over the log: a contact's segments, the feed in order, sizes per day, CSV export.
    const mine = (await call<{ segments: { id: string }[]; lists: { id: string }[] }>('GET', `/api/v1/contacts/${contacts[0]}/segments`))
      .body;
    expect(mine.segments.map((s) => s.id).sort()).toEqual([enterprise, vip].sort());
    expect(mine.lists.map((l) => l.id)).toEqual([listId]);
    const feed = (await call<{ data: { id: string }[]; last: string }>('GET', '/api/v1/segment-changes?limit=1000')).body;
    const ids = feed.data.map((d) => BigInt(d.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
    expect((await call<{ data: unknown[] }>('GET', `/api/v1/segment-changes?after=${feed.last}`)).body.data).toEqual([]);
    const sizes = (await call<{ data: { day: string; size: number }[] }>('GET', `/api/v1/segments/${de}/sizes?days=7`)).body.data;
    expect(sizes).toHaveLength(7);
    expect(sizes[6]).toEqual({ day: clock.now().toISOString().slice(0, 10), size: (await members(de)).length });
    const csv = await call('GET', `/api/v1/segments/${de}/export`);
    expect(csv.status).toBe(200);
    expect(csv.text.split('\r\n')[0]).toBe('id,email,firstName,lastName,company,country,enteredAt');
    expect(csv.text).toContain('m3@example.com');

    // Lists of segments in large workspaces show the stored membership instead of counting each live.
    const stored = await listSegments({ db: db(), clock }, ws, { limit: 50 }, { live: false });
    const germany = stored.data.find((s) => s.id === de);
    expect(germany).toMatchObject({ countSource: 'stored', count: (await members(de)).length, memberCount: (await members(de)).length });
    expect((await call<{ data: Array<{ countSource: string }> }>('GET', '/api/v1/segments')).body.data[0]?.countSource).toBe('live');

    // A snapshot of a segment into the list.
    const snap = await call<{ added: number }>('POST', `/api/v1/lists/${listId}/members/add`, { segmentId: de }, 200);
    expect(snap.body.added).toBe((await members(de)).length);
    const onList = (await call<{ data: { id: string }[] }>('GET', `/api/v1/lists/${listId}/members?limit=200`)).body.data.map((c) => c.id);
    expect(onList).toEqual(expect.arrayContaining(await members(de)));
  });

  it('lets time windows expire members on schedule, and "did not" windows let them in', async () => {
    const recent = await makeSegment('Demo in last 30 days', { event: 'Demo Requested', within: { days: 30 } });
    const quiet = await makeSegment('No demo in 14 days', {
      all: [
        { field: 'email', op: 'contains', value: 'm5@' },
        { event: 'Demo Requested', count: { eq: 0 }, within: { days: 14 } },
      ],
    });
    await track([demo(5, 'pro', new Date(clock.now().getTime() - 13 * DAY))]);
    await settle();
    expect(await members(recent)).toContain(contacts[5]);
    expect(await members(quiet)).toEqual([]);
    offset += 2 * DAY;
    const r = await refreshTimedSegments(db(), clock);
    // Both were checked by their window edges only: contact 5's demo crossed the 14-day edge.
    expect(r.checked).toBeGreaterThanOrEqual(2);
    expect(r.rebuilt).toBe(0);
    expect(r.evaluated).toBeGreaterThanOrEqual(1);
    expect(await members(quiet)).toEqual([contacts[5]]);
    expect(
      (await call<{ data: { reason: string; change: string }[] }>('GET', `/api/v1/segments/${quiet}/history`)).body.data[0],
    ).toMatchObject({
      change: 'entered',
      reason: 'time window',
    });
    offset += 20 * DAY;
    await refreshTimedSegments(db(), clock);
    expect(await members(recent)).not.toContain(contacts[5]);
    offset = 0;
    await refreshTimedSegments(db(), clock);
  });

  it('after any random workload, the incremental state equals a full rebuild (property)', async () => {
    const segs = [
      await makeSegment('p-country', { field: 'country', op: 'in', value: ['DE', 'AT'] }),
      await makeSegment('p-seats', {
        any: [
          { field: 'seats', op: 'gte', value: 5 },
          { field: 'seats', op: 'is_empty' },
        ],
      }),
      await makeSegment('p-account', { account: { field: 'employees', op: 'lt', value: 3000 } }),
      await makeSegment('p-events', { event: 'Demo Requested', count: { gte: 2 }, where: [{ property: 'plan', op: 'eq', value: 'pro' }] }),
      await makeSegment('p-list', { not: { list: listId } }),
    ];
    segs.push(await makeSegment('p-nested', { all: [{ segment: segs[0] }, { any: [{ segment: segs[3] }, { list: listId }] }] }));
    segs.push(await makeSegment('p-pricing', { page: { url: '*/pricing*' }, count: { gte: 2 } }));
    await settle();
    const contact = fc.integer({ min: 0, max: contacts.length - 1 });
    const op = fc.oneof(
      fc.record({ k: fc.constant('country' as const), i: contact, v: fc.constantFrom('DE', 'AT', 'FR', null) }),
      fc.record({ k: fc.constant('seats' as const), i: contact, v: fc.option(fc.integer({ min: 0, max: 9 })) }),
      fc.record({ k: fc.constant('delete' as const), i: contact, v: fc.boolean() }),
      fc.record({ k: fc.constant('employees' as const), i: fc.integer({ min: 0, max: 1 }), v: fc.integer({ min: 0, max: 6000 }) }),
      fc.record({ k: fc.constant('account' as const), i: contact, v: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ k: fc.constant('list' as const), i: contact, v: fc.boolean() }),
      fc.record({ k: fc.constant('track' as const), i: contact, v: fc.constantFrom('pro', 'free') }),
      // Activity no segment of the set reads, and page views one reads: the worker skips a segment
      // only for kinds of activity it does not read.
      fc.record({ k: fc.constant('other' as const), i: contact, v: fc.constantFrom('Feature Used', '/pricing', '/docs') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        for (const o of ops) {
          const id = contacts[o.i] ?? '';
          // A deleted contact refuses changes (409): part of the workload like any other answer.
          if (o.k === 'country') await call('PATCH', `/api/v1/contacts/${id}`, { country: o.v });
          else if (o.k === 'seats') await call('PATCH', `/api/v1/contacts/${id}`, { custom: { seats: o.v } });
          else if (o.k === 'delete') await call(o.v ? 'DELETE' : 'POST', `/api/v1/contacts/${id}${o.v ? '' : '/restore'}`);
          else if (o.k === 'employees') await call('PATCH', `/api/v1/accounts/${o.i ? small : big}`, { custom: { employees: o.v } }, 200);
          else if (o.k === 'account') await call('PATCH', `/api/v1/contacts/${id}`, { accountId: [big, small, null][o.v] });
          else if (o.k === 'list')
            await call('POST', `/api/v1/lists/${listId}/members/${o.v ? 'add' : 'remove'}`, { contactIds: [id] }, 200);
          else if (o.k === 'other') await track([activity(o.i, o.v)]);
          else await track([demo(o.i, o.v)]);
        }
        await settle();
        for (const s of segs) {
          const before = await members(s);
          // A full rebuild finds nothing to change, and the stored count matches.
          expect(await rebuildSegment(db(), clock, ws, s, 'check')).toEqual({ entered: 0, exited: 0 });
          expect(await members(s)).toEqual(before);
          const row = await db().selectFrom('segments').select('member_count').where('id', '=', s).executeTakeFirstOrThrow();
          expect(row.member_count).toBe(before.length);
        }
      }),
      { numRuns: 25 },
    );
    const queued = await sql<{ n: string }>`select count(*)::text as n from segment_queue`.execute(db());
    expect(Number(queued.rows[0]?.n)).toBe(0);
  });

  it('re-evaluates a contact after new activity only for the segments that read that kind of activity', async () => {
    // A contact of its own: the property test above leaves others deleted or with page views.
    const fresh = (await call<{ id: string }>('POST', '/api/v1/contacts', { email: 'm99@example.com' }, 201)).body.id;
    await track([{ type: 'identify', messageId: 'id-99', userId: 'u99', traits: { email: 'm99@example.com' } }]);
    await makeSegment('k-demo', { event: 'Demo Requested' });
    const pricing = await makeSegment('k-pricing', { page: { url: '*/pricing*' } });
    await settle();
    expect(await members(pricing)).not.toContain(fresh);
    const pass = () => processQueueBatch(db(), clock, 500);
    await track([activity(99, 'Feature Used')]);
    const kinds = await sql<{ kinds: string[] | null }>`select kinds from segment_queue where workspace_id = ${ws}`.execute(db());
    expect(kinds.rows.map((r) => r.kinds)).toEqual([['track:Feature Used']]);
    expect(await pass()).toMatchObject({ taken: 1, contacts: 1, evaluated: 0 });
    await track([activity(99, '/pricing'), activity(99, 'Feature Used')]);
    // The page view moves k-pricing (and the page segments of the test above), not k-demo.
    const seen = await pass();
    expect(seen).toMatchObject({ taken: 1, contacts: 1 });
    expect(seen.evaluated).toBe(2); // k-pricing and p-pricing
    expect(await members(pricing)).toContain(fresh);
    // A contact change still re-evaluates every segment.
    await call('PATCH', `/api/v1/contacts/${fresh}`, { city: 'Lyon' }, 200);
    const all = await sql<{
      n: string;
    }>`select count(*)::text as n from segments where workspace_id = ${ws} and deleted_at is null`.execute(db());
    expect((await pass()).evaluated).toBe(Number(all.rows[0]?.n));
  });

  it('applies passing time by re-checking only contacts at a window edge, with the same result as a full rebuild (property)', async () => {
    const field = async (object: string, label: string, type: string) =>
      (await call<{ key: string }>('POST', '/api/v1/custom-fields', { object, label, type }, 201)).body.key;
    const renewal = await field('contact', 'Renewal', 'date');
    const called = await field('contact', 'Last call', 'datetime');
    const signed = await field('account', 'Signed', 'date');
    const segs = [
      await makeSegment('w-demo-3d', { event: 'Demo Requested', within: { days: 3 } }),
      await makeSegment('w-no-demo-5d', {
        all: [
          { field: 'email', op: 'contains', value: '@' },
          { event: 'Demo Requested', count: { eq: 0 }, within: { days: 5 } },
        ],
      }),
      await makeSegment('w-not-pricing-2d', { not: { page: { url: '*/pricing*' }, within: { days: 2 } } }),
      await makeSegment('w-last-demo-4d', {
        event: 'Demo Requested',
        last: { within_last: { days: 4 } },
        where: [{ property: 'plan', op: 'eq', value: 'pro' }],
      }),
      await makeSegment('w-first-signup-6d', { event: 'Signed Up', first: { within_last: { days: 6 } } }),
      await makeSegment('w-campaign-2d', { touchpoint: { field: 'campaign', op: 'eq', value: 'spring' }, within: { days: 2 } }),
      await makeSegment('w-renewal-3d', { field: renewal, op: 'within_last', value: { days: 3 } }),
      await makeSegment('w-called-1d', {
        any: [
          { field: called, op: 'within_last', value: { days: 1 } },
          { field: 'country', op: 'eq', value: 'AT' },
        ],
      }),
      await makeSegment('w-signed-2d', { account: { field: signed, op: 'within_last', value: { days: 2 } } }),
    ];
    segs.push(await makeSegment('w-nested', { all: [{ segment: segs[0] }, { not: { segment: segs[6] } }] }));
    await settle();
    await refreshTimedSegments(db(), clock);
    const HOUR = 3_600_000;
    const ago = (hours: number) => new Date(clock.now().getTime() - hours * HOUR);
    const contact = fc.integer({ min: 0, max: contacts.length - 1 });
    // Times up to 8 days back and (for date fields) 2 days ahead, so edges at both ends are crossed.
    const hours = fc.integer({ min: -48, max: 8 * 24 });
    const op = fc.oneof(
      fc.record({ k: fc.constant('demo' as const), i: contact, h: hours.map((h) => Math.max(h, 0)), v: fc.constantFrom('pro', 'free') }),
      fc.record({ k: fc.constant('signup' as const), i: contact, h: hours.map((h) => Math.max(h, 0)), v: fc.constant('') }),
      fc.record({
        k: fc.constant('pricing' as const),
        i: contact,
        h: hours.map((h) => Math.max(h, 0)),
        v: fc.constantFrom('spring', 'fall'),
      }),
      fc.record({ k: fc.constant('renewal' as const), i: contact, h: hours, v: fc.constant('') }),
      fc.record({ k: fc.constant('called' as const), i: contact, h: hours, v: fc.constant('') }),
      fc.record({ k: fc.constant('signed' as const), i: fc.integer({ min: 0, max: 1 }), h: hours, v: fc.constant('') }),
      // Time passes: minutes to three days.
      fc.record({ k: fc.constant('wait' as const), i: fc.constant(0), h: fc.integer({ min: 1, max: 72 * 60 }), v: fc.constant('') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 10 }), async (ops) => {
        for (const o of ops) {
          const id = contacts[o.i] ?? '';
          const at = ago(o.h);
          if (o.k === 'wait') offset += o.h * 60_000;
          else if (o.k === 'demo') await track([{ ...demo(o.i, o.v), timestamp: at.toISOString() }]);
          else if (o.k === 'signup')
            await track([{ type: 'track', messageId: `s-${++seq}`, userId: `u${o.i}`, event: 'Signed Up', timestamp: at.toISOString() }]);
          else if (o.k === 'pricing')
            await track([
              {
                type: 'page',
                messageId: `pc-${++seq}`,
                userId: `u${o.i}`,
                timestamp: at.toISOString(),
                properties: { url: 'https://keel.example/pricing' },
                context: { page: { url: `https://keel.example/pricing?utm_source=news&utm_medium=email&utm_campaign=${o.v}` } },
              },
            ]);
          else if (o.k === 'renewal')
            await call('PATCH', `/api/v1/contacts/${id}`, { custom: { [renewal]: at.toISOString().slice(0, 10) } });
          else if (o.k === 'called') await call('PATCH', `/api/v1/contacts/${id}`, { custom: { [called]: at.toISOString() } });
          else await call('PATCH', `/api/v1/accounts/${o.i ? small : big}`, { custom: { [signed]: at.toISOString().slice(0, 10) } }, 200);
        }
        await settle();
        frozen = Date.now();
        try {
          const pass = await refreshTimedSegments(db(), clock);
          // Only window edges were re-checked: no segment was evaluated whole.
          expect(pass.rebuilt).toBe(0);
          expect(pass.checked).toBeGreaterThanOrEqual(segs.length);
          for (const s of segs) {
            const before = await members(s);
            expect(await rebuildSegment(db(), clock, ws, s, 'check'), `segment ${s}`).toEqual({ entered: 0, exited: 0 });
            expect(await members(s)).toEqual(before);
          }
          // With the clock held still, the next pass finds no contact at an edge.
          expect((await refreshTimedSegments(db(), clock)).evaluated).toBe(0);
        } finally {
          frozen = null;
        }
      }),
      { numRuns: 25 },
    );
    // A registered condition that moves with time: checked by its own edges, or whole without them.
    offset = 0;
    const named = await makeSegment('w-ext', { joinedWithin: { days: 2 } });
    const opaque = await makeSegment('w-ext-opaque', { joinedWithinOpaque: { days: 2 } });
    await settle();
    const live = await db().selectFrom('contacts').select('id').where('workspace_id', '=', ws).where('deleted_at', 'is', null).execute();
    expect(live.length).toBeGreaterThan(0);
    expect(await members(named)).toEqual(live.map((c) => c.id).sort());
    await refreshTimedSegments(db(), clock);
    offset += 3 * DAY;
    const later = await refreshTimedSegments(db(), clock);
    expect(later.rebuilt).toBe(1); // the opaque one
    expect(later.evaluated).toBeGreaterThanOrEqual(live.length); // each crossed the named one's edge
    expect(await members(named)).toEqual([]);
    expect(await members(opaque)).toEqual([]);
    const tps = await sql<{
      n: number;
    }>`select count(*)::int as n from touchpoints where workspace_id = ${ws} and campaign = 'spring'`.execute(db());
    expect(tps.rows[0]?.n).toBeGreaterThan(0);
    offset = 0;
  });
});

describe('segment rebuilds and definition changes', () => {
  it('rebuilds again when the definition is saved while a rebuild runs, instead of marking it ready with the old one', async () => {
    const s = await makeSegment('r-slow', { slowTrue: true });
    await settle();
    await call('POST', `/api/v1/segments/${s}/rebuild`, {}, 202);
    const running = rebuildSegment(db(), clock, ws, s, 'rebuild');
    await new Promise((r) => setTimeout(r, 150));
    // On PostgreSQL the save commits while the rebuild evaluates; on PGlite (one connection) after it.
    await call(
      'PATCH',
      `/api/v1/segments/${s}`,
      { definition: { all: [{ slowTrue: true }, { field: 'country', op: 'eq', value: 'FR' }] } },
      200,
    );
    await running;
    const row = await db().selectFrom('segments').select(['state', 'build_seq']).where('id', '=', s).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'building', build_seq: 1 });
    await settle();
    const fr = await db()
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('country', '=', 'FR')
      .where('deleted_at', 'is', null)
      .execute();
    expect(await members(s)).toEqual(fr.map((c) => c.id).sort());
    await call('DELETE', `/api/v1/segments/${s}`, undefined, 204);
  });
});

describe('segment membership worker', () => {
  it('runs in the job worker: a new segment is built and a change reaches it without anyone draining by hand', async () => {
    const w = await createTestApp();
    try {
      const space = await makeWorkspace(w);
      const k = await makeApiKey(w, space, 'admin');
      const req = async (method: string, url: string, payload?: object) =>
        w.app.inject({ method: method as 'GET', url, headers: bearer(k), ...(payload && { payload }) });
      const c = json<{ id: string }>(await req('POST', '/api/v1/contacts', { email: 'loop@example.com', country: 'FR' }));
      const s = json<{ id: string }>(
        await req('POST', '/api/v1/segments', { name: 'France', definition: { field: 'country', op: 'eq', value: 'FR' } }),
      );
      await w.jobs.start({ worker: true });
      const until = async (check: () => Promise<boolean>) => {
        for (let i = 0; i < 300 && !(await check()); i++) await new Promise((r) => setTimeout(r, 50));
        return check();
      };
      const state = async () => json<{ state: string; memberCount: number }>(await req('GET', `/api/v1/segments/${s.id}`));
      expect(await until(async () => (await state()).state === 'ready')).toBe(true);
      expect((await state()).memberCount).toBe(1);
      await req('PATCH', `/api/v1/contacts/${c.id}`, { country: 'BE' });
      expect(await until(async () => (await state()).memberCount === 0)).toBe(true);
      const h = json<{ data: { change: string; reason: string }[] }>(await req('GET', `/api/v1/contacts/${c.id}/segment-history`));
      expect(h.data.map((x) => `${x.change}:${x.reason}`)).toEqual(['exited:contact changed', 'entered:segment created']);
    } finally {
      await w.close();
    }
  });
});
