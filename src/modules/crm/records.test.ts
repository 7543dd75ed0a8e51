import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, makeApiKey, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';

let t: TestApp;
let ws: Workspace;
let admin: string;
let sales: string;
let viewer: string;

type Rec = Record<string, unknown> & { id: string; version: number; custom: Record<string, unknown>; externalIds: Record<string, string> };
type Page = { data: Rec[]; nextCursor: string | null };

const call = async (key: string, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: method as 'GET',
    url,
    headers: { ...bearer(key), ...headers },
    ...(payload !== undefined && { payload: payload as object }),
  });

beforeAll(async () => {
  t = await createTestApp();
  ws = await makeWorkspace(t);
  admin = await makeApiKey(t, ws, 'admin');
  sales = await makeApiKey(t, ws, 'sales');
  viewer = await makeApiKey(t, ws, 'viewer');
  await t.jobs.start({ worker: true });
});
afterAll(() => t.close());

describe('contacts API', () => {
  it('creates a contact and reads it back with the same camelCase names', async () => {
    const res = await call(admin, 'POST', '/api/v1/contacts', {
      email: '  Ada.Lovelace+news@Example.COM ',
      firstName: 'Ada',
      lastName: 'Lovelace',
      phone: '+44 20 7946 0958',
      title: 'Analyst',
      company: 'Analytical Engines',
      country: 'GB',
      traits: { plan: 'pro' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const c = json<Rec>(res);
    expect(c).toMatchObject({
      email: 'ada.lovelace+news@example.com',
      firstName: 'Ada',
      company: 'Analytical Engines',
      traits: { plan: 'pro' },
      version: 1,
    });
    expect(res.headers.etag).toBe('"1"');
    const got = json<Rec>(await call(viewer, 'GET', `/api/v1/contacts/${c.id}`));
    expect(got).toEqual(c);
    const byEmail = json<Page>(await call(viewer, 'GET', `/api/v1/contacts?email=${encodeURIComponent('ADA.Lovelace+news@example.com ')}`));
    expect(byEmail.data.map((x) => x.id)).toEqual([c.id]);
  });

  it('refuses bad input with problem+json and changes nothing', async () => {
    for (const body of [
      { email: 'not an email' },
      { email: 'x@example.com', unknownField: 1 },
      { email: 'x@example.com', firstName: 42 },
      { email: 'x@example.com', firstName: 'a'.repeat(201) },
      { email: 'x@example.com', ownerId: 'nope' },
      { email: 'x@example.com', custom: { nope: 1 } },
      { firstName: 'No email' },
    ]) {
      const res = await call(admin, 'POST', '/api/v1/contacts', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    expect(json<Page>(await call(admin, 'GET', '/api/v1/contacts?email=x@example.com')).data).toHaveLength(0);
  });

  it('accepts unicode and plus-addressed emails, normalised (NFC, lower case), and finds them by email', async () => {
    const res = await call(admin, 'POST', '/api/v1/contacts', { email: ' JOSE\u0301.Núñez+promo@Exämple.DE ' });
    expect(res.statusCode, res.body).toBe(201);
    expect(json<Rec>(res).email).toBe('josé.núñez+promo@exämple.de');
    const found = json<Page>(await call(viewer, 'GET', `/api/v1/contacts?email=${encodeURIComponent('José.Núñez+promo@exämple.de')}`));
    expect(found.data.map((c) => c.id)).toEqual([json<Rec>(res).id]);
    for (const email of ['a..b@example.com', 'a@b', 'trailing@dot.com.', 'sp ace@example.com', '"quoted"@example.com']) {
      expect((await call(admin, 'POST', '/api/v1/contacts', { email })).statusCode, email).toBe(400);
    }
  });

  it('refuses a duplicate email (409) and an owner from another workspace', async () => {
    await call(admin, 'POST', '/api/v1/contacts', { email: 'dup@example.com' });
    const again = await call(admin, 'POST', '/api/v1/contacts', { email: 'DUP@example.com' });
    expect(again.statusCode).toBe(409);
    const other = await makeWorkspace(t, 'Other');
    const stranger = await makeUser(t, other, 'sales');
    const res = await call(admin, 'POST', '/api/v1/contacts', { email: 'owned@example.com', ownerId: stranger.id });
    expect(res.statusCode).toBe(400);
  });

  it('updates with optimistic concurrency: a stale If-Match is a 412', async () => {
    const c = json<Rec>(await call(sales, 'POST', '/api/v1/contacts', { email: 'occ@example.com', firstName: 'Old' }));
    const ok = await call(sales, 'PATCH', `/api/v1/contacts/${c.id}`, { firstName: 'New' }, { 'if-match': '"1"' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(json<Rec>(ok)).toMatchObject({ firstName: 'New', version: 2 });
    const stale = await call(sales, 'PATCH', `/api/v1/contacts/${c.id}`, { firstName: 'Lost' }, { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(412);
    const same = await call(sales, 'PATCH', `/api/v1/contacts/${c.id}`, { firstName: 'New' });
    expect(json<Rec>(same).version).toBe(2);
    const cleared = json<Rec>(await call(sales, 'PATCH', `/api/v1/contacts/${c.id}`, { firstName: null }));
    expect(cleared).toMatchObject({ firstName: null, version: 3 });
  });

  it('deletes softly and restores; a viewer cannot delete', async () => {
    const c = json<Rec>(await call(admin, 'POST', '/api/v1/contacts', { email: 'trash@example.com' }));
    expect((await call(viewer, 'DELETE', `/api/v1/contacts/${c.id}`)).statusCode).toBe(403);
    expect((await call(sales, 'DELETE', `/api/v1/contacts/${c.id}`)).statusCode).toBe(403);
    const del = json<Rec>(await call(admin, 'DELETE', `/api/v1/contacts/${c.id}`));
    expect(del.deletedAt).not.toBeNull();
    expect(json<Page>(await call(admin, 'GET', '/api/v1/contacts?email=trash@example.com')).data).toHaveLength(0);
    expect(json<Page>(await call(admin, 'GET', '/api/v1/contacts?email=trash@example.com&deleted=only')).data).toHaveLength(1);
    // While it is in the trash, the email is free; restoring then conflicts.
    const twin = json<Rec>(await call(admin, 'POST', '/api/v1/contacts', { email: 'trash@example.com' }));
    expect((await call(admin, 'POST', `/api/v1/contacts/${c.id}/restore`)).statusCode).toBe(409);
    await call(admin, 'DELETE', `/api/v1/contacts/${twin.id}`);
    const back = await call(admin, 'POST', `/api/v1/contacts/${c.id}/restore`);
    expect(json<Rec>(back).deletedAt).toBeNull();
  });

  it('upserts by email and by external id', async () => {
    const a = await call(admin, 'POST', '/api/v1/contacts/upsert?on=email', { email: 'up@example.com', firstName: 'A' });
    expect(a.statusCode).toBe(201);
    const b = await call(admin, 'POST', '/api/v1/contacts/upsert?on=email', { email: 'UP@example.com', lastName: 'B' });
    expect(b.statusCode).toBe(200);
    expect(json<Rec>(b)).toMatchObject({ id: json<Rec>(a).id, firstName: 'A', lastName: 'B' });
    const x = await call(admin, 'POST', '/api/v1/contacts/upsert?on=crm_id', { email: 'crm@example.com', externalIds: { crm_id: '003A' } });
    expect(x.statusCode).toBe(201);
    const y = await call(admin, 'POST', '/api/v1/contacts/upsert?on=crm_id', {
      email: 'crm2@example.com',
      externalIds: { crm_id: '003A' },
    });
    expect(y.statusCode).toBe(200);
    expect(json<Rec>(y)).toMatchObject({ id: json<Rec>(x).id, email: 'crm2@example.com', externalIds: { crm_id: '003A' } });
    const clash = await call(admin, 'POST', '/api/v1/contacts', { email: 'crm3@example.com', externalIds: { crm_id: '003A' } });
    expect(clash.statusCode).toBe(409);
  });

  it('writes every change to the audit log and shows it on the timeline, newest first', async () => {
    const c = json<Rec>(await call(admin, 'POST', '/api/v1/contacts', { email: 'tl@example.com', firstName: 'T' }));
    await call(admin, 'PATCH', `/api/v1/contacts/${c.id}`, { firstName: 'U' });
    await call(admin, 'PATCH', `/api/v1/contacts/${c.id}`, { city: 'Paris' });
    const first = json<{ data: Array<{ action: string; changes: Record<string, unknown> }>; nextCursor: string }>(
      await call(viewer, 'GET', `/api/v1/contacts/${c.id}/timeline?limit=2`),
    );
    expect(first.data.map((e) => e.action)).toEqual(['contact.updated', 'contact.updated']);
    expect(first.data[0]?.changes).toMatchObject({ city: { from: null, to: 'Paris' } });
    const rest = json<{ data: Array<{ action: string }> }>(
      await call(viewer, 'GET', `/api/v1/contacts/${c.id}/timeline?limit=2&cursor=${first.nextCursor}`),
    );
    expect(rest.data.map((e) => e.action)).toEqual(['contact.created']);
  });
});

describe('search, filters, sort and pages', () => {
  beforeAll(async () => {
    const fields = [
      { object: 'contact', label: 'Tier', type: 'select', options: ['Gold', 'Silver'] },
      { object: 'contact', label: 'Seats', type: 'number', indexed: true },
      { object: 'contact', label: 'Beta', type: 'boolean' },
      { object: 'contact', label: 'Renewal', type: 'date' },
      { object: 'contact', label: 'Last seen', type: 'datetime' },
      { object: 'contact', label: 'Topics', type: 'multiselect', options: ['ads', 'seo', 'email'] },
      { object: 'contact', label: 'Site', type: 'url' },
      { object: 'contact', label: 'Assistant email', type: 'email' },
      { object: 'contact', label: 'Direct line', type: 'phone' },
      { object: 'contact', label: 'ARR', type: 'currency', currency: 'EUR' },
      { object: 'contact', label: 'Notes', type: 'text' },
    ];
    for (const f of fields) {
      const res = await call(admin, 'POST', '/api/v1/custom-fields', f);
      expect(res.statusCode, res.body).toBe(201);
    }
    for (let i = 0; i < 12; i++) {
      const res = await call(admin, 'POST', '/api/v1/contacts', {
        email: `person${i}@search-${i % 2 ? 'odd' : 'even'}.io`,
        firstName: i === 3 ? 'Zoë' : `Person${i}`,
        lastName: 'Searchable',
        company: i % 3 === 0 ? 'Globex Corporation' : 'Initech',
        country: i % 2 ? 'DE' : 'FR',
        custom: {
          tier: i % 2 ? 'Gold' : 'Silver',
          seats: i * 10,
          beta: i % 4 === 0,
          renewal: `2025-0${(i % 9) + 1}-15`,
          last_seen: '2025-03-04T10:00:00+02:00',
          topics: i % 2 ? ['ads', 'seo'] : ['email'],
          site: 'https://example.com/x',
          assistant_email: 'PA@Example.com',
          direct_line: '+1 (555) 010-0000',
          arr: 123456,
          notes: `note ${i}`,
        },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
  });

  const list = async (qs: string) => {
    const res = await call(viewer, 'GET', `/api/v1/contacts?${qs}`);
    expect(res.statusCode, res.body).toBe(200);
    return json<Page>(res);
  };
  const f = (filters: unknown) => `filter=${encodeURIComponent(JSON.stringify(filters))}`;

  it('stores typed custom values in their normal form', async () => {
    const p = await list(`email=person1@search-odd.io`);
    expect(p.data[0]?.custom).toMatchObject({ assistant_email: 'pa@example.com', last_seen: '2025-03-04T08:00:00.000Z', arr: 123456 });
  });

  it('searches name, email and company by word prefix', async () => {
    expect((await list('q=globex&limit=50')).data).toHaveLength(4);
    expect((await list('q=zo%C3%AB')).data.map((c) => c.firstName)).toEqual(['Zoë']);
    expect((await list('q=person1%40search-odd.io')).data.map((c) => c.email)).toContain('person1@search-odd.io');
    expect((await list('q=search-odd')).data.length).toBeGreaterThan(0);
    expect((await list(`q=${encodeURIComponent("'):* | !&")}`)).data).toEqual([]);
  });

  it('filters on core and custom fields of every type', async () => {
    const count = async (filters: unknown) =>
      (await list(`limit=200&${f([{ field: 'lastName', op: 'eq', value: 'Searchable' }, ...(filters as unknown[])])}`)).data.length;
    expect(await count([{ field: 'country', op: 'eq', value: 'DE' }])).toBe(6);
    expect(await count([{ field: 'custom.tier', op: 'eq', value: 'Gold' }])).toBe(6);
    expect(await count([{ field: 'custom.seats', op: 'gte', value: 100 }])).toBe(2);
    expect(await count([{ field: 'custom.beta', op: 'eq', value: true }])).toBe(3);
    expect(await count([{ field: 'custom.renewal', op: 'lt', value: '2025-03-01' }])).toBe(4);
    expect(await count([{ field: 'custom.topics', op: 'has_any', value: ['seo'] }])).toBe(6);
    expect(await count([{ field: 'custom.topics', op: 'has_none', value: ['seo'] }])).toBe(6);
    expect(await count([{ field: 'custom.arr', op: 'eq', value: 123456 }])).toBe(12);
    expect(await count([{ field: 'custom.notes', op: 'contains', value: 'note 1' }])).toBe(3);
    expect(await count([{ field: 'custom.notes', op: 'is_set' }])).toBe(12);
    expect(await count([{ field: 'company', op: 'in', value: ['Initech'] }])).toBe(8);
    expect(await count([{ field: 'custom.last_seen', op: 'gt', value: '2025-01-01T00:00:00Z' }])).toBe(12);
  });

  it('refuses unknown fields, wrong operators and malformed filter JSON', async () => {
    for (const qs of [
      f([{ field: 'nope', op: 'eq', value: 1 }]),
      f([{ field: 'custom.tier', op: 'gt', value: 1 }]),
      f([{ field: 'custom.seats', op: 'eq', value: 'many' }]),
      'filter=%5B',
      f([{ field: 'email', op: 'drop table', value: 1 }]),
      'sort=nope',
      'cursor=garbage',
    ]) {
      const res = await call(viewer, 'GET', `/api/v1/contacts?${qs}`);
      expect(res.statusCode, qs).toBe(400);
    }
  });

  it('sorts by any field and pages with a cursor without gaps or repeats', async () => {
    for (const sort of ['lastName', '-custom.seats', 'custom.tier', 'email', '-updatedAt', 'createdAt']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const p: Page = await list(
          `limit=5&sort=${sort}&${f([{ field: 'lastName', op: 'eq', value: 'Searchable' }])}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...p.data.map((c) => c.id));
        cursor = p.nextCursor;
      } while (cursor);
      expect(new Set(seen).size, sort).toBe(12);
    }
    const bySeats = await list(`limit=3&sort=-custom.seats&${f([{ field: 'lastName', op: 'eq', value: 'Searchable' }])}`);
    expect(bySeats.data.map((c) => c.custom.seats)).toEqual([110, 100, 90]);
  });

  it('validates custom values on every write', async () => {
    const bad = [
      { tier: 'Platinum' },
      { seats: 'ten' },
      { beta: 'yes' },
      { renewal: '2025-02-30' },
      { last_seen: 'yesterday' },
      { topics: ['ads', 'tv'] },
      { site: 'javascript:alert(1)' },
      { assistant_email: 'nope' },
      { direct_line: 'call me' },
      { arr: 12.5 },
    ];
    for (const custom of bad) {
      const res = await call(admin, 'POST', '/api/v1/contacts', { email: 'bad-custom@example.com', custom });
      expect(res.statusCode, JSON.stringify(custom)).toBe(400);
    }
  });
});

describe('custom fields', () => {
  it('renames without losing data; deletes softly and restores within 30 days', async () => {
    const fld = json<{ id: string; key: string }>(
      await call(admin, 'POST', '/api/v1/custom-fields', { object: 'contact', label: 'Favourite colour', type: 'text' }),
    );
    expect(fld.key).toBe('favourite_colour');
    const c = json<Rec>(
      await call(admin, 'POST', '/api/v1/contacts', { email: 'colour@example.com', custom: { favourite_colour: 'teal' } }),
    );
    const renamed = await call(admin, 'PATCH', `/api/v1/custom-fields/${fld.id}`, { label: 'Colour' });
    expect(json<{ label: string; key: string }>(renamed)).toMatchObject({ label: 'Colour', key: 'favourite_colour' });
    expect(json<Rec>(await call(admin, 'GET', `/api/v1/contacts/${c.id}`)).custom.favourite_colour).toBe('teal');
    const del = json<{ deletedAt: string; purgeAfter: string }>(await call(admin, 'DELETE', `/api/v1/custom-fields/${fld.id}`));
    expect(Date.parse(del.purgeAfter) - Date.parse(del.deletedAt)).toBe(30 * 86_400_000);
    expect(json<Rec>(await call(admin, 'GET', `/api/v1/contacts/${c.id}`)).custom.favourite_colour).toBeUndefined();
    expect((await call(admin, 'POST', '/api/v1/contacts', { email: 'c2@example.com', custom: { favourite_colour: 'x' } })).statusCode).toBe(
      400,
    );
    expect(
      (await call(admin, 'POST', '/api/v1/custom-fields', { object: 'contact', label: 'Favourite colour', type: 'text' })).statusCode,
    ).toBe(409);
    await call(admin, 'POST', `/api/v1/custom-fields/${fld.id}/restore`);
    expect(json<Rec>(await call(admin, 'GET', `/api/v1/contacts/${c.id}`)).custom.favourite_colour).toBe('teal');
  });

  it('only admins and mops managers define fields; select fields need options; required is enforced', async () => {
    expect((await call(sales, 'POST', '/api/v1/custom-fields', { object: 'contact', label: 'X', type: 'text' })).statusCode).toBe(403);
    expect((await call(admin, 'POST', '/api/v1/custom-fields', { object: 'contact', label: 'Y', type: 'select' })).statusCode).toBe(400);
    expect((await call(admin, 'POST', '/api/v1/custom-fields', { object: 'contact', label: 'Email', type: 'text' })).statusCode).toBe(409);
    await call(admin, 'POST', '/api/v1/custom-fields', {
      object: 'account',
      label: 'Segment',
      type: 'select',
      options: ['SMB', 'ENT'],
      required: true,
    });
    expect((await call(admin, 'POST', '/api/v1/accounts', { name: 'NoSeg' })).statusCode).toBe(400);
    const acc = await call(admin, 'POST', '/api/v1/accounts', {
      name: 'Seg Inc',
      domain: 'https://www.Seg.example/about',
      custom: { segment: 'SMB' },
    });
    expect(acc.statusCode, acc.body).toBe(201);
    expect(json<Rec>(acc)).toMatchObject({ domain: 'seg.example', custom: { segment: 'SMB' } });
  });
});

describe('accounts and links', () => {
  it("lists an account's primary and linked contacts", async () => {
    const acc = json<Rec>(
      await call(admin, 'POST', '/api/v1/accounts', { name: 'Umbrella', domain: 'umbrella.example', custom: { segment: 'ENT' } }),
    );
    const primary = json<Rec>(await call(admin, 'POST', '/api/v1/contacts', { email: 'p@umbrella.example', accountId: acc.id }));
    const linked = json<Rec>(await call(admin, 'POST', '/api/v1/contacts', { email: 'l@agency.example' }));
    expect((await call(admin, 'POST', `/api/v1/accounts/${acc.id}/contacts`, { contactId: linked.id, role: 'Agency' })).statusCode).toBe(
      204,
    );
    const ids = json<Page>(await call(viewer, 'GET', `/api/v1/contacts?accountId=${acc.id}`)).data.map((c) => c.id);
    expect(ids.sort()).toEqual([primary.id, linked.id].sort());
    expect((await call(admin, 'DELETE', `/api/v1/accounts/${acc.id}/contacts/${linked.id}`)).statusCode).toBe(204);
    expect(json<Page>(await call(viewer, 'GET', `/api/v1/contacts?accountId=${acc.id}`)).data.map((c) => c.id)).toEqual([primary.id]);
    expect(
      (await call(admin, 'POST', '/api/v1/accounts', { name: 'Dup', domain: 'umbrella.example', custom: { segment: 'ENT' } })).statusCode,
    ).toBe(409);
  });
});

describe('bulk actions', () => {
  it('assigns an owner to every record a filter matches, as a job with progress and audit rows', async () => {
    const owner = await makeUser(t, ws, 'sales');
    const filter = [{ field: 'company', op: 'eq', value: 'Initech' }];
    const start = await call(admin, 'POST', '/api/v1/contacts/bulk', { action: 'assign_owner', filter, ownerId: owner.id });
    expect(start.statusCode, start.body).toBe(202);
    const op = json<{ id: string; total: number }>(start);
    expect(op.total).toBe(8);
    let status = '';
    for (let i = 0; i < 100 && status !== 'completed'; i++) {
      status = json<{ status: string }>(await call(viewer, 'GET', `/api/v1/bulk-operations/${op.id}`)).status;
      if (status !== 'completed') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('completed');
    const owned = json<Page>(await call(viewer, 'GET', `/api/v1/contacts?ownerId=${owner.id}&limit=50`));
    expect(owned.data).toHaveLength(8);
    const audit = json<{ data: unknown[] }>(await call(admin, 'GET', `/api/v1/audit?action=contact.updated&limit=200`));
    expect(audit.data.length).toBeGreaterThanOrEqual(8);
  });

  it('refuses a bulk action without ids or filter, or with a bad change', async () => {
    expect((await call(admin, 'POST', '/api/v1/contacts/bulk', { action: 'delete' })).statusCode).toBe(400);
    expect(
      (await call(admin, 'POST', '/api/v1/contacts/bulk', { action: 'update', ids: [crypto.randomUUID()], set: { nope: 1 } })).statusCode,
    ).toBe(400);
    expect((await call(sales, 'POST', '/api/v1/contacts/bulk', { action: 'delete', ids: [crypto.randomUUID()] })).statusCode).toBe(403);
  });
});
