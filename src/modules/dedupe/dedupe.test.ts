import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { newId } from '../../platform/ids.js';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { mergeAutoPairs, scanAndMerge, scanBacklogs } from './dedupe.jobs.js';
import { hash40, loadMatchRecords, processDedupeQueue, rematch, runScan, startScan } from './detect.service.js';
import { DEFAULT_MODELS, blockingKeys, compare, estimateModel, fold, score } from './matching.js';

let t: TestApp;
let key: string;
let ws: string;
let viewerKey: string;
let otherKey: string;

const call = (method: string, url: string, payload?: object, k = key) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(k), ...(payload && { payload }) });
const create = async (body: object, k = key): Promise<string> => {
  const r = await call('POST', '/api/v1/contacts', body, k);
  expect(r.statusCode, r.body).toBe(201);
  return json<{ id: string }>(r).id;
};
const ctx = () => ({ db: t.db.handle.db, clock: t.clock });
const drain = async () => {
  for (;;) {
    const r = await processDedupeQueue(ctx());
    if (r.auto.length) for (const a of r.auto) await mergeAutoPairs(ctx(), a.ws, a.object, [a]);
    if (!r.more) break;
  }
};
type Pair = { ids: [string, string]; probability: number; reasons: { field: string; level: string; weight: number }[]; status: string };
const pairs = async (q = 'object=contact&limit=200', k = key) =>
  json<{ data: Pair[]; nextCursor: string | null }>(await call('GET', `/api/v1/duplicates?${q}`, undefined, k));
const pairKey = (a: string, b: string) => [a, b].sort().join('|');

beforeAll(async () => {
  t = await createTestApp();
  const w = await makeWorkspace(t);
  ws = w.id;
  key = await makeApiKey(t, w, 'admin');
  viewerKey = await makeApiKey(t, w, 'viewer');
  otherKey = await makeApiKey(t, await makeWorkspace(t, 'Other'), 'admin');
});
afterAll(async () => t?.close());

