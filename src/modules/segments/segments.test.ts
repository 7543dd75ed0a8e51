import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';

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
