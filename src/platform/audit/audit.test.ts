import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, fixedClock, json, makeApiKey, makeWorkspace, TEST_PASSWORD, type TestApp } from '../../test/app.js';
import { diff } from './audit.service.js';
import type { AuditEntry } from './audit.schema.js';

const clock = fixedClock(new Date('2026-05-01T12:00:00Z'));
let t: TestApp;
let key: string;

beforeAll(async () => {
  t = await createTestApp({ clock });
  key = await makeApiKey(t, await makeWorkspace(t), 'admin');
});
afterAll(() => t.close());

type AuditPage = { data: AuditEntry[]; nextCursor: string | null };
const audit = async (qs: string) => json<AuditPage>(await t.app.inject({ url: `/api/v1/audit?${qs}`, headers: bearer(key) }));

describe('audit log', () => {
  it('records who, what, when, from where, with a field diff', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { ...bearer(key), 'x-request-id': 'req-audit-1' },
      payload: { email: 'audited@example.com', password: TEST_PASSWORD, role: 'sales' },
      remoteAddress: '203.0.113.7',
    });
    const user = json<{ id: string }>(res);
    const [entry] = (await audit(`entityId=${user.id}`)).data;
    expect(entry).toMatchObject({
      action: 'user.created',
      entityType: 'user',
      entityId: user.id,
      actorType: 'api_key',
      actorLabel: 'api-key:key-admin',
      ip: '203.0.113.7',
      requestId: 'req-audit-1',
      occurredAt: '2026-05-01T12:00:00.000Z',
    });
    expect(entry?.changes).toMatchObject({ email: { to: 'audited@example.com' }, role: { to: 'sales' } });
    expect(JSON.stringify(entry)).not.toContain(TEST_PASSWORD);
  });

  it('is written in the same transaction: if the audit row fails, the change is rolled back', async () => {
    await sql`alter table audit_log add constraint no_creates check (action <> 'user.created') not valid`.execute(t.db.handle.db);
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: bearer(key),
        payload: { email: 'ghost-write@example.com', password: TEST_PASSWORD, role: 'viewer' },
      });
      expect(res.statusCode).toBe(500);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      const row = await t.db.handle.db.selectFrom('users').select('id').where('email', '=', 'ghost-write@example.com').executeTakeFirst();
      expect(row).toBeUndefined();
    } finally {
      await sql`alter table audit_log drop constraint no_creates`.execute(t.db.handle.db);
    }
  });

  it('filters by actor, entity, action and time range, newest first, with cursors', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(60_000);
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: bearer(key),
        payload: { name: `k${i}`, role: 'viewer' },
      });
      ids.push(json<{ id: string }>(r).id);
    }
    const all = await audit('action=api_key.created&limit=2');
    expect(all.data).toHaveLength(2);
    expect(all.data[0]?.entityId).toBe(ids[4]);
    const next = await audit(`action=api_key.created&limit=2&cursor=${all.nextCursor}`);
    expect(next.data[0]?.entityId).toBe(ids[2]);
    const byEntity = await audit(`entityType=api_key&entityId=${ids[1]}`);
    expect(byEntity.data).toHaveLength(1);
    const from = new Date(clock.now().getTime() - 150_000).toISOString();
    const ranged = await audit(`action=api_key.created&from=${encodeURIComponent(from)}`);
    expect(ranged.data.map((e) => e.entityId)).toEqual([ids[4], ids[3], ids[2]]);
    const to = new Date(clock.now().getTime() - 150_000).toISOString();
    // The admin key itself was created by the test set-up (actor `test`) at the start: the actor filter leaves it out.
    const before = await audit(`action=api_key.created&actor=api-key%3Akey-admin&to=${encodeURIComponent(to)}`);
    expect(before.data.map((e) => e.entityId)).toEqual([ids[1], ids[0]]);
    const byActor = await audit(`actor=${encodeURIComponent('api-key:key-admin')}&action=api_key.created`);
    expect(byActor.data.length).toBeGreaterThanOrEqual(5);
    expect((await audit('actor=nobody')).data).toHaveLength(0);
  });

  it('diff keeps changed fields only and hides secrets', () => {
    expect(diff({ a: 1, b: 2, password_hash: 'x' }, { a: 1, b: 3, password_hash: 'y' })).toEqual({
      b: { from: 2, to: 3 },
      password_hash: { changed: true },
    });
    expect(diff(null, { a: 1 })).toEqual({ a: { to: 1 } });
    expect(diff({ a: 1 }, null)).toEqual({ a: { from: 1 } });
  });
});
