import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createTestApp,
  fixedClock,
  json,
  login,
  makeApiKey,
  makeUser,
  makeWorkspace,
  TEST_PASSWORD,
  type TestApp,
} from '../../test/app.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';

const clock = fixedClock(new Date('2026-03-01T09:00:00Z'));
let t: TestApp;
let ws: Workspace;
let adminKey: string;

beforeAll(async () => {
  t = await createTestApp({ clock, env: { KEEL_LOGIN_RATE_LIMIT: '5', KEEL_SESSION_TTL_HOURS: '24' } });
  ws = await makeWorkspace(t);
  adminKey = await makeApiKey(t, ws, 'admin');
});
afterAll(() => t.close());

describe('sessions', () => {
  it('signs in with an HttpOnly SameSite cookie and a CSRF token; signs out', async () => {
    const u = await makeUser(t, ws, 'sales');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: u.email.toUpperCase(), password: TEST_PASSWORD },
      remoteAddress: '10.0.0.1',
    });
    expect(res.statusCode).toBe(200);
    const c = res.cookies.find((x) => x.name === 'keel_session');
    expect(c?.httpOnly).toBe(true);
    expect(c?.sameSite).toBe('Lax');
    const body = json<{ csrfToken: string; user: { email: string }; workspace: { id: string } }>(res);
    expect(body.user.email).toBe(u.email);
    expect(body.workspace.id).toBe(ws.id);
    const headers = { cookie: `keel_session=${c?.value}`, 'x-csrf-token': body.csrfToken };
    expect((await t.app.inject({ url: '/api/v1/auth/session', headers })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers })).statusCode).toBe(204);
    const after = await t.app.inject({ url: '/api/v1/auth/session', headers });
    expect(after.statusCode).toBe(401);
    expect(json(after).code).toBe('session_expired');
  });

  it('wrong password, unknown email and disabled account are refused', async () => {
    const u = await makeUser(t, ws, 'viewer');
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: u.email, password: 'nope-nope-nope' },
      remoteAddress: '10.0.0.2',
    });
    expect(wrong.statusCode).toBe(401);
    expect(json(wrong).code).toBe('invalid_credentials');
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'ghost@example.com', password: 'whatever-whatever' },
      remoteAddress: '10.0.0.2',
    });
    expect(json(unknown).code).toBe('invalid_credentials');
    await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${u.id}`, headers: bearer(adminKey), payload: { disabled: true } });
    const disabled = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: u.email, password: TEST_PASSWORD },
      remoteAddress: '10.0.0.3',
    });
    expect(disabled.statusCode).toBe(403);
    expect(json(disabled).code).toBe('account_disabled');
  });

  it('rate-limits sign-in attempts per address', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'x@example.com', password: 'wrong-wrong-wrong' },
        remoteAddress: '10.9.9.9',
      });
      codes.push(r.statusCode);
    }
    expect(codes.slice(0, 5).every((c) => c === 401)).toBe(true);
    expect(codes.slice(5)).toEqual([429, 429]);
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'x@example.com', password: 'wrong-wrong-wrong' },
      remoteAddress: '10.9.9.9',
    });
    expect(json(r).code).toBe('rate_limited');
    expect(r.headers['content-type']).toMatch(/problem\+json/);
  });

  it('cookie writes without the CSRF token are refused and change nothing', async () => {
    const admin = await makeUser(t, ws, 'admin');
    const s = await login(t, admin.email);
    const email = `csrf-${Date.now()}@example.com`;
    const noToken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { cookie: s.cookie },
      payload: { email, password: TEST_PASSWORD, role: 'viewer' },
    });
    expect(noToken.statusCode).toBe(403);
    expect(json(noToken).code).toBe('csrf_failed');
    const badToken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { cookie: s.cookie, 'x-csrf-token': 'forged' },
      payload: { email, password: TEST_PASSWORD, role: 'viewer' },
    });
    expect(json(badToken).code).toBe('csrf_failed');
    expect(await t.db.handle.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()).toBeUndefined();
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: s.headers,
      payload: { email, password: TEST_PASSWORD, role: 'viewer' },
    });
    expect(ok.statusCode).toBe(201);
  });

  it('sessions expire', async () => {
    const u = await makeUser(t, ws, 'sales');
    const s = await login(t, u.email);
    clock.advance(25 * 3_600_000);
    const res = await t.app.inject({ url: '/api/v1/users', headers: s.headers });
    expect(res.statusCode).toBe(401);
    expect(json(res).code).toBe('session_expired');
  });

  it('changing the password signs out the other sessions and needs the current one', async () => {
    const u = await makeUser(t, ws, 'data_analyst');
    const s1 = await login(t, u.email);
    const s2 = await login(t, u.email);
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: s1.headers,
      payload: { currentPassword: 'not-my-password', newPassword: 'a-brand-new-password' },
    });
    expect(wrong.statusCode).toBe(400);
    const short = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: s1.headers,
      payload: { currentPassword: TEST_PASSWORD, newPassword: 'short' },
    });
    expect(short.statusCode).toBe(400);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: s1.headers,
      payload: { currentPassword: TEST_PASSWORD, newPassword: 'a-brand-new-password' },
    });
    expect(ok.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/auth/session', headers: s1.headers })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/api/v1/auth/session', headers: s2.headers })).statusCode).toBe(401);
    await expect(login(t, u.email)).rejects.toThrow();
    await login(t, u.email, 'a-brand-new-password');
    const audit = json<{ data: Array<{ action: string; changes: Record<string, unknown> }> }>(
      await t.app.inject({ url: `/api/v1/audit?entityId=${u.id}&action=user.password_changed`, headers: bearer(adminKey) }),
    );
    expect(audit.data).toHaveLength(1);
    expect(JSON.stringify(audit.data[0])).not.toContain('a-brand-new-password');
  });

  it('lists and revokes own sessions', async () => {
    const u = await makeUser(t, ws, 'viewer');
    const s1 = await login(t, u.email);
    const s2 = await login(t, u.email);
    const list = json<{ data: Array<{ id: string; current: boolean }> }>(
      await t.app.inject({ url: '/api/v1/auth/sessions', headers: s1.headers }),
    );
    expect(list.data).toHaveLength(2);
    const other = list.data.find((x) => !x.current);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${other?.id}`, headers: s1.headers })).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/auth/session', headers: s2.headers })).statusCode).toBe(401);
  });
});

