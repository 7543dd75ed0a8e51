import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { newId } from '../../platform/ids.js';
import { bearer, createTestApp, fixedClock, json, makeApiKey, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import { importFromCli } from '../imports/cli-data.service.js';
import type { ContactQuality, QualitySnapshot, QualitySummary } from './quality.schema.js';
import { snapshotAllWorkspaces } from './quality-score.service.js';

const DAY = 86_400_000;
const T0 = new Date('2026-01-01T09:00:00Z');
const clock = fixedClock(T0);
let t: TestApp;
let key: string;
let viewerKey: string;
let ws: string;
/** The hand-built contacts by name. */
const id: Record<string, string> = {};

const call = (method: string, url: string, payload?: object, k = key) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(k), ...(payload && { payload }) });
const summary = async (qs = '') => {
  const res = await call('GET', `/api/v1/quality/summary${qs}`);
  expect(res.statusCode, res.body).toBe(200);
  return json<QualitySummary>(res);
};
const names = (ids: string[]) =>
  ids
    .map((x) => Object.keys(id).find((n) => id[n] === x) ?? x)
    .sort()
    .join(',');
async function listed(filter: unknown, extra = ''): Promise<string[]> {
  const res = await call('GET', `/api/v1/contacts?limit=200&filter=${encodeURIComponent(JSON.stringify(filter))}${extra}`);
  expect(res.statusCode, res.body).toBe(200);
  return json<{ data: { id: string }[] }>(res).data.map((c) => c.id);
}

beforeAll(async () => {
  t = await createTestApp({ clock });
  const w = await makeWorkspace(t);
  ws = w.id;
  key = await makeApiKey(t, w, 'admin');
  viewerKey = await makeApiKey(t, w, 'viewer');
  const owner = await makeUser(t, w, 'sales');
  const account = json<{ id: string }>(
    await call('POST', '/api/v1/accounts', { name: 'Acme', domain: 'acme-robotics.de', industry: 'Robots' }),
  );
  await call('POST', '/api/v1/accounts', { name: 'Nameless' });
  await call('POST', '/api/v1/custom-fields', { object: 'contact', label: 'Segment code', type: 'text' });
  const make = async (name: string, body: object) => {
    const res = await call('POST', '/api/v1/contacts', body);
    expect(res.statusCode, res.body).toBe(201);
    id[name] = json<{ id: string }>(res).id;
  };
  const linked = { accountId: account.id, ownerId: owner.id };
  await make('full', {
    email: 'ada@acme-robotics.de',
    firstName: 'Ada',
    lastName: 'Lovelace',
    phone: '+49 30 1234567',
    title: 'CTO',
    company: 'Acme',
    country: 'DE',
    custom: { segment_code: 'A1' },
    ...linked,
  });
  await make('typo', {
    email: 'bob@gmial.com',
    firstName: 'Bob',
    lastName: 'Typo',
    phone: '+33 1 23 45 67 89',
    title: 'CMO',
    company: 'Acme',
    country: 'FR',
    ...linked,
  });
  await make('emailOnly', { email: 'eve@example.com', custom: { segment_code: 'B2' } });
  await make('messy', { email: 'tmp@mailinator.com', firstName: 'Tim', phone: '555 0132', country: 'Atlantis' });
  await make('partial', { email: 'pat@example.org', firstName: 'Pat', lastName: 'Doe', phone: '123', country: 'France' });
  await make('legacy', { email: 'legacy@example.com' });
  await make('gone', { email: 'gone@mailinator.com' });
  // An address from before the write paths validated emails: set under the API.
  await sql`update contacts set email = 'legacy at example.com' where id = ${id.legacy}`.execute(t.db.handle.db);
  expect((await call('DELETE', `/api/v1/contacts/${id.gone}`)).statusCode).toBe(200);

  // 200 days later: a title changes by the API, a company by an import, a bounce is recorded,
  // one contact only shows up in tracking (an event, no update).
  clock.advance(200 * DAY);
  expect((await call('PATCH', `/api/v1/contacts/${id.full}`, { title: 'VP Engineering' })).statusCode).toBe(200);
  expect((await call('PATCH', `/api/v1/contacts/${id.emailOnly}`, { traits: { email_bounced: true } })).statusCode).toBe(200);
  const file = path.join(t.config.filesDir, 'companies.csv');
  await writeFile(file, 'Email,Company\nbob@gmial.com,Globex\n');
  const input = { object: 'contact' as const, file, mode: 'upsert' as const, dryRun: false, dateFormat: 'auto' as const };
  const ctx = { db: t.db.handle.db, clock: t.clock, filesDir: t.config.filesDir };
  expect(await importFromCli(ctx, systemActor(ws, 'test'), input)).toMatchObject({ updated: 1 });
  const profile = newId();
  const now = clock.now();
  await t.db.handle.db
    .insertInto('profiles')
    .values({ id: profile, workspace_id: ws, contact_id: id.partial, traits: '{}', first_seen_at: now, last_seen_at: now })
    .execute();
  await t.db.handle.db
    .insertInto('events')
    .values({
      id: newId(),
      workspace_id: ws,
      source_id: newId(),
      profile_id: profile,
      type: 'track',
      event: 'Visited',
      message_id: 'q-1',
      ts: new Date(now.getTime() - 2 * DAY),
      received_at: now,
      properties: '{}',
      traits: '{}',
      context: '{}',
    })
    .execute();
});
afterAll(async () => t?.close());

