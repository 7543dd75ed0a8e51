import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { drainQueue, rebuildBuilding } from '../segments/segments.membership.js';

let t: TestApp;
let key: string;
let contact: string;
let other: string;

const call = (method: string, url: string, payload?: object) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(key), ...(payload && { payload }) });
const give = (id: string, body: object) =>
  call('POST', `/api/v1/contacts/${id}/consents`, { purpose: 'email_marketing', source: 'form:newsletter', ...body });

beforeAll(async () => {
  t = await createTestApp();
  const w = await makeWorkspace(t);
  key = await makeApiKey(t, w, 'admin');
  contact = json<{ id: string }>(await call('POST', '/api/v1/contacts', { email: 'consent@example.com' })).id;
  other = json<{ id: string }>(await call('POST', '/api/v1/contacts', { email: 'other@example.com' })).id;
});
afterAll(async () => t?.close());

describe('consent', () => {
  it('records consent with double opt-in, withdrawal, and keeps an older change out of the current state', async () => {
    const asked = await give(contact, { status: 'granted', doubleOptIn: 'pending', text: 'Send me the newsletter', ip: '203.0.113.9' });
    expect(asked.statusCode, asked.body).toBe(201);
    expect(json(asked)).toMatchObject({ applied: true, consent: { status: 'granted', effective: false, doubleOptIn: 'pending' } });
    expect(json(await give(contact, { status: 'granted', doubleOptIn: 'confirmed', source: 'double-opt-in link' }))).toMatchObject({
      consent: { effective: true },
    });
    expect(json(await give(contact, { status: 'withdrawn', source: 'unsubscribe link' }))).toMatchObject({
      consent: { status: 'withdrawn', effective: false },
    });
    // An import of last year's opt-in arrives late: kept in the history, the withdrawal stands.
    const late = await give(contact, { status: 'granted', source: 'import', at: '2025-01-15T10:00:00Z' });
    expect(json(late)).toMatchObject({ applied: false, consent: { status: 'withdrawn' } });
    const all = json<{ current: { purpose: string; status: string }[]; history: { status: string; source: string; ip: string | null }[] }>(
      await call('GET', `/api/v1/contacts/${contact}/consents`),
    );
    expect(all.current).toEqual([expect.objectContaining({ purpose: 'email_marketing', status: 'withdrawn' })]);
    expect(all.history.map((h) => h.source)).toEqual(['unsubscribe link', 'double-opt-in link', 'form:newsletter', 'import']);
    expect(all.history[2]?.ip).toBe('203.0.113.9');
    expect(all.history.map((h) => (h as { applied?: boolean }).applied)).toEqual([true, true, true, false]);
    const audit = json<{ data: { action: string }[] }>(await call('GET', `/api/v1/audit?entityId=${contact}`));
    expect(audit.data.filter((a) => a.action.startsWith('consent.')).length).toBe(4);
    const summary = json<{ data: unknown[] }>(await call('GET', '/api/v1/consents/summary'));
    expect(summary.data).toEqual([{ purpose: 'email_marketing', granted: 0, pending: 0, withdrawn: 1 }]);
  });

  it('refuses bad input with a clear message and changes nothing', async () => {
    for (const body of [
      { status: 'granted', purpose: 'Email Marketing' },
      { status: 'maybe' },
      { status: 'granted', lawfulBasis: 'because' },
      { status: 'granted', at: '2999-01-01T00:00:00Z' },
      { status: 'granted', extra: 1 },
      { status: 'granted', source: '' },
    ]) {
      const res = await give(other, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await give('01900000-0000-7000-8000-000000000000', { status: 'granted' })).statusCode).toBe(404);
    expect(json<{ current: unknown[] }>(await call('GET', `/api/v1/contacts/${other}/consents`)).current).toEqual([]);
  });

  it('is a segment condition, and a withdrawal takes the contact out of the segment', async () => {
    const seg = json<{ id: string; count: number }>(
      await call('POST', '/api/v1/segments', {
        name: 'Mailable',
        definition: { consent: { purpose: 'email_marketing', state: 'granted' } },
      }),
    );
    expect(seg.count).toBe(0);
    await give(other, { status: 'granted' });
    const db = t.db.handle.db;
    await rebuildBuilding(db, t.clock);
    await drainQueue(db, t.clock);
    const members = async () =>
      (await db.selectFrom('segment_members').select('contact_id').where('segment_id', '=', seg.id).execute()).map((m) => m.contact_id);
    expect(await members()).toEqual([other]);
    await give(other, { status: 'withdrawn', source: 'preference centre' });
    await drainQueue(db, t.clock);
    expect(await members()).toEqual([]);
    const preview = async (state: string) =>
      json<{ count: number }>(
        await call('POST', '/api/v1/segments/preview', { definition: { consent: { purpose: 'email_marketing', state } } }),
      ).count;
    expect(await preview('withdrawn')).toBe(2);
    expect(await preview('none')).toBe(0);
    expect(
      (await call('POST', '/api/v1/segments/preview', { definition: { consent: { purpose: 'email_marketing', state: 'maybe' } } }))
        .statusCode,
    ).toBe(400);
  });
});