describe('API keys', () => {
  it('are shown once, stored hashed, work until revoked, and record last use', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: bearer(adminKey),
      payload: { name: 'zapier', role: 'data_analyst' },
    });
    expect(created.statusCode).toBe(201);
    const k = json<{ id: string; key: string; prefix: string }>(created);
    expect(k.key.startsWith(k.prefix)).toBe(true);
    const row = await t.db.handle.db.selectFrom('api_keys').selectAll().where('id', '=', k.id).executeTakeFirstOrThrow();
    expect(row.key_hash).not.toContain(k.key.slice(18));
    expect(JSON.stringify(row)).not.toContain(k.key);
    const listed = await t.app.inject({ url: '/api/v1/api-keys', headers: bearer(adminKey) });
    expect(listed.body).not.toContain(k.key);
    expect((await t.app.inject({ url: '/api/v1/audit', headers: bearer(k.key) })).statusCode).toBe(200);
    expect(
      (await t.db.handle.db.selectFrom('api_keys').select('last_used_at').where('id', '=', k.id).executeTakeFirstOrThrow()).last_used_at,
    ).not.toBeNull();
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${k.id}`, headers: bearer(adminKey) })).statusCode).toBe(200);
    const after = await t.app.inject({ url: '/api/v1/audit', headers: bearer(k.key) });
    expect(after.statusCode).toBe(401);
    expect(json(after).code).toBe('invalid_api_key');
  });

  it('malformed and unknown keys are 401 problem+json', async () => {
    for (const h of [
      'Bearer nope',
      'Bearer keel_000000000000_' + 'a'.repeat(43),
      'Basic Zm9vOmJhcg==',
      'Bearer ',
      'Bearer ' + 'x'.repeat(5000),
    ]) {
      const r = await t.app.inject({ url: '/api/v1/users', headers: { authorization: h } });
      expect(r.statusCode, h.slice(0, 30)).toBe(401);
      expect(r.headers['content-type']).toMatch(/problem\+json/);
    }
  });

  it('a key acts only with its own role', async () => {
    const viewerKey = await makeApiKey(t, ws, 'viewer');
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: bearer(viewerKey),
      payload: { name: 'escalate', role: 'admin' },
    });
    expect(r.statusCode).toBe(403);
    expect(json(r).code).toBe('forbidden');
  });
});

describe('first-run set-up', () => {
  it('is offered only while no user exists', async () => {
    const fresh = await createTestApp();
    try {
      expect(json(await fresh.app.inject({ url: '/api/v1/setup' }))).toEqual({ needed: true });
      const payload = {
        workspaceName: 'Northwind Marketing',
        name: 'Ada',
        email: 'ada@northwind.example',
        password: 'a-long-enough-password',
      };
      const [r1, r2] = await Promise.all([
        fresh.app.inject({ method: 'POST', url: '/api/v1/setup', payload }),
        fresh.app.inject({ method: 'POST', url: '/api/v1/setup', payload: { ...payload, email: 'eve@northwind.example' } }),
      ]);
      expect([r1.statusCode, r2.statusCode].sort()).toEqual([201, 409]);
      expect(json(await fresh.app.inject({ url: '/api/v1/setup' }))).toEqual({ needed: false });
      const users = await fresh.db.handle.db.selectFrom('users').selectAll().execute();
      expect(users).toHaveLength(1);
      expect(users[0]?.role).toBe('admin');
    } finally {
      await fresh.close();
    }
  });
});
