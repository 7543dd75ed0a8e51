import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { z } from 'zod';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { compileSegment } from './segments.membership.js';
import { registerSegmentCondition } from './segments.registry.js';
import type { SegmentNode } from './segments.schema.js';

// A later module's condition, registered without touching the engine (as scoring will).
registerSegmentCondition({
  key: 'seatsAtLeast',
  schema: z.object({ seatsAtLeast: z.number().int().min(0) }).strict(),
  causes: ['contact'],
  compile: (node) => sql`coalesce((r.custom->>'seats')::numeric >= ${node.seatsAtLeast}, false)`,
});

let t: TestApp;
let key: string;
let writeKey: string;

type Seg = { id: string; count: number; name: string };
const call = (method: string, url: string, payload?: unknown) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(key), ...(payload !== undefined && { payload: payload as object }) });
const count = async (definition: unknown) => {
  const res = await call('POST', '/api/v1/segments/preview', { definition });
  expect(res.statusCode, `${JSON.stringify(definition)} -> ${res.body}`).toBe(200);
  return json<{ count: number }>(res).count;
};

beforeAll(async () => {
  t = await createTestApp();
  const ws = await makeWorkspace(t);
  key = await makeApiKey(t, ws, 'admin');
  await call('POST', '/api/v1/custom-fields', { object: 'contact', label: 'Seats', type: 'number' });
  await call('POST', '/api/v1/custom-fields', { object: 'account', label: 'Employees', type: 'number' });
  const big = json<{ id: string }>(
    await call('POST', '/api/v1/accounts', { name: 'Big', domain: 'big.example', custom: { employees: 5000 } }),
  );
  const small = json<{ id: string }>(
    await call('POST', '/api/v1/accounts', { name: 'Small', domain: 'small.example', custom: { employees: 12 } }),
  );
  for (let i = 0; i < 10; i++) {
    await call('POST', '/api/v1/contacts', {
      email: `seg${i}@example.com`,
      country: i % 2 ? 'DE' : 'FR',
      accountId: i < 4 ? big.id : small.id,
      traits: { plan: ['free', 'pro', 'team'][i % 3] },
      custom: { seats: i },
    });
  }
  writeKey = json<{ writeKey: string }>(await call('POST', '/api/v1/sources', { name: 'Site' })).writeKey;
  const basic = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const batch = [
    ...[0, 1, 2].map((i) => ({ type: 'identify', messageId: `id-${i}`, userId: `u${i}`, traits: { email: `seg${i}@example.com` } })),
    { type: 'track', messageId: 'd1', userId: 'u0', event: 'Demo Requested', properties: { plan: 'pro' } },
    { type: 'track', messageId: 'd2', userId: 'u0', event: 'Demo Requested', properties: { plan: 'pro' } },
    { type: 'track', messageId: 'd3', userId: 'u1', event: 'Demo Requested', properties: { plan: 'free' } },
    {
      type: 'track',
      messageId: 'd4',
      userId: 'u2',
      event: 'Demo Requested',
      properties: { plan: 'pro' },
      timestamp: new Date(Date.now() - 60 * 86_400_000).toISOString(),
    },
  ];
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/batch',
    headers: { authorization: basic, 'content-type': 'application/json' },
    payload: { batch },
  });
  expect(json(res)).toMatchObject({ stored: 7 });
  const visits = await t.app.inject({
    method: 'POST',
    url: '/v1/batch',
    headers: { authorization: basic, 'content-type': 'application/json' },
    payload: {
      batch: [
        ...[1, 2, 3].map((n) => ({
          type: 'page',
          messageId: `p-${n}`,
          userId: 'u1',
          properties: { url: `https://acme.example/pricing?plan=${n}` },
          context: {
            page: { url: `https://acme.example/pricing?plan=${n}` },
            campaign: { source: 'newsletter', medium: 'email', name: 'nov' },
          },
        })),
        {
          type: 'page',
          messageId: 'p-4',
          userId: 'u2',
          properties: { url: 'https://acme.example/blog/(a+)+$' },
          context: { page: { url: 'https://acme.example/blog/(a+)+$' } },
        },
      ],
    },
  });
  expect(visits.statusCode, visits.body).toBe(200);
});
afterAll(() => t.close());