describe('record scores', () => {
  it('scores hand-built contacts as computed by hand (completeness x validity)', async () => {
    const q = async (name: string) => json<ContactQuality>(await call('GET', `/api/v1/contacts/${id[name]}/quality`));
    // Every key field filled, every value right.
    expect(await q('full')).toMatchObject({ score: 100, completeness: 100, validity: 100, missing: [], invalid: [] });
    // Complete, email mistyped: validity (25 phone + 25 country) / 100 = 50; score 100 x 50 / 100.
    const typo = await q('typo');
    expect(typo).toMatchObject({ score: 50, completeness: 100, validity: 50 });
    expect(typo.invalid).toEqual([
      { field: 'email', problem: 'emailTypo', label: 'Email domain looks mistyped', detail: 'Did you mean bob@gmail.com?' },
    ]);
    // The email alone (20), and it is right.
    const only = await q('emailOnly');
    expect(only).toMatchObject({ score: 20, completeness: 20, validity: 100 });
    expect(only.missing.map((m) => m.field)).toEqual([
      'firstName',
      'lastName',
      'phone',
      'title',
      'company',
      'country',
      'accountId',
      'ownerId',
    ]);
    expect(only.stale).toEqual([{ problem: 'bounced', label: 'Email bounced', since: null }]);
    // Email 20 + first name 10 + phone 10 + country 10 = 50; disposable email, unreadable phone and country: validity 0.
    const messy = await q('messy');
    expect(messy).toMatchObject({ score: 0, completeness: 50, validity: 0 });
    expect(messy.invalid.map((i) => i.problem)).toEqual(['disposableEmail', 'phoneUnreadable', 'countryUnreadable']);
    expect(messy.invalid[1]?.detail).toBe('no country to read it in');
    expect(messy.stale).toEqual([{ problem: 'noActivity', label: expect.any(String), since: T0.toISOString() }]);
    // 20 + 10 + 10 + 10 + 10 = 60; email 50 + country 25 right of 100: 75; 60 x 75 / 100 = 45.
    expect(await q('partial')).toMatchObject({ score: 45, completeness: 60, validity: 75, stale: [] });
    const legacy = await q('legacy');
    expect(legacy).toMatchObject({ score: 0, completeness: 20, validity: 0 });
    expect(legacy.problems).toContain('invalidEmail');
    const full = await q('full');
    expect(full.stale).toEqual([{ problem: 'jobChanged', label: expect.any(String), since: clock.now().toISOString() }]);
    expect(full.lastActivityAt).toBe(clock.now().toISOString());
    // A longer job window, a shorter stale window: the same record, other stale reasons.
    expect((await q('partial')).lastActivityAt).toBe(new Date(clock.now().getTime() - 2 * DAY).toISOString());
    const strict = json<ContactQuality>(await call('GET', `/api/v1/contacts/${id.partial}/quality?staleDays=1&jobChangeDays=5`));
    expect(strict.stale.map((s) => s.problem)).toEqual(['noActivity']);
  });

  it('answers 404 for a deleted or unknown contact and 400 for a bad window', async () => {
    expect((await call('GET', `/api/v1/contacts/${id.gone}/quality`)).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/contacts/01900000-0000-7000-8000-000000000000/quality`)).statusCode).toBe(404);
    for (const qs of ['staleDays=-1', 'staleDays=0', 'jobChangeDays=abc', 'staleDays=1.5', 'other=1']) {
      const res = await call('GET', `/api/v1/contacts/${id.full}/quality?${qs}`);
      expect(res.statusCode, qs).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });
});

describe('workspace summary', () => {
  it('counts problems, bands and fill rates of the live contacts', async () => {
    const s = await summary();
    expect(s).toMatchObject({ contacts: 6, accounts: 2, stale: { contacts: 5, staleDays: 180, jobChangeDays: 90 } });
    // Scores 100, 50, 20, 0, 45, 0; completeness 100, 100, 20, 50, 60, 20; validity 100, 50, 100, 0, 75, 0.
    expect(s.score).toBe(35.8);
    expect(s.completeness).toBe(58.3);
    expect(s.validity).toBe(54.2);
    const counts = Object.fromEntries(s.problems.map((p) => [p.key, p.count]));
    expect(counts).toEqual({
      missingEmail: 0,
      missingFirstName: 2,
      missingLastName: 3,
      missingPhone: 2,
      missingTitle: 4,
      missingCompany: 4,
      missingCountry: 2,
      noAccount: 4,
      noOwner: 4,
      invalidEmail: 1,
      emailTypo: 1,
      disposableEmail: 1,
      phoneUnreadable: 2,
      countryUnreadable: 1,
      noActivity: 2,
      bounced: 1,
      jobChanged: 2,
    });
    expect(s.problems[0]?.count).toBe(4);
    expect(s.problems.find((p) => p.key === 'noAccount')?.share).toBe(0.6667);
    expect(s.bands.map((b) => b.contacts)).toEqual([2, 1, 2, 0, 1]);
    const fill = Object.fromEntries(s.fillRates.contacts.map((f) => [f.field, [f.filled, f.rate]]));
    expect(fill).toMatchObject({
      email: [6, 1],
      firstName: [4, 0.6667],
      title: [2, 0.3333],
      accountId: [2, 0.3333],
      city: [0, 0],
      'custom.segment_code': [2, 0.3333],
    });
    expect(s.fillRates.contacts.find((f) => f.field === 'custom.segment_code')).toMatchObject({ custom: true, label: 'Segment code' });
    const accounts = Object.fromEntries(s.fillRates.accounts.map((f) => [f.field, f.filled]));
    expect(accounts).toMatchObject({ name: 2, domain: 1, industry: 1, revenue: 0 });
  });

  it('each problem and band clicks through to exactly the contacts it counted', async () => {
    const s = await summary();
    const expected: Record<string, string> = {
      missingEmail: '',
      missingFirstName: 'emailOnly,legacy',
      missingLastName: 'emailOnly,legacy,messy',
      missingTitle: 'emailOnly,legacy,messy,partial',
      noOwner: 'emailOnly,legacy,messy,partial',
      invalidEmail: 'legacy',
      emailTypo: 'typo',
      disposableEmail: 'messy',
      phoneUnreadable: 'messy,partial',
      countryUnreadable: 'messy',
      noActivity: 'legacy,messy',
      bounced: 'emailOnly',
      jobChanged: 'full,typo',
    };
    for (const p of s.problems) {
      const ids = await listed(p.filter);
      expect(ids.length, p.key).toBe(p.count);
      if (p.key in expected) expect(names(ids), p.key).toBe(expected[p.key]);
    }
    for (const b of s.bands) expect((await listed(b.filter)).length, `band ${b.from}`).toBe(b.contacts);
    // Another window: the counts and the filters move together.
    const narrow = await summary('?staleDays=1&jobChangeDays=1');
    const stale = narrow.problems.find((p) => p.key === 'noActivity');
    expect(stale?.count).toBe(3);
    expect(names(await listed(stale?.filter))).toBe('legacy,messy,partial');
  });

  it('lists sort by score and filter by score, worst first, page by page', async () => {
    const first = await call('GET', '/api/v1/contacts?sort=quality.score&limit=2');
    const page = json<{ data: { id: string }[]; nextCursor: string }>(first);
    expect(names(page.data.map((c) => c.id))).toBe('legacy,messy');
    const next = json<{ data: { id: string }[] }>(
      await call('GET', `/api/v1/contacts?sort=quality.score&limit=2&cursor=${page.nextCursor}`),
    );
    expect(names(next.data.map((c) => c.id))).toBe('emailOnly,partial');
    expect(names(await listed([{ field: 'quality.score', op: 'gte', value: 50 }]))).toBe('full,typo');
    expect(names(await listed([{ field: 'quality.completeness', op: 'lt', value: 50 }]))).toBe('emailOnly,legacy');
    for (const bad of [
      [{ field: 'quality.nope', op: 'eq', value: true }],
      [{ field: 'quality.score', op: 'gt', value: 'high' }],
      [{ field: 'quality.lastActivityAt', op: 'lt', value: 'yesterday' }],
    ]) {
      const res = await call('GET', `/api/v1/contacts?filter=${encodeURIComponent(JSON.stringify(bad))}`);
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    // quality.* belongs to contacts.
    const acc = await call(
      'GET',
      `/api/v1/accounts?filter=${encodeURIComponent(JSON.stringify([{ field: 'quality.score', op: 'gt', value: 1 }]))}`,
    );
    expect(acc.statusCode).toBe(400);
  });

  it('refuses bad windows', async () => {
    for (const qs of ['?staleDays=-5', '?jobChangeDays=0', '?staleDays=99999', '?unknown=1']) {
      const res = await call('GET', `/api/v1/quality/summary${qs}`);
      expect(res.statusCode, qs).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });
});

describe('history', () => {
  it('one snapshot per day: the day is replaced, not repeated', async () => {
    const first = await call('POST', '/api/v1/quality/snapshot');
    expect(first.statusCode, first.body).toBe(200);
    const snap = json<QualitySnapshot>(first);
    const today = clock.now().toISOString().slice(0, 10);
    expect(snap).toMatchObject({ day: today, contacts: 6, score: 35.8, counts: { noActivity: 2, emailTypo: 1 } });
    expect((await call('POST', '/api/v1/quality/snapshot', undefined, viewerKey)).statusCode).toBe(403);
    // Later the same day, after a fix: the day's point is the new one.
    clock.advance(3_600_000);
    expect((await call('PATCH', `/api/v1/contacts/${id.typo}`, { email: 'bob@gmail.com' })).statusCode).toBe(200);
    const again = json<QualitySnapshot>(await call('POST', '/api/v1/quality/snapshot'));
    expect(again).toMatchObject({ day: today, counts: { emailTypo: 0 } });
    expect(again.score).toBeGreaterThan(35.8);
    const rows = await t.db.handle.db.selectFrom('quality_snapshots').selectAll().where('workspace_id', '=', ws).execute();
    expect(rows).toHaveLength(1);
    // The daily job takes tomorrow's.
    clock.advance(DAY);
    expect(await snapshotAllWorkspaces({ db: t.db.handle.db, clock })).toBe(1);
    const history = json<{ data: QualitySnapshot[] }>(await call('GET', '/api/v1/quality/history?days=90', undefined, viewerKey));
    expect(history.data.map((h) => h.day)).toEqual([today, clock.now().toISOString().slice(0, 10)]);
    expect(history.data[0]?.score).toBe(again.score);
    expect(json<{ data: QualitySnapshot[] }>(await call('GET', '/api/v1/quality/history?days=1')).data).toHaveLength(1);
    for (const qs of ['days=0', 'days=-3', 'days=x', 'days=5000', 'from=2020-01-01']) {
      const res = await call('GET', `/api/v1/quality/history?${qs}`);
      expect(res.statusCode, qs).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('defines the daily jobs', () => {
    expect(t.jobs.definitions()).toEqual(expect.arrayContaining(['quality.snapshot', 'quality.retention']));
  });
});
