import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { onPostgres } from '../../test/db.js';
import { importFromCli } from '../imports/cli-data.service.js';
import { drainQueue, rebuildBuilding } from '../segments/segments.membership.js';
import { erasureLock } from './suppression.js';

let t: TestApp;
let key: string;
let ws: string;
let writeKey: string;
const EMAIL = 'zeb.quattlebaum@example.com';
const NEEDLES = ['zeb.quattlebaum', 'Zebulon', 'Quattlebaum', '4155550177', '555-0177'];

const call = (method: string, url: string, payload?: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method: method as 'GET', url, headers: { ...bearer(key), ...headers }, ...(payload && { payload }) });
const track = (batch: object[]) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/batch',
    headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`, 'content-type': 'application/json' },
    payload: { batch },
  });
const importFile = async (name: string, body: string) => {
  const file = path.join(t.config.filesDir, name);
  await writeFile(file, body);
  return importFromCli({ db: t.db.handle.db, clock: t.clock, filesDir: t.config.filesDir }, systemActor(ws, 'test'), {
    object: 'contact',
    file,
    mode: 'upsert',
    dryRun: false,
    dateFormat: 'auto',
  });
};

/** Every text, varchar and json(b) column of every table Keel's database holds, outside the catalogs. */
async function traces(): Promise<string[]> {
  const db = t.db.handle.db;
  const cols = await sql<{ s: string; t: string; c: string }>`
    select c.table_schema as s, c.table_name as t, c.column_name as c from information_schema.columns c
    join information_schema.tables x on x.table_schema = c.table_schema and x.table_name = c.table_name and x.table_type = 'BASE TABLE'
    where c.table_schema not in ('pg_catalog', 'information_schema') and c.data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY')`.execute(
    db,
  );
  const found: string[] = [];
  for (const { s, t: table, c } of cols.rows) {
    for (const n of NEEDLES) {
      const r = await sql<{
        n: string;
      }>`select count(*)::text as n from ${sql.table(`${s}.${table}`)} where ${sql.ref(c)}::text ilike ${`%${n}%`}`.execute(db);
      if (Number(r.rows[0]?.n) > 0) found.push(`${s}.${table}.${c} holds "${n}"`);
    }
  }
  return found;
}

beforeAll(async () => {
  t = await createTestApp();
  const w = await makeWorkspace(t);
  ws = w.id;
  key = await makeApiKey(t, w, 'admin');
  writeKey = json<{ writeKey: string }>(await call('POST', '/api/v1/sources', { name: 'Site' })).writeKey;
  // pg-boss's tables exist, so the search for traces covers queued job payloads too.
  await t.jobs.start({ worker: false });
});
afterAll(async () => t?.close());

