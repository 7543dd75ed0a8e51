import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';

// Events are committed before their profiles are linked to contacts. When that linking fails (here
// a database trigger refuses the contact), the answer for the stored events stays 200 and the link
// is queued as a `tracking.link` job, which links the profile once the cause is gone.
let t: TestApp;
let key: string;
let writeKey: string;

const contactByEmail = async (email: string) =>
  json<{ data: Array<{ id: string }> }>(
    await t.app.inject({ url: `/api/v1/contacts?email=${encodeURIComponent(email)}`, headers: bearer(key) }),
  ).data[0];

beforeAll(async () => {
  t = await createTestApp();
  await t.jobs.start({ worker: false });
  const ws = await makeWorkspace(t);
  key = await makeApiKey(t, ws, 'admin');
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/sources', headers: bearer(key), payload: { name: 'Website' } });
  expect(res.statusCode, res.body).toBe(201);
  writeKey = json<{ writeKey: string }>(res).writeKey;
  await sql`create function test_refuse_contact() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from keel_new where email = 'refused@example.com') then raise exception 'refused by a test trigger'; end if;
      return null;
    end $$`.execute(t.db.handle.db);
  await sql`create trigger test_refuse_contact after insert on contacts referencing new table as keel_new
    for each statement execute function test_refuse_contact()`.execute(t.db.handle.db);
});
afterAll(async () => t?.close());

describe('linking that fails after the events are stored', () => {
  it('answers 200 for the stored events, queues the link, and the job links the profile later', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
      payload: {
        batch: [
          { type: 'identify', messageId: 'l-1', userId: 'u-refused', traits: { email: 'refused@example.com', firstName: 'Rita' } },
          { type: 'track', messageId: 'l-2', userId: 'u-refused', event: 'Signed Up' },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(json<{ stored: number }>(res).stored).toBe(2);
    expect(await contactByEmail('refused@example.com')).toBeUndefined();
    const queued = await sql<{
      data: { links: Array<{ email: string }> };
    }>`select data from pgboss.job where name = 'tracking.link'`.execute(t.db.handle.db);
    expect(queued.rows.map((r) => r.data.links.map((l) => l.email))).toEqual([['refused@example.com']]);

    // The cause goes away; the worker links the profile, with the traits of the identify.
    await sql`drop trigger test_refuse_contact on contacts`.execute(t.db.handle.db);
    await t.jobs.start({ worker: true });
    let contact: { id: string } | undefined;
    for (let i = 0; i < 300 && !contact; i++) {
      contact = await contactByEmail('refused@example.com');
      if (!contact) await new Promise((r) => setTimeout(r, 100));
    }
    expect(contact).toBeDefined();
    const c = json<{ firstName: string | null }>(
      await t.app.inject({ url: `/api/v1/contacts/${contact?.id ?? ''}`, headers: bearer(key) }),
    );
    expect(c.firstName).toBe('Rita');
    const events = json<{ data: Array<{ event: string | null }> }>(
      await t.app.inject({ url: `/api/v1/contacts/${contact?.id ?? ''}/events`, headers: bearer(key) }),
    ).data;
    expect(events.map((e) => e.event)).toContain('Signed Up');
  });
});
