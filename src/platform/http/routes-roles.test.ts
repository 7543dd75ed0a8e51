import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { can, roles, type Role } from '../permissions.js';
import { bearer, createTestApp, login, makeApiKey, makeUser, makeWorkspace, type Session, type TestApp } from '../../test/app.js';

// Walks every registered /api route x every role, with an API key and with a browser session,
// and checks the answer against the module policies. A route added without a policy fails here
// (and at start-up); a route whose policy and behaviour disagree fails here.
let t: TestApp;
const keys = {} as Record<Role, string>;
const sessions = {} as Record<Role, Session>;
const SOME_ID = '01900000-0000-7000-8000-000000000000';

beforeAll(async () => {
  t = await createTestApp({ env: { KEEL_LOGIN_RATE_LIMIT: '1000' } });
  const ws = await makeWorkspace(t);
  for (const role of roles) {
    keys[role] = await makeApiKey(t, ws, role);
    const u = await makeUser(t, ws, role);
    sessions[role] = await login(t, u.email);
  }
  // A second admin so no walk can demote the last one by accident.
  await makeUser(t, ws, 'admin');
});
afterAll(() => t.close());

function apiRoutes() {
  return (
    t.app.keelRoutes
      .filter((r) => r.url.startsWith('/api/v1/'))
      // Logging out ends the session the walk is using; it has its own tests.
      .filter((r) => r.url !== '/api/v1/auth/logout')
  );
}

const urlFor = (url: string) => url.replace(/:(\w+)/g, SOME_ID);
const bodyFor = (method: string) => (method === 'GET' || method === 'DELETE' ? undefined : {});

describe('route x role', () => {
  it('every /api route declares a known permission', () => {
    expect(apiRoutes().length).toBeGreaterThan(10);
    for (const r of apiRoutes()) expect(r.permission, `${r.method} ${r.url}`).toBeTruthy();
  });

  it("reads a contact's assignment with routing.read, as the routing log", () => {
    const permissionOf = (url: string) => apiRoutes().find((r) => r.method === 'GET' && r.url === url)?.permission;
    expect(permissionOf('/api/v1/contacts/:id/assignment')).toBe('routing.read');
    expect(permissionOf('/api/v1/contacts/:id/assignment')).toBe(permissionOf('/api/v1/routing/log'));
  });

  it('a route without a permission cannot be registered', async () => {
    const { buildApp } = await import('./app.js');
    await expect(
      buildApp(t.app.keel, async (app) => {
        app.get('/api/v1/unguarded', async () => ({}));
      }),
    ).rejects.toThrow(/declares no permission/);
  });

  for (const via of ['api key', 'session'] as const) {
    it(`answers every route for every role as the policy says (${via})`, async () => {
      const checked: string[] = [];
      for (const route of apiRoutes()) {
        if (route.permission === 'public') continue;
        for (const role of roles) {
          const headers = via === 'api key' ? bearer(keys[role]) : sessions[role].headers;
          const res = await t.app.inject({
            method: route.method as 'GET',
            url: urlFor(route.url),
            headers,
            payload: bodyFor(route.method),
          });
          const label = `${via} ${role} ${route.method} ${route.url} -> ${res.statusCode} ${res.body.slice(0, 120)}`;
          const sessionOnly = route.permission === 'session' && via === 'api key';
          if (sessionOnly) {
            expect([401], label).toContain(res.statusCode);
          } else if (can(role, route.permission)) {
            expect([401, 403], label).not.toContain(res.statusCode);
            expect(res.statusCode, label).toBeLessThan(500);
          } else {
            expect(res.statusCode, label).toBe(403);
            expect(res.headers['content-type'], label).toMatch(/^application\/problem\+json/);
          }
          checked.push(label);
        }
      }
      expect(checked.length).toBeGreaterThan(50);
    });
  }

  it('refuses every non-public route without credentials, as problem+json 401', async () => {
    for (const route of apiRoutes()) {
      if (route.permission === 'public') continue;
      const res = await t.app.inject({ method: route.method as 'GET', url: urlFor(route.url), payload: bodyFor(route.method) });
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('a viewer is refused every write', async () => {
    for (const route of apiRoutes()) {
      if (route.method === 'GET' || route.permission === 'public' || route.permission === 'session') continue;
      const res = await t.app.inject({
        method: route.method as 'POST',
        url: urlFor(route.url),
        headers: bearer(keys.viewer),
        payload: bodyFor(route.method),
      });
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(403);
    }
  });
});