describe('subject access and erasure', () => {
  let id: string;

  it('exports everything Keel holds on a person', async () => {
    // The person arrives by API (with an idempotency key: the answer is stored), is changed, imported, tracked...
    const created = await call(
      'POST',
      '/api/v1/contacts',
      { email: EMAIL, firstName: 'Zebulon', lastName: 'Quattlebaum', phone: '(415) 555-0177', country: 'United States' },
      { 'idempotency-key': 'zeb-create-1' },
    );
    expect(created.statusCode, created.body).toBe(201);
    id = json<{ id: string }>(created).id;
    await call('PATCH', `/api/v1/contacts/${id}`, { title: 'Head of Zebulon Works' });
    expect(
      await importFile(
        'people.csv',
        `Email,First Name,Last Name,Phone,Job Title\n${EMAIL},Zebulon,Quattlebaum,415-555-0177,CTO\nother@example.com,Ann,Other,,\n`,
      ),
    ).toMatchObject({
      errors: 0,
    });
    expect(
      (
        await track([
          {
            type: 'page',
            anonymousId: 'zeb-anon',
            messageId: 'z1',
            properties: { url: 'https://a.example/?utm_source=news' },
            context: { page: { url: 'https://a.example/?utm_source=news' }, ip: '198.51.100.7' },
          },
          {
            type: 'identify',
            anonymousId: 'zeb-anon',
            userId: 'zeb-user',
            messageId: 'z2',
            traits: { email: EMAIL, firstName: 'Zebulon' },
          },
          {
            type: 'track',
            userId: 'zeb-user',
            messageId: 'z3',
            event: 'Demo Requested',
            properties: { note: 'call Zebulon on 415 555 0177' },
          },
        ])
      ).statusCode,
    ).toBe(200);
    await call('POST', `/api/v1/contacts/${id}/consents`, {
      purpose: 'email_marketing',
      status: 'granted',
      source: 'form',
      text: 'Yes, Zebulon wants mail',
    });
    const list = json<{ id: string }>(await call('POST', '/api/v1/lists', { name: 'VIP' }));
    await call('POST', `/api/v1/lists/${list.id}/members/add`, { contactIds: [id] });
    const seg = json<{ id: string }>(
      await call('POST', '/api/v1/segments', { name: 'Zeb', definition: { field: 'country', op: 'eq', value: 'US' } }),
    );
    await rebuildBuilding(t.db.handle.db, t.clock);
    await drainQueue(t.db.handle.db, t.clock);
    expect((await call('GET', `/api/v1/segments/${seg.id}`)).json()).toMatchObject({ memberCount: 1 });

    // A stage change by hand, and a second record of the person merged into this one.
    expect((await call('POST', `/api/v1/contacts/${id}/lifecycle`, { stage: 'mql', reason: 'Zebulon asked for a call' })).statusCode).toBe(
      200,
    );
    const dup = json<{ id: string }>(
      await call('POST', '/api/v1/contacts', { email: 'zeb.q.home@example.net', firstName: 'Zebulon', lastName: 'Quattlebaum' }),
    );
    const merged = await call('POST', `/api/v1/contacts/${id}/merge`, { from: [dup.id] });
    expect(merged.statusCode, merged.body).toBe(200);

    const res = await call('GET', `/api/v1/contacts/${id}/export`);
    expect(res.statusCode, res.body).toBe(200);
    const data = json<Record<string, unknown[] | Record<string, unknown>>>(res);
    expect(data.contact).toMatchObject({ email: EMAIL, phone: '+14155550177', raw: { phone: '(415) 555-0177', country: 'United States' } });
    expect((data.events as Array<{ messageId: string }>).map((e) => e.messageId).sort()).toEqual(['z1', 'z2', 'z3']);
    expect(data.identities).toEqual(expect.arrayContaining([expect.objectContaining({ value: 'zeb-user' })]));
    expect(data.consents).toHaveLength(1);
    expect(data.lists).toHaveLength(1);
    expect(data.segments).toHaveLength(1);
    expect((data.changes as unknown[]).length).toBeGreaterThanOrEqual(2);
    expect(data.imports).toHaveLength(1);
    expect(data.touchpoints).toHaveLength(1);
    expect(data.lifecycleHistory).toEqual([expect.objectContaining({ to: 'mql', reason: 'Zebulon asked for a call' })]);
    expect(data.recordMerges).toEqual([
      expect.objectContaining({ survivorId: id, mergedIds: [dup.id], mergedRecords: expect.arrayContaining([expect.anything()]) }),
    ]);
    expect(JSON.stringify(data.recordMerges)).toContain('zeb.q.home@example.net');
    for (const k of ['provenance', 'accountMatches', 'scores', 'leadAssignments']) expect(Array.isArray(data[k]), k).toBe(true);
    // Only admins and ops managers may export a person.
    const viewerKey = await makeApiKey(t, { id: ws } as never, 'sales');
    expect((await t.app.inject({ url: `/api/v1/contacts/${id}/export`, headers: bearer(viewerKey) })).statusCode).toBe(403);
  });

  it('erases the person from every table, proves it with a report, and never takes the email again', async () => {
    // A second record of the same person was merged into this one: it goes with it.
    const dup = json<{ id: string }>(
      await call('POST', '/api/v1/contacts', { email: 'zq@quattlebaum.example', firstName: 'Zeb', lastName: 'Quattlebaum' }),
    ).id;
    expect((await call('POST', `/api/v1/contacts/${id}/merge`, { from: [dup] })).statusCode).toBe(200);
    // An upload waiting in Keel's imports folder holds the person too: the file goes.
    const up = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports?object=contact&fileName=zeb.csv',
      headers: { ...bearer(key), 'content-type': 'text/csv' },
      payload: `Email,First Name\n${EMAIL.toUpperCase()},Zebulon\nsomeone.else@example.com,Sam\n`,
    });
    expect(up.statusCode, up.body).toBeLessThan(300);
    const upload = await t.db.handle.db
      .selectFrom('imports')
      .select(['id', 'file_path'])
      .where('id', '=', json<{ id: string }>(up).id)
      .executeTakeFirstOrThrow();
    expect(existsSync(upload.file_path)).toBe(true);
    // Links of tracked events that failed and wait in the queue (one by profile, one by email) and another person's.
    const [profile] = await t.db.handle.db.selectFrom('profiles').select('id').where('contact_id', '=', id).execute();
    const other = { profileId: '0190a000-0000-7000-8000-000000000001', email: 'keep.me@example.com', traits: { firstName: 'Keep' } };
    await t.jobs.enqueue('tracking.link', {
      workspaceId: ws,
      links: [{ profileId: profile?.id, email: 'zq-alias@example.org', traits: { lastName: 'Quattlebaum' } }, other],
      groups: [{ profileId: profile?.id, groupId: 'acme', traits: { name: 'Zebulon Works' } }],
    });
    await t.jobs.enqueue('tracking.link', {
      workspaceId: ws,
      links: [{ profileId: '0190a000-0000-7000-8000-000000000002', email: EMAIL.toUpperCase(), traits: { firstName: 'Zebulon' } }],
      groups: [],
    });
    expect((await traces()).length).toBeGreaterThan(5);
    const res = await call('POST', `/api/v1/contacts/${id}/erase`);
    expect(res.statusCode, res.body).toBe(200);
    const report = json<{ removed: Record<string, number>; suppressed: boolean }>(res);
    expect(report.suppressed).toBe(true);
    expect(report.removed['import files']).toBe(1);
    expect(report.removed['queued tracking links (jobs)']).toBe(2);
    const queued = await sql<{
      data: { links: unknown[]; groups: unknown[] };
    }>`select data from pgboss.job where name = 'tracking.link'`.execute(t.db.handle.db);
    // The other person's link stays queued, to be linked as before.
    expect(queued.rows.map((r) => r.data.links)).toEqual(expect.arrayContaining([[other], []]));
    expect(queued.rows.flatMap((r) => r.data.groups)).toEqual([]);
    expect(existsSync(upload.file_path)).toBe(false);
    expect(report.removed).toMatchObject({
      // The person, and the two records merged into it (one in the export test above).
      contacts: 3,
      merges: 2,
      events: 3,
      identities: 2,
      consents: 1,
      list_members: 1,
      segment_members: 1,
    });
    // Every text and JSON column of every table, searched for the email, the names and the phone.
    expect(await traces()).toEqual([]);
    expect((await call('GET', `/api/v1/contacts/${id}`)).statusCode).toBe(404);
    expect(json<{ data: unknown[] }>(await call('GET', '/api/v1/erasures')).data).toHaveLength(1);
    // Stored counts followed.
    const lists = json<{ data: Array<{ memberCount: number }> }>(await call('GET', '/api/v1/lists'));
    expect(lists.data[0]?.memberCount).toBe(0);

    // Never again: not by API, not by import, not by tracking.
    const again = await call('POST', '/api/v1/contacts', { email: 'Zeb.Quattlebaum@Example.com' });
    expect(again.statusCode).toBe(409);
    expect(json<{ detail: string }>(again).detail).toMatch(/asked to be erased/);
    const imported = await importFile('again.csv', `Email\n${EMAIL}\nnew.person@example.com\n`);
    expect(imported).toMatchObject({ created: 1, errors: 1 });
    expect((await track([{ type: 'identify', userId: 'zeb-2', messageId: 'z9', traits: { email: EMAIL } }])).statusCode).toBe(200);
    expect(json<{ data: unknown[] }>(await call('GET', `/api/v1/contacts?email=${encodeURIComponent(EMAIL)}`)).data).toEqual([]);
    expect((await call('POST', `/api/v1/contacts/${id}/erase`)).statusCode).toBe(404);
  });

  it.runIf(onPostgres)('an erasure waits for an import batch in flight, and later batches see the suppression', async () => {
    const c = json<{ id: string }>(await call('POST', '/api/v1/contacts', { email: 'mid.import@example.com' }));
    const db = t.db.handle.db;
    let releaseBatch: () => void = () => undefined;
    const batchHeld = new Promise<void>((r) => (releaseBatch = r));
    let locked: () => void = () => undefined;
    const lockTaken = new Promise<void>((r) => (locked = r));
    const batch = db.transaction().execute(async (trx) => {
      await erasureLock(trx, ws, 'shared');
      locked();
      await batchHeld;
    });
    await lockTaken;
    let erased = false;
    const erasure = call('POST', `/api/v1/contacts/${c.id}/erase`).then((r) => {
      erased = r.statusCode === 200;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(erased).toBe(false);
    releaseBatch();
    await batch;
    await erasure;
    expect(erased).toBe(true);
    expect(await importFile('mid.csv', 'Email\nmid.import@example.com\n')).toMatchObject({ created: 0, errors: 1 });
  });
});
