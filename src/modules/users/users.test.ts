import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles } from '../../platform/permissions.js';
import { bearer, createTestApp, json, makeApiKey, makeUser, makeWorkspace, TEST_PASSWORD, type TestApp } from '../../test/app.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';
import type { User } from './users.schema.js';

let t: TestApp;
let ws: Workspace;
let key: string;

beforeAll(async () => {
  t = await createTestApp();
  ws = await makeWorkspace(t);
  key = await makeApiKey(t, ws, 'admin');
});
afterAll(() => t.close());

const create = (payload: unknown, k = key) =>
  t.app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(k), payload: payload as Record<string, unknown> });

describe('users', () => {
  it('creates a user of each role, normalising the email, hashing the password with argon2', async () => {
    for (const role of roles) {
      const res = await create({ email: `  New.${role}@Example.COM `, name: ` ${role} person `, password: TEST_PASSWORD, role });
      expect(res.statusCode, res.body).toBe(201);
      const u = json<User>(res);
      expect(u.email).toBe(`new.${role}@example.com`);
      expect(u.name).toBe(`${role} person`);
      expect(res.body).not.toContain('password');
      const row = await t.db.handle.db.selectFrom('users').select('password_hash').where('id', '=', u.id).executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
    }
  });

  it('refuses a duplicate email (any case) with 409', async () => {
    await create({ email: 'dup@example.com', password: TEST_PASSWORD, role: 'viewer' });
    const res = await create({ email: 'DUP@example.com', password: TEST_PASSWORD, role: 'viewer' });
    expect(res.statusCode).toBe(409);
    expect(json(res).code).toBe('already_exists');
  });

  it('paginates with cursors and filters by role, status and text', async () => {
    const other = await makeWorkspace(t, 'Paging');
    const k = await makeApiKey(t, other, 'admin');
    for (let i = 0; i < 7; i++) await makeUser(t, other, i % 2 ? 'sales' : 'viewer', `page${i}@paging.example`);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/users?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = json<{ data: User[]; nextCursor: string | null }>(await t.app.inject({ url, headers: bearer(k) }));
      seen.push(...page.data.map((u) => u.email));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
    const sales = json<{ data: User[] }>(await t.app.inject({ url: '/api/v1/users?role=sales', headers: bearer(k) }));
    expect(sales.data.map((u) => u.role)).toEqual(['sales', 'sales', 'sales']);
    const q = json<{ data: User[] }>(await t.app.inject({ url: '/api/v1/users?q=PAGE3', headers: bearer(k) }));
    expect(q.data.map((u) => u.email)).toEqual(['page3@paging.example']);
    const like = json<{ data: User[] }>(await t.app.inject({ url: `/api/v1/users?q=${encodeURIComponent('%')}`, headers: bearer(k) }));
    expect(like.data).toHaveLength(0);
  });

  it('changes role, disables (signing out) and re-enables, each audited with a diff', async () => {
    const u = await makeUser(t, ws, 'viewer');
    const patch = (payload: Record<string, unknown>) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.id}`, headers: bearer(key), payload });
    expect(json<User>(await patch({ role: 'sales' })).role).toBe('sales');
    expect(json<User>(await patch({ disabled: true })).disabled).toBe(true);
    expect(json<User>(await patch({ disabled: false })).disabled).toBe(false);
    const audit = json<{ data: Array<{ action: string; changes: Record<string, { from?: unknown; to?: unknown }> }> }>(
      await t.app.inject({ url: `/api/v1/audit?entityType=user&entityId=${u.id}`, headers: bearer(key) }),
    );
    expect(audit.data.map((a) => a.action)).toEqual(['user.enabled', 'user.disabled', 'user.updated', 'user.created']);
    expect(audit.data[2]?.changes.role).toEqual({ from: 'viewer', to: 'sales' });
  });

  it('never leaves a workspace without an active admin', async () => {
    const solo = await makeWorkspace(t, 'Solo');
    const admin = await makeUser(t, solo, 'admin');
    const k = await makeApiKey(t, solo, 'admin');
    for (const payload of [{ role: 'viewer' }, { disabled: true }]) {
      const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${admin.id}`, headers: bearer(k), payload });
      expect(res.statusCode).toBe(409);
    }
    const row = await t.db.handle.db.selectFrom('users').selectAll().where('id', '=', admin.id).executeTakeFirstOrThrow();
    expect(row.role).toBe('admin');
    expect(row.disabled_at).toBeNull();
  });

  it('404s an unknown id and 400s a malformed one', async () => {
    expect((await t.app.inject({ url: '/api/v1/users/01900000-0000-7000-8000-000000000000', headers: bearer(key) })).statusCode).toBe(404);
    const bad = await t.app.inject({ url: "/api/v1/users/1'%20or%201=1", headers: bearer(key) });
    expect(bad.statusCode).toBe(400);
    expect(json(bad).code).toBe('validation_failed');
  });
});