describe('segment definitions', () => {
  it('accepts every node shape of the interface and counts correctly', async () => {
    expect(await count({ all: [{ field: 'country', op: 'eq', value: 'DE' }] })).toBe(5);
    expect(
      await count({
        any: [
          { field: 'country', op: 'eq', value: 'DE' },
          { field: 'seats', op: 'lt', value: 2 },
        ],
      }),
    ).toBe(6);
    expect(await count({ not: { field: 'country', op: 'eq', value: 'DE' } })).toBe(5);
    expect(await count({ field: 'traits.plan', op: 'in', value: ['pro', 'team'] })).toBe(6);
    expect(await count({ field: 'createdAt', op: 'within_last', value: { days: 30 } })).toBe(10);
    expect(await count({ account: { field: 'employees', op: 'gte', value: 1000 } })).toBe(4);
    expect(
      await count({
        event: 'Demo Requested',
        count: { gte: 2 },
        within: { days: 30 },
        where: [{ property: 'plan', op: 'eq', value: 'pro' }],
      }),
    ).toBe(1);
    expect(await count({ event: 'Demo Requested', within: { days: 30 } })).toBe(2);
    expect(await count({ event: 'Demo Requested', count: { eq: 0 }, within: { days: 14 } })).toBe(8);
    expect(await count({ field: 'seats', op: 'between', value: [3, 5] })).toBe(3);
    expect(await count({ field: 'email', op: 'contains', value: 'seg1' })).toBe(1);
    expect(await count({ field: 'city', op: 'is_empty' })).toBe(10);
    expect(await count({ field: 'createdAt', op: 'before', value: '2000-01-01' })).toBe(0);
  });

  it('creates a segment, reports its count and members, and nests segments without cycles', async () => {
    const res = await call('POST', '/api/v1/segments', {
      name: 'Germany',
      definition: { all: [{ field: 'country', op: 'eq', value: 'DE' }] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const de = json<Seg>(res);
    expect(de.count).toBe(5);
    expect(json<Seg>(await call('GET', `/api/v1/segments/${de.id}`)).count).toBe(5);
    const page1 = json<{ data: Array<{ email: string }>; nextCursor: string }>(
      await call('GET', `/api/v1/segments/${de.id}/members?limit=3`),
    );
    const page2 = json<{ data: Array<{ email: string }>; nextCursor: null }>(
      await call('GET', `/api/v1/segments/${de.id}/members?limit=3&cursor=${page1.nextCursor}`),
    );
    expect([...page1.data, ...page2.data].map((c) => c.email).sort()).toEqual([
      'seg1@example.com',
      'seg3@example.com',
      'seg5@example.com',
      'seg7@example.com',
      'seg9@example.com',
    ]);
    const nested = json<Seg>(
      await call('POST', '/api/v1/segments', {
        name: 'Big in Germany',
        definition: { all: [{ segment: de.id }, { account: { field: 'employees', op: 'gt', value: 100 } }] },
      }),
    );
    expect(nested.count).toBe(2);
    const cycle = await call('PATCH', `/api/v1/segments/${de.id}`, { definition: { segment: nested.id } });
    expect(cycle.statusCode).toBe(400);
    expect(json<{ detail: string }>(cycle).detail).toMatch(/cycle/);
    expect((await call('DELETE', `/api/v1/segments/${de.id}`)).statusCode).toBe(409);
    expect((await call('DELETE', `/api/v1/segments/${nested.id}`)).statusCode).toBe(204);
    expect((await call('DELETE', `/api/v1/segments/${de.id}`)).statusCode).toBe(204);
  });

  it('refuses bad definitions before saving, with a clear message', async () => {
    for (const definition of [
      { field: 'nope', op: 'eq', value: 1 },
      { field: 'country', op: 'regex', value: '.*' },
      { field: 'seats', op: 'eq', value: 'many' },
      { field: 'country', op: 'within_last', value: { days: 3 } },
      { field: 'country', op: 'in', value: Array.from({ length: 1001 }, (_, i) => String(i)) },
      { event: 'X', count: {} },
      { segment: 'not-a-uuid' },
      { segment: '01900000-0000-7000-8000-000000000000' },
      { all: [{ any: [{ not: { field: 'traits.pl an', op: 'eq', value: 1 } }] }] },
      'drop table contacts',
    ]) {
      const res = await call('POST', '/api/v1/segments', { name: 'bad', definition });
      expect(res.statusCode, JSON.stringify(definition).slice(0, 80)).toBe(400);
    }
  });

  it('compiles page visits, touchpoints, first/last/since, lists and registered conditions', async () => {
    expect(await count({ page: { url: '*/pricing*' }, count: { gte: 3 } })).toBe(1);
    expect(await count({ page: { url: '*/pricing*' }, count: { gte: 4 } })).toBe(0);
    expect(await count({ page: { url: '*/PRICING?plan=2' } })).toBe(1);
    // Regular-expression syntax is literal text in a pattern: nothing to backtrack.
    expect(await count({ page: { url: '*/blog/(a+)+$' } })).toBe(1);
    expect(await count({ page: { url: '*/blog/(a+)+' } })).toBe(0);
    expect(await count({ touchpoint: { field: 'medium', op: 'eq', value: 'email' } })).toBe(1);
    expect(await count({ touchpoint: { field: 'channel', op: 'eq', value: 'email' }, which: 'first' })).toBe(1);
    expect(await count({ touchpoint: { field: 'source', op: 'in', value: ['google', 'bing'] } })).toBe(0);
    expect(await count({ event: 'Demo Requested', first: { within_last: { days: 30 } } })).toBe(2);
    expect(await count({ event: 'Demo Requested', first: { before: '2000-01-01' } })).toBe(0);
    expect(await count({ event: 'Demo Requested', last: { after: '2000-01-01' } })).toBe(3);
    expect(await count({ event: 'Demo Requested', count: { eq: 0 }, since: new Date(Date.now() - 86_400_000).toISOString() })).toBe(8);
    expect(await count({ seatsAtLeast: 7 })).toBe(3);
    expect(await count({ not: { seatsAtLeast: 7 } })).toBe(7);
    const list = json<{ id: string }>(await call('POST', '/api/v1/lists', { name: 'Seg list' }));
    expect(await count({ list: list.id })).toBe(0);
    const file =
      'Email,Name\nseg0@example.com,A\nSEG1@example.com,B\nnot-an-email,C\nnobody@example.com,D\n,E\n\nseg0@example.com,"again,\nwith a line break"\n';
    const up = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lists/${list.id}/members/add`,
      headers: { ...bearer(key), 'content-type': 'text/csv' },
      payload: file,
    });
    expect(up.statusCode, up.body).toBe(200);
    expect(json(up)).toMatchObject({
      added: 2,
      memberCount: 2,
      errors: [
        { row: 4, value: 'not-an-email', reason: 'Not an email address' },
        { row: 5, value: 'nobody@example.com', reason: 'No contact with this email' },
        { row: 6, value: '', reason: 'No email in this row' },
        { row: 8, value: 'seg0@example.com', reason: 'Repeats row 2' },
      ],
    });
    expect(await count({ list: list.id })).toBe(2);
    expect(await count({ all: [{ list: list.id }, { field: 'country', op: 'eq', value: 'DE' }] })).toBe(1);
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lists/${list.id}/members/add`,
      headers: { ...bearer(key), 'content-type': 'text/csv' },
      payload: file,
    });
    expect(json(again)).toMatchObject({ added: 0, alreadyMembers: 2, memberCount: 2 });
    const used = json<{ id: string }>(await call('POST', '/api/v1/segments', { name: 'On list', definition: { list: list.id } }));
    expect((await call('DELETE', `/api/v1/lists/${list.id}`)).statusCode).toBe(409);
    expect((await call('DELETE', `/api/v1/segments/${used.id}`)).statusCode).toBe(204);
    expect((await call('DELETE', `/api/v1/lists/${list.id}`)).statusCode).toBe(204);
    const junk = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lists/${list.id}/members/add`,
      headers: bearer(key),
      payload: { contactIds: [] },
    });
    expect(junk.statusCode).toBe(400);
    expect((await call('POST', `/api/v1/lists/${list.id}/members/add`, { emails: ['seg2@example.com'] })).statusCode).toBe(404);
  });

  it('explains a definition: the parameterised SQL and the plan', async () => {
    const res = await call('POST', '/api/v1/segments/explain', {
      definition: {
        all: [
          { field: 'country', op: 'eq', value: "DE' or 1=1 --" },
          { event: 'Demo Requested', within: { days: 30 } },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const e = json<{ sql: string; parameters: unknown[]; plan: string[] }>(res);
    expect(e.sql).not.toContain('1=1');
    expect(e.parameters).toContain("DE' or 1=1 --");
    expect(e.plan.join('\n')).toMatch(/Aggregate/);
    const analysed = json<{ plan: string[] }>(
      await call('POST', '/api/v1/segments/explain', { definition: { field: 'country', op: 'eq', value: 'DE' }, analyze: true }),
    );
    expect(analysed.plan.join('\n')).toMatch(/actual time/);
    const preview = json<{ count: number; estimated: boolean }>(
      await call('POST', '/api/v1/segments/preview', { definition: { field: 'country', op: 'eq', value: 'DE' }, exact: true }),
    );
    expect(preview).toMatchObject({ count: 5, estimated: false });
  });

  it('says what is wrong with a malformed node, and recognises other formats and older versions', async () => {
    for (const [definition, message] of [
      [{ field: 'country', operator: 'eq', value: 'DE' }, /Unrecognized key: "operator"/],
      [{ all: [{ any: [{ field: 'country', op: 'equals', value: 'x' }] }] }, /all\.0: any\.0: op: Invalid option/],
      [{ combinator: 'and', rules: [{ field: 'country', operator: '=', value: 'DE' }] }, /another definition format or an older version/],
      [{ version: 1, definition: {} }, /older version/],
      [42, /is a JSON object/],
    ] as const) {
      const res = await call('POST', '/api/v1/segments', { name: 'bad', definition });
      expect(res.statusCode).toBe(400);
      expect(json<{ detail: string }>(res).detail, JSON.stringify(definition)).toMatch(message);
    }
  });

  it('keeps a segment readable when a field it uses is deleted, saying what to fix', async () => {
    const field = json<{ id: string }>(
      await call('POST', '/api/v1/custom-fields', { object: 'contact', label: 'Temp score', type: 'number' }),
    );
    const seg = json<Seg>(
      await call('POST', '/api/v1/segments', { name: 'Temp', definition: { field: 'temp_score', op: 'gte', value: 1 } }),
    );
    expect((await call('DELETE', `/api/v1/custom-fields/${field.id}`)).statusCode).toBe(200);
    const res = await call('GET', `/api/v1/segments/${seg.id}`);
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ count: null, error: expect.stringMatching(/temp_score/) });
    const all = await call('GET', '/api/v1/segments?limit=200');
    expect(all.statusCode).toBe(200);
    expect((await call('DELETE', `/api/v1/segments/${seg.id}`)).statusCode).toBe(204);
  });

  it('refuses conditions that can never hold together', async () => {
    for (const [definition, message] of [
      [
        {
          all: [
            { field: 'country', op: 'eq', value: 'DE' },
            { field: 'country', op: 'eq', value: 'FR' },
          ],
        },
        /cannot equal "DE" and "FR"/,
      ],
      [
        {
          all: [
            { field: 'country', op: 'eq', value: 'DE' },
            { field: 'country', op: 'neq', value: 'DE' },
          ],
        },
        /equal and not equal/,
      ],
      [
        {
          all: [
            { field: 'city', op: 'is_empty' },
            { field: 'city', op: 'is_not_empty' },
          ],
        },
        /empty and not empty/,
      ],
      [{ field: 'seats', op: 'between', value: [9, 3] }, /first bound is above/],
      [{ event: 'X', count: { gte: 5, lt: 3 } }, /can never be true/],
    ] as const) {
      const res = await call('POST', '/api/v1/segments', { name: 'never', definition });
      expect(res.statusCode, JSON.stringify(definition)).toBe(400);
      expect(json<{ detail: string }>(res).detail).toMatch(message);
    }
    // The same conditions under `any` are fine: either may hold.
    expect(
      await count({
        any: [
          { field: 'country', op: 'eq', value: 'DE' },
          { field: 'country', op: 'eq', value: 'FR' },
        ],
      }),
    ).toBe(10);
  });

  it('never puts a value from a definition into the SQL text (fuzz)', async () => {
    const db = t.db.handle.db;
    const ws = (await db.selectFrom('segments').select('workspace_id').executeTakeFirst())?.workspace_id;
    const wsId = ws ?? (await db.selectFrom('contacts').select('workspace_id').executeTakeFirstOrThrow()).workspace_id;
    const marked = fc.string({ maxLength: 30 }).map((x) => `zq9${x}`);
    const leaf = fc.oneof(
      fc.record({
        field: fc.constantFrom('country', 'email', 'traits.plan', 'firstName'),
        op: fc.constantFrom('eq', 'neq', 'contains', 'starts_with'),
        value: marked,
      }),
      fc.record({
        field: fc.constantFrom('country', 'city'),
        op: fc.constantFrom('in', 'nin'),
        value: fc.array(marked, { minLength: 1, maxLength: 3 }),
      }),
      fc.record({
        event: marked,
        where: fc.array(fc.record({ property: marked, op: fc.constantFrom('eq', 'contains', 'in'), value: marked }), { maxLength: 2 }),
      }),
      fc.record({ page: fc.record({ url: marked }) }),
      fc.record({
        touchpoint: fc.record({ field: fc.constantFrom('source', 'campaign'), op: fc.constantFrom('eq', 'contains'), value: marked }),
      }),
      fc.record({
        account: fc.record({ field: fc.constantFrom('name', 'domain'), op: fc.constantFrom('eq', 'starts_with'), value: marked }),
      }),
    );
    const tree = fc.letrec<{ t: unknown }>((tie) => ({
      t: fc.oneof({ depthSize: 'small' }, leaf, fc.record({ any: fc.array(tie('t'), { maxLength: 3 }) }), fc.record({ not: tie('t') })),
    })).t;
    await fc.assert(
      fc.asyncProperty(tree, async (definition) => {
        const c = await compileSegment(db, wsId, new Date(), definition as SegmentNode);
        const compiled = sql`select 1 from contacts r where ${c.cond}`.compile(db);
        expect(compiled.sql).not.toContain('zq9');
        // And PostgreSQL accepts it: the statement runs.
        await sql`select count(*) from contacts r where r.workspace_id = ${wsId} and ${c.cond}`.execute(db);
      }),
      { numRuns: 200 },
    );
  });

  it('never answers a 5xx, whatever JSON the definition is (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (definition) => {
        const res = await call('POST', '/api/v1/segments/preview', { definition });
        expect(res.statusCode, `${JSON.stringify(definition)} -> ${res.body}`).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });
});