describe('matching', () => {
  it('folds unicode names (accents, combining marks, CJK, Arabic) without losing them', () => {
    expect(fold('José')).toBe('jose');
    expect(fold('Jose\u0301')).toBe('jose');
    expect(fold('山田 太郎')).toBe('山田太郎');
    expect(fold('محمد')).toBe('محمد');
    expect(fold("O'Brien-Smith")).toBe('obriensmith');
  });

  it('scores agreement up and disagreement down, and explains each field', () => {
    const m = DEFAULT_MODELS.contact;
    const same = score(
      m,
      compare(
        'contact',
        { id: 'a', email: 'ann@acme.com', firstName: 'Ann', lastName: 'Lee' },
        { id: 'b', email: 'ann@acme.com', firstName: 'Anne', lastName: 'Lee' },
      ),
    );
    const diff = score(
      m,
      compare(
        'contact',
        { id: 'a', email: 'ann@acme.com', firstName: 'Ann', lastName: 'Lee', company: 'Acme' },
        { id: 'b', email: 'bo@zeta.io', firstName: 'Bo', lastName: 'Lee', company: 'Zeta' },
      ),
    );
    expect(same.probability).toBeGreaterThan(0.99);
    expect(diff.probability).toBeLessThan(0.05);
    expect(same.reasons.find((r) => r.field === 'email')).toMatchObject({ level: 'exact' });
    expect(same.reasons.find((r) => r.field === 'phone')).toMatchObject({ level: 'missing', weight: 0 });
    // Nicknames and swapped names agree.
    expect(
      compare('contact', { id: 'a', firstName: 'Bob', lastName: 'Smith' }, { id: 'b', firstName: 'Robert', lastName: 'Smith' }).firstName,
    ).toBe('exact');
    expect(
      compare('contact', { id: 'a', firstName: 'Smith', lastName: 'Robert' }, { id: 'b', firstName: 'Robert', lastName: 'Smith' }),
    ).toMatchObject({
      firstName: 'exact',
      lastName: 'exact',
    });
  });

  it('never throws on any text (unicode, empty, huge) and keeps probabilities in [0, 1] (property)', () => {
    const text = fc.option(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 })), {
      nil: null,
    });
    const rec = fc.record({
      id: fc.uuid(),
      email: text,
      firstName: text,
      lastName: text,
      phone: text,
      company: text,
      city: text,
      country: text,
      name: text,
      domain: text,
    });
    fc.assert(
      fc.property(rec, rec, fc.constantFrom('contact' as const, 'account' as const), (x, y, object) => {
        const p = score(DEFAULT_MODELS[object], compare(object, x, y)).probability;
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        expect(Array.isArray(blockingKeys(object, x))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('estimates weights by EM that separate two clear populations', () => {
    const dup = {
      email: 'exact',
      firstName: 'exact',
      lastName: 'exact',
      phone: 'missing',
      company: 'exact',
      city: 'exact',
      country: 'exact',
    } as const;
    const non = {
      email: 'diff',
      firstName: 'diff',
      lastName: 'exact',
      phone: 'missing',
      company: 'diff',
      city: 'diff',
      country: 'exact',
    } as const;
    const vectors = [...Array.from({ length: 100 }, () => ({ ...dup })), ...Array.from({ length: 900 }, () => ({ ...non }))];
    const m = estimateModel(vectors, DEFAULT_MODELS.contact);
    expect(m.prior).toBeGreaterThan(0.07);
    expect(m.prior).toBeLessThan(0.13);
    expect(score(m, dup).probability).toBeGreaterThan(0.99);
    expect(score(m, non).probability).toBeLessThan(0.01);
    expect(m.fields.email?.m.exact).toBeGreaterThan(0.9);
  });

  it('EM started upside down (its classes swapped) still ends with agreement counting for a match', () => {
    const dup = { email: 'exact', firstName: 'exact', lastName: 'exact', company: 'exact' } as const;
    const non = { email: 'diff', firstName: 'diff', lastName: 'exact', company: 'diff' } as const;
    const vectors = [...Array.from({ length: 30 }, () => ({ ...dup })), ...Array.from({ length: 270 }, () => ({ ...non }))];
    // m and u swapped in the start, and a prior of 0.9: EM alone converges to the mirror image.
    const base = DEFAULT_MODELS.contact;
    const flipped = {
      prior: 0.9,
      fields: Object.fromEntries(Object.entries(base.fields).map(([f, fm]) => [f, { m: { ...fm.u }, u: { ...fm.m } }])),
    };
    const m = estimateModel(vectors, flipped);
    expect(m.prior).toBeGreaterThan(0.07);
    expect(m.prior).toBeLessThan(0.13);
    expect(score(m, dup).probability).toBeGreaterThan(0.99);
    expect(score(m, non).probability).toBeLessThan(0.01);
    // Levels these pairs never showed keep their starting values (here the flipped ones).
    expect(m.fields.email?.m.close).toBe(flipped.fields.email?.m.close);
    expect(m.fields.phone).toEqual(flipped.fields.phone);
  });
});

describe('duplicates: a known-answer set', () => {
  // Each group is one person written differently; singles are different people (some share names).
  const groups: object[][] = [
    [
      { email: 'robert.smith@acme.com', firstName: 'Robert', lastName: 'Smith', company: 'Acme Inc', phone: '+14155550101', country: 'US' },
      { email: 'bob.smith@acme.com', firstName: 'Bob', lastName: 'Smith', company: 'ACME', phone: '(415) 555-0101', country: 'US' },
    ],
    [
      { email: 'maria.garcia@globex.com', firstName: 'Maria', lastName: 'Garcia', company: 'Globex' },
      // A mailbox of the names at another domain is no evidence by itself (namesakes share it): the
      // employer written on the personal-address record is.
      { email: 'maria.garcia@gmail.com', firstName: 'María', lastName: 'García', company: 'Globex Corp', city: 'Madrid' },
    ],
    [
      { email: 'jchen@initech.io', firstName: 'Jing', lastName: 'Chen', company: 'Initech', phone: '+442079460011', country: 'GB' },
      { email: 'jing.chen@initech.io', firstName: 'Chen', lastName: 'Jing', company: 'Initech Ltd', phone: '020 7946 0011', country: 'GB' },
    ],
    [
      { email: 'katherine.jones@umbrella.com', firstName: 'Katherine', lastName: 'Jones', company: 'Umbrella' },
      { email: 'katherine.jones@umbrela.com', firstName: 'Kathy', lastName: 'Jones', company: 'Umbrella Corp' },
      { email: 'k.jones@umbrella.com', firstName: 'Katherine', lastName: 'Jonse', company: 'Umbrella', phone: '+16175550199' },
    ],
    [
      { email: 'yamada@example.jp', firstName: '太郎', lastName: '山田', company: 'Example KK' },
      { email: 'taro.yamada@example.jp', firstName: '太郎', lastName: '山田', company: 'Example' },
    ],
  ];
  const singles: object[] = [
    {
      email: 'robert.smith@othercorp.com',
      firstName: 'Robert',
      lastName: 'Smith',
      company: 'Othercorp',
      country: 'GB',
      phone: '+442071234567',
    },
    { email: 'john.doe@acme.com', firstName: 'John', lastName: 'Doe', company: 'Acme' },
    // A namesake of Maria Garcia with the same mailbox at her own employer.
    { email: 'maria.garcia@hooli.com', firstName: 'Maria', lastName: 'Garcia', company: 'Hooli' },
    { email: 'jane.doe@hooli.com', firstName: 'Jane', lastName: 'Doe', company: 'Hooli' },
    { email: 'info@acme.com', company: 'Acme' },
    { email: 'sales@globex.com', company: 'Globex' },
    { email: 'ahmed@example.ae', firstName: 'أحمد', lastName: 'علي' },
    { email: 'mohammed.ali@example.com', firstName: 'Mohammed', lastName: 'Ali', company: 'Example LLC' },
    { email: 'lee.wong@pied.com', firstName: 'Lee', lastName: 'Wong', company: 'Pied Piper' },
  ];
  const expected = new Set<string>();
  let ids: string[][] = [];

  it('a full scan finds exactly the expected pairs (precision and recall 1 on this set)', async () => {
    ids = [];
    for (const g of groups) ids.push(await Promise.all(g.map((b) => create(b))));
    for (const s of singles) await create(s);
    for (const g of ids)
      for (let i = 0; i < g.length; i++) for (let j = i + 1; j < g.length; j++) expected.add(pairKey(g[i] ?? '', g[j] ?? ''));
    const scan = await startScan(ctx(), systemActor(ws, 'test'), 'contact');
    const done = await scanAndMerge(ctx(), ws, scan.id);
    expect(done).toMatchObject({ status: 'done', phase: 'done' });
    expect(done.stats).toMatchObject({ records: groups.flat().length + singles.length });
    const found = (await pairs()).data;
    const got = new Set(found.map((p) => pairKey(...p.ids)));
    expect(
      [...got].filter((k) => !expected.has(k)),
      'false positives',
    ).toEqual([]);
    expect(
      [...expected].filter((k) => !got.has(k)),
      'missed pairs',
    ).toEqual([]);
    // Each pair explains itself: fields, levels and weights that add up (with the prior) to the probability.
    for (const p of found) {
      const w = p.reasons.reduce((s, r) => s + r.weight, Math.log2(0.05 / 0.95));
      expect(Math.abs(1 / (1 + 2 ** -w) - p.probability)).toBeLessThan(0.01);
      expect(p.status).toBe('open');
    }
    // The scan is visible with its counts.
    const scans = json<{ data: { id: string; status: string }[] }>(await call('GET', '/api/v1/duplicates/scans?object=contact'));
    expect(scans.data[0]).toMatchObject({ id: scan.id, status: 'done' });
    // A second scan while one runs is refused.
    const again = await startScan(ctx(), systemActor(ws, 'test'), 'contact');
    await expect(startScan(ctx(), systemActor(ws, 'test'), 'contact')).rejects.toThrow(/already running/);
    await scanAndMerge(ctx(), ws, again.id);
    expect(new Set((await pairs()).data.map((p) => pairKey(...p.ids)))).toEqual(got);
  });

  it("writes the incremental matcher's keys, in one hash, and none for a record gone during the scan", async () => {
    const db = t.db.handle.db;
    const keysOf = async () => {
      const rows = await db.selectFrom('dedupe_keys').select(['record_id', 'key']).where('workspace_id', '=', ws).execute();
      const m = new Map<string, string[]>();
      for (const r of rows) m.set(r.record_id, [...(m.get(r.record_id) ?? []), String(r.key)].sort());
      return m;
    };
    const all = ids.flat();
    const recs = await loadMatchRecords(db, ws, 'contact', { ids: all });
    const scanned = await keysOf();
    for (const r of recs)
      expect(scanned.get(r.id), r.email ?? '').toEqual([...new Set(blockingKeys('contact', r).map((k) => String(hash40(k))))].sort());
    // The incremental matcher writes the same keys for the same records.
    await db.transaction().execute((trx) => rematch(trx, t.clock, ws, 'contact', all));
    expect(await keysOf()).toEqual(scanned);
    await expect(rematch(db, t.clock, ws, 'contact', all)).rejects.toThrow(/transaction/);
    // While a scan runs: a record merged away (soft-deleted, its keys dropped) does not get its keys
    // back; a record whose email changes and one created wait in the queue until the scan has
    // written its keys, then the incremental matcher keys them as they are now.
    const keysNow = (r: Parameters<typeof blockingKeys>[1]) =>
      [...new Set(blockingKeys('contact', r).map((k) => String(hash40(k))))].sort();
    const gone = ids[2]?.[1] ?? '';
    const changed = ids[3]?.[0] ?? '';
    const [oldEmail] = (await loadMatchRecords(db, ws, 'contact', { ids: [changed] })).map((r) => r.email);
    let created = '';
    const scan = await startScan(ctx(), systemActor(ws, 'test'), 'contact');
    await runScan(ctx(), ws, scan.id, async (p) => {
      if (p.phase !== 'candidates') return;
      await db.updateTable('contacts').set({ deleted_at: t.clock.now() }).where('id', '=', gone).execute();
      await db.deleteFrom('dedupe_keys').where('record_id', '=', gone).execute();
      const r = await call('PATCH', `/api/v1/contacts/${changed}`, { email: 'kathy.j@umbrella-mail.com' });
      expect(r.statusCode, r.body).toBe(200);
      created = await create({ email: 'new.person@initech.io', firstName: 'New', lastName: 'Person', company: 'Initech' });
      await drain();
    });
    expect((await keysOf()).has(gone)).toBe(false);
    const queued = await db.selectFrom('dedupe_queue').select('record_id').where('workspace_id', '=', ws).execute();
    expect(queued.map((q) => q.record_id)).toEqual(expect.arrayContaining([changed, created]));
    await drain();
    const afterDrain = await keysOf();
    for (const r of await loadMatchRecords(db, ws, 'contact', { ids: [changed, created] }))
      expect(afterDrain.get(r.id), r.email ?? '').toEqual(keysNow(r));
    expect(afterDrain.has(gone)).toBe(false);
    // Put back as it was: the next tests read these records.
    await db.updateTable('contacts').set({ deleted_at: null }).where('id', '=', gone).execute();
    expect((await call('PATCH', `/api/v1/contacts/${changed}`, { email: oldEmail })).statusCode).toBe(200);
    expect((await call('DELETE', `/api/v1/contacts/${created}`)).statusCode).toBeLessThan(300);
    await drain();
    await scanAndMerge(ctx(), ws, (await startScan(ctx(), systemActor(ws, 'test'), 'contact')).id);
    expect(await keysOf()).toEqual(scanned);
  });

  it('pages the queue by cursor, most likely first', async () => {
    const all = (await pairs()).data;
    const first = await pairs('object=contact&limit=2');
    expect(first.data.length).toBe(2);
    const second = await pairs(`object=contact&limit=200&cursor=${first.nextCursor}`);
    expect([...first.data, ...second.data].map((p) => pairKey(...p.ids))).toEqual(all.map((p) => pairKey(...p.ids)));
    const probs = all.map((p) => p.probability);
    expect([...probs].sort((a, b) => b - a)).toEqual(probs);
    expect((await call('GET', '/api/v1/duplicates?cursor=bm9wZQ')).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/duplicates?object=lead')).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/duplicates', undefined, viewerKey)).statusCode).toBe(200);
    // Another workspace sees none of them.
    expect((await pairs('object=contact', otherKey)).data).toEqual([]);
  });

  it('finds a new duplicate on write, and drops the pair when the record changes away', async () => {
    const a = ids[4]?.[0] ?? '';
    const c = await create({ email: 'yamada.taro@example.jp', firstName: '太郎', lastName: '山田', company: 'Example K.K.' });
    await drain();
    const mine = json<{ data: Pair[] }>(await call('GET', `/api/v1/contacts/${c}/duplicates`)).data;
    expect(mine.map((p) => pairKey(...p.ids))).toContain(pairKey(a, c));
    const r = await call('PATCH', `/api/v1/contacts/${c}`, {
      email: 'someone.else@other.org',
      firstName: 'Zed',
      lastName: 'Quux',
      company: 'Other',
    });
    expect(r.statusCode, r.body).toBe(200);
    await drain();
    expect(json<{ data: Pair[] }>(await call('GET', `/api/v1/contacts/${c}/duplicates`)).data).toEqual([]);
  });

  it('dismisses a pair for good', async () => {
    const [a, b] = ids[1] ?? [];
    const r = await call('POST', '/api/v1/duplicates/dismiss', { object: 'contact', ids: [b, a] });
    expect(r.statusCode, r.body).toBe(200);
    expect(json(r)).toMatchObject({ status: 'dismissed' });
    await call('PATCH', `/api/v1/contacts/${a}`, { city: 'Sevilla' });
    await drain();
    const p = (await pairs()).data.find((x) => pairKey(...x.ids) === pairKey(a ?? '', b ?? ''));
    expect(p?.status).toBe('dismissed');
    expect((await call('POST', '/api/v1/duplicates/dismiss', { object: 'contact', ids: [a, b] }, viewerKey)).statusCode).toBe(403);
    expect((await call('POST', '/api/v1/duplicates/dismiss', { object: 'contact', ids: [a, a] })).statusCode).toBe(400);
  });
});

describe('merge and undo', () => {
  async function state(ids: string[]) {
    const db = t.db.handle.db;
    const rows = await sql<
      Record<string, unknown>
    >`select to_jsonb(c.*) - 'version' - 'updated_at' - 'search' as row from contacts c where id = any(${ids}::uuid[]) order by id`.execute(
      db,
    );
    const lm =
      await sql`select list_id, contact_id, added_by from list_members where contact_id = any(${ids}::uuid[]) order by 1, 2`.execute(db);
    const lists = await sql`select id, member_count from lists where workspace_id = ${ws} order by id`.execute(db);
    const cs =
      await sql`select contact_id, purpose, status, source, changed_at from consents where contact_id = any(${ids}::uuid[]) order by 1, 2`.execute(
        db,
      );
    const ce = await sql`select id, contact_id from consent_events where contact_id = any(${ids}::uuid[]) order by 1`.execute(db);
    const ext = await sql`select record_id, key, value from external_ids where record_id = any(${ids}::uuid[]) order by 1, 2`.execute(db);
    const pr = await sql`select id, contact_id from profiles where contact_id = any(${ids}::uuid[]) order by 1`.execute(db);
    const ac = await sql`select account_id, contact_id from account_contacts where contact_id = any(${ids}::uuid[]) order by 1, 2`.execute(
      db,
    );
    return { rows: rows.rows, lm: lm.rows, lists: lists.rows, cs: cs.rows, ce: ce.rows, ext: ext.rows, pr: pr.rows, ac: ac.rows };
  }

  it('moves everything to the survivor by survivorship rules, and undo restores exactly', async () => {
    const acct = json<{ id: string }>(await call('POST', '/api/v1/accounts', { name: 'Vandelay Industries', domain: 'vandelay.com' })).id;
    const acct2 = json<{ id: string }>(await call('POST', '/api/v1/accounts', { name: 'Kramerica', domain: 'kramerica.com' })).id;
    const s = await create({
      email: 'art.vandelay@vandelay.com',
      firstName: 'Art',
      lastName: 'Vandelay',
      title: 'Importer',
      externalIds: { crm_id: 'CRM-1' },
    });
    const l = await create({
      email: 'art@vandelay-imports.com',
      firstName: 'Arthur',
      lastName: 'Vandelay',
      phone: '+12125550123',
      title: 'Importer/Exporter',
      externalIds: { map_id: 'MAP-9' },
    });
    const list1 = json<{ id: string }>(await call('POST', '/api/v1/lists', { name: 'Both on it' })).id;
    const list2 = json<{ id: string }>(await call('POST', '/api/v1/lists', { name: 'Loser only' })).id;
    await call('POST', `/api/v1/lists/${list1}/members/add`, { contactIds: [s, l] });
    await call('POST', `/api/v1/lists/${list2}/members/add`, { contactIds: [l] });
    expect(
      (
        await call('POST', `/api/v1/contacts/${s}/consents`, {
          purpose: 'email_marketing',
          status: 'granted',
          source: 'form',
          at: '2026-01-01T00:00:00Z',
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (await call('POST', `/api/v1/contacts/${l}/consents`, { purpose: 'email_marketing', status: 'withdrawn', source: 'unsubscribe' }))
        .statusCode,
    ).toBe(201);
    expect(
      (await call('POST', `/api/v1/contacts/${l}/consents`, { purpose: 'tracking', status: 'granted', source: 'banner' })).statusCode,
    ).toBe(201);
    expect((await call('POST', `/api/v1/accounts/${acct}/contacts`, { contactId: l })).statusCode).toBeLessThan(300);
    expect((await call('POST', `/api/v1/accounts/${acct2}/contacts`, { contactId: l })).statusCode).toBeLessThan(300);
    expect((await call('POST', `/api/v1/accounts/${acct}/contacts`, { contactId: s })).statusCode).toBeLessThan(300);
    const db = t.db.handle.db;
    const now = new Date();
    const prof = newId();
    await db
      .insertInto('profiles')
      .values({ id: prof, workspace_id: ws, contact_id: l, traits: '{}', first_seen_at: now, last_seen_at: now })
      .execute();
    const before = await state([s, l]);

    const preview = await call('POST', `/api/v1/contacts/${s}/merge/preview`, { from: [l] });
    expect(preview.statusCode, preview.body).toBe(200);
    const fields = json<{ fields: { field: string; chosen: string; value: unknown; rule: string }[] }>(preview).fields;
    expect(fields.find((f) => f.field === 'email')).toMatchObject({ chosen: s, value: 'art.vandelay@vandelay.com', rule: 'survivor' });
    expect(fields.find((f) => f.field === 'firstName')).toMatchObject({ chosen: l, value: 'Arthur', rule: 'most_complete' });
    expect(fields.find((f) => f.field === 'phone')).toMatchObject({ chosen: l, value: '+12125550123' });
    expect(await state([s, l])).toEqual(before);

    const m = await call('POST', `/api/v1/contacts/${s}/merge`, { from: [l], fields: { title: s } });
    expect(m.statusCode, m.body).toBe(200);
    const merge = json<{ id: string; survivorId: string; from: string[]; canUndo: boolean; moved: Record<string, number> }>(m);
    expect(merge).toMatchObject({ survivorId: s, from: [l], canUndo: true });
    const sv = json<Record<string, unknown>>(await call('GET', `/api/v1/contacts/${s}`));
    expect(sv).toMatchObject({ email: 'art.vandelay@vandelay.com', firstName: 'Arthur', phone: '+12125550123', title: 'Importer' });
    expect(sv.externalIds).toEqual({ crm_id: 'CRM-1', map_id: 'MAP-9' });
    expect(json(await call('GET', `/api/v1/contacts/${l}`)).deletedAt).not.toBeNull();
    const after = await state([s, l]);
    expect(after.pr).toEqual([{ id: prof, contact_id: s }]);
    expect(after.lm.map((x) => (x as { contact_id: string }).contact_id)).toEqual([s, s].slice(0, after.lm.length));
    expect(after.lm.length).toBe(2);
    // The newer withdrawal wins over the older grant; tracking consent comes over.
    // (The merged record keeps its own rows, soft-deleted with it, for undo.)
    expect(after.cs.filter((c) => (c as { contact_id: string }).contact_id === s)).toEqual([
      expect.objectContaining({ contact_id: s, purpose: 'email_marketing', status: 'withdrawn' }),
      expect.objectContaining({ contact_id: s, purpose: 'tracking', status: 'granted' }),
    ]);
    expect(after.ac.length).toBe(2);
    // The timeline shows the merge; the audit log holds both sides.
    const audit = json<{ data: { action: string }[] }>(await call('GET', `/api/v1/audit?entityId=${s}`));
    expect(audit.data.map((a) => a.action)).toContain('contact.merged');
    const tlr = await call('GET', `/api/v1/contacts/${s}/timeline?limit=50`);
    expect(tlr.statusCode, tlr.body).toBe(200);
    const timeline = json<{ data: { action: string }[] }>(tlr);
    expect(timeline.data.filter((e) => e.action === 'contact.created').length).toBe(2);
    expect(timeline.data.map((e) => e.action)).toContain('contact.merged_into');
    // Merging again, or the other way round, is refused clearly.
    const again = await call('POST', `/api/v1/contacts/${s}/merge`, { from: [l] });
    expect(again.statusCode).toBe(409);
    expect(json<{ detail: string }>(again).detail).toMatch(/already merged/);
    expect((await call('POST', `/api/v1/contacts/${l}/merge`, { from: [s] })).statusCode).toBe(409);

    const u = await call('POST', `/api/v1/merges/${merge.id}/undo`);
    expect(u.statusCode, u.body).toBe(200);
    expect(json(u)).toMatchObject({ canUndo: false, kept: [] });
    expect(await state([s, l])).toEqual(before);
    expect((await call('POST', `/api/v1/merges/${merge.id}/undo`)).statusCode).toBe(409);
    const list = json<{ data: { id: string; undoneAt: string | null }[] }>(await call('GET', `/api/v1/merges?recordId=${l}`));
    expect(list.data[0]).toMatchObject({ id: merge.id });
    expect(list.data[0]?.undoneAt).not.toBeNull();
  });

  it('keeps a survivor value changed after the merge when undoing, and says so', async () => {
    const s = await create({ email: 'k1@kept.example', firstName: 'Kim' });
    const l = await create({ email: 'k2@kept.example', firstName: 'Kimberly', city: 'Oslo' });
    const merge = json<{ id: string }>(await call('POST', `/api/v1/contacts/${s}/merge`, { from: [l] }));
    expect((await call('PATCH', `/api/v1/contacts/${s}`, { city: 'Bergen' })).statusCode).toBe(200);
    const u = json<{ kept: string[] }>(await call('POST', `/api/v1/merges/${merge.id}/undo`));
    expect(u.kept).toEqual(['city']);
    expect(json(await call('GET', `/api/v1/contacts/${s}`))).toMatchObject({ firstName: 'Kim', city: 'Bergen' });
    expect(json(await call('GET', `/api/v1/contacts/${l}`))).toMatchObject({ firstName: 'Kimberly', city: 'Oslo' });
  });

  it('lets only one of two concurrent merges of the same pair through', async () => {
    const a = await create({ email: 'race.a@race.example', firstName: 'Race' });
    const b = await create({ email: 'race.b@race.example', firstName: 'Race' });
    const rs = await Promise.all([
      call('POST', `/api/v1/contacts/${a}/merge`, { from: [b] }),
      call('POST', `/api/v1/contacts/${b}/merge`, { from: [a] }),
    ]);
    expect(rs.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const live = await sql<{ n: string }>`select count(*) as n from contacts where id in (${a}, ${b}) and deleted_at is null`.execute(
      t.db.handle.db,
    );
    expect(Number(live.rows[0]?.n)).toBe(1);
  });

  it('rejects bad merge requests with problem+json and changes nothing', async () => {
    const a = await create({ email: 'bad.a@bad.example' });
    const b = await create({ email: 'bad.b@bad.example' });
    const before = await state([a, b]);
    const bad: [object, number][] = [
      [{ from: [a] }, 400],
      [{ from: [] }, 400],
      [{ from: ['not-a-uuid'] }, 400],
      [{ from: [b], extra: 1 }, 400],
      [{ from: [b], fields: { nope: a } }, 400],
      [{ from: [b], fields: { email: newId() } }, 400],
      [{ from: [newId()] }, 404],
      [{ from: Array.from({ length: 21 }, () => newId()) }, 400],
    ];
    for (const [body, code] of bad) {
      const r = await call('POST', `/api/v1/contacts/${a}/merge`, body);
      expect(r.statusCode, JSON.stringify(body)).toBe(code);
      expect(r.headers['content-type']).toMatch(/problem\+json/);
    }
    // Another workspace's record is not found.
    expect((await call('POST', `/api/v1/contacts/${a}/merge`, { from: [b] }, otherKey)).statusCode).toBe(404);
    expect((await call('POST', `/api/v1/contacts/${a}/merge`, { from: [b] }, viewerKey)).statusCode).toBe(403);
    expect(await state([a, b])).toEqual(before);
    expect((await call('POST', `/api/v1/merges/${newId()}/undo`)).statusCode).toBe(404);
  });

  it('arbitrary JSON bodies never crash a merge, dismiss or settings route, nor change anything (property)', async () => {
    const a = await create({ email: 'fuzz.a@fuzz.example', firstName: 'Fuzz' });
    const b = await create({ email: 'fuzz.b@fuzz.example', firstName: 'Fuzz' });
    const before = await state([a, b]);
    const settingsBefore = (await call('GET', '/api/v1/duplicates/settings?object=contact')).body;
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constantFrom(
          `/api/v1/contacts/${a}/merge`,
          `/api/v1/contacts/${a}/merge/preview`,
          '/api/v1/duplicates/dismiss',
          '/api/v1/duplicates/settings',
        ),
        async (body, url) => {
          const res = await t.app.inject({
            method: url.endsWith('settings') ? 'PATCH' : 'POST',
            url,
            headers: { ...bearer(key), 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          });
          expect(res.statusCode, `${url} ${JSON.stringify(body)} -> ${res.body}`).toBeLessThan(500);
          expect([400, 404, 409]).toContain(res.statusCode);
        },
      ),
      { numRuns: 120 },
    );
    expect(await state([a, b])).toEqual(before);
    expect((await call('GET', '/api/v1/duplicates/settings?object=contact')).body).toBe(settingsBefore);
  });

  it('merges accounts: their contacts move to the survivor, and back on undo', async () => {
    const a = json<{ id: string }>(await call('POST', '/api/v1/accounts', { name: 'Pendant Publishing', domain: 'pendant.com' })).id;
    const b = json<{ id: string }>(
      await call('POST', '/api/v1/accounts', { name: 'Pendant Publishing Inc', domain: 'pendantpub.com', industry: 'Media' }),
    ).id;
    const c = await create({ email: 'elaine@pendantpub.com', accountId: b });
    const m = json<{ id: string }>(await call('POST', `/api/v1/accounts/${a}/merge`, { from: [b] }));
    expect(json(await call('GET', `/api/v1/contacts/${c}`))).toMatchObject({ accountId: a });
    expect(json(await call('GET', `/api/v1/accounts/${a}`))).toMatchObject({ industry: 'Media', domain: 'pendant.com' });
    expect((await call('POST', `/api/v1/merges/${m.id}/undo`)).statusCode).toBe(200);
    expect(json(await call('GET', `/api/v1/contacts/${c}`))).toMatchObject({ accountId: b });
  });
});

describe('auto-merge and settings', () => {
  it('is off by default; once on, a near-certain duplicate merges on its own and stays listed as auto_merged', async () => {
    const s = json<{ autoMerge: boolean; reviewThreshold: number }>(await call('GET', '/api/v1/duplicates/settings?object=contact'));
    expect(s).toMatchObject({ autoMerge: false, reviewThreshold: 0.75 });
    expect((await call('PATCH', '/api/v1/duplicates/settings', { object: 'contact', autoMerge: true }, viewerKey)).statusCode).toBe(403);
    expect(
      (await call('PATCH', '/api/v1/duplicates/settings', { object: 'contact', reviewThreshold: 0.99, autoMergeThreshold: 0.9 }))
        .statusCode,
    ).toBe(400);
    expect((await call('PATCH', '/api/v1/duplicates/settings', { object: 'contact', bogus: true })).statusCode).toBe(400);
    expect(
      (await call('PATCH', '/api/v1/duplicates/settings', { object: 'contact', autoMerge: true, autoMergeThreshold: 0.99 })).statusCode,
    ).toBe(200);
    const a = await create({
      email: 'newman@usps.example',
      firstName: 'Newman',
      lastName: 'Postal',
      phone: '+12125550999',
      company: 'USPS',
    });
    await drain();
    const b = await create({
      email: 'newman.postal@gmail.com',
      firstName: 'Newman',
      lastName: 'Postal',
      phone: '212-555-0999',
      company: 'USPS',
    });
    await drain();
    const p = (await pairs('object=contact&status=auto_merged')).data.find((x) => pairKey(...x.ids) === pairKey(a, b));
    expect(p).toMatchObject({ status: 'auto_merged' });
    expect(p?.probability).toBeGreaterThanOrEqual(0.99);
    expect(json(await call('GET', `/api/v1/contacts/${b}`)).deletedAt).not.toBeNull();
    await call('PATCH', '/api/v1/duplicates/settings', { object: 'contact', autoMerge: false });
  });

  it('estimates weights from the workspace data and can save them', async () => {
    const r = await call('POST', '/api/v1/duplicates/estimate', { object: 'contact', sample: 1000, save: true });
    expect(r.statusCode, r.body).toBe(200);
    const e = json<{ pairs: number; saved: boolean; weights: Record<string, Record<string, number>> }>(r);
    expect(e.saved).toBe(true);
    expect(e.pairs).toBeGreaterThan(19);
    // Learnt from this workspace: agreeing first names count for, disagreeing ones against.
    expect(e.weights.firstName?.exact).toBeGreaterThan(0);
    expect(e.weights.firstName?.diff).toBeLessThan(0);
    const s = json<{ model: unknown }>(await call('GET', '/api/v1/duplicates/settings?object=contact'));
    expect(s.model).not.toBeNull();
    await call('PATCH', '/api/v1/duplicates/settings', { object: 'contact', model: null });
  });
});

describe('duplicates: a bulk backlog becomes a full scan', () => {
  it('hands a workspace whose queue is over the limit to one full scan, and the scan empties its queue', async () => {
    const w = await makeWorkspace(t, 'Bulk');
    const k = await makeApiKey(t, w, 'admin');
    for (let i = 0; i < 12; i++) await create({ email: `bulk${i}@example.org`, firstName: `Bulk${i}`, lastName: 'Person' }, k);
    const queued = async () =>
      Number(
        (await sql<{ n: string }>`select count(*) as n from dedupe_queue where workspace_id = ${w.id}`.execute(t.db.handle.db)).rows[0]?.n,
      );
    expect(await queued()).toBe(12);
    // Jobs can be queued (pg-boss's tables), none run here: the test runs the scan itself.
    await t.jobs.start({ worker: false });
    const jc = { ...ctx(), jobs: t.jobs };
    // Over 20 queued: not yet a backlog.
    expect(await scanBacklogs(jc, 20)).toEqual([]);
    // A queue that fails leaves no scan marked running (scan and job are written together).
    const broken = { enqueue: async (): Promise<string> => Promise.reject(new Error('queue down')) };
    await expect(scanBacklogs({ ...ctx(), jobs: broken }, 10)).rejects.toThrow('queue down');
    const scans = async () =>
      (await sql<{ status: string }>`select status from dedupe_scans where workspace_id = ${w.id}`.execute(t.db.handle.db)).rows;
    expect(await scans()).toEqual([]);
    const started = await scanBacklogs(jc, 10);
    expect(started).toHaveLength(1);
    const job = await sql<{ n: string }>`select count(*) as n from pgboss.job
      where name = 'dedupe.scan' and data->>'scanId' = ${started[0] ?? ''}`.execute(t.db.handle.db);
    expect(Number(job.rows[0]?.n)).toBe(1);
    // One at a time: a scan is already running.
    expect(await scanBacklogs(jc, 10)).toEqual([]);
    const done = await scanAndMerge(ctx(), w.id, started[0] as string);
    expect(done).toMatchObject({ status: 'done', stats: expect.objectContaining({ records: 12 }) });
    expect(await queued()).toBe(0);
  });
});
