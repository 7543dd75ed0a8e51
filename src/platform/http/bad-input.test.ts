import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, TEST_PASSWORD, type TestApp } from '../../test/app.js';

let t: TestApp;
let key: string;
let wsId: string;
const countUsers = async () =>
  Number(
    (
      await t.db.handle.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const countAudit = async () =>
  Number(
    (
      await t.db.handle.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  t = await createTestApp({ env: { KEEL_BODY_LIMIT: '65536' } });
  const ws = await makeWorkspace(t);
  wsId = ws.id;
  key = await makeApiKey(t, ws, 'admin');
});
afterAll(() => t.close());

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const p = JSON.parse(res.body) as { code: string; status: number; title: string; detail: string; requestId: string };
  expect(p.code).toBe(code);
  expect(p.status).toBe(status);
  expect(p.title).toBeTruthy();
  expect(p.requestId).toBeTruthy();
}

describe('bad input is refused clearly and changes nothing', () => {
  it('unknown fields, wrong types, missing fields', async () => {
    const before = await countUsers();
    const cases: unknown[] = [
      { email: 'a@example.com', password: TEST_PASSWORD, role: 'viewer', isAdmin: true },
      { email: 42, password: TEST_PASSWORD, role: 'viewer' },
      { email: 'a@example.com', password: TEST_PASSWORD, role: 'superuser' },
      { email: 'a@example.com', role: 'viewer' },
      { email: 'not an email', password: TEST_PASSWORD, role: 'viewer' },
      { email: ['a@example.com'], password: TEST_PASSWORD, role: 'viewer' },
      [],
      'a string',
      null,
    ];
    for (const payload of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: { ...bearer(key), 'content-type': 'application/json' },
        payload: JSON.stringify(payload),
      });
      expectProblem(res, 400, 'validation_failed');
    }
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(key),
      payload: cases[0] as Record<string, unknown>,
    });
    expect(json<{ errors: Array<{ path: string; message: string }> }>(unknown).errors[0]?.message).toMatch(/isAdmin/);
    expect(await countUsers()).toBe(before);
  });

  it('malformed JSON, wrong content type, oversized body', async () => {
    const before = await countUsers();
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: { ...bearer(key), 'content-type': 'application/json' },
        payload: '{"email": "a@b.c",',
      }),
      400,
      'invalid_json',
    );
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: { ...bearer(key), 'content-type': 'text/xml' },
        payload: '<user/>',
      }),
      415,
      'unsupported_media_type',
    );
    const huge = JSON.stringify({ email: 'big@example.com', password: TEST_PASSWORD, role: 'viewer', name: 'x'.repeat(70_000) });
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: { ...bearer(key), 'content-type': 'application/json' },
        payload: huge,
      }),
      413,
      'payload_too_large',
    );
    expect(await countUsers()).toBe(before);
  });

  it('bad cursors and query values', async () => {
    for (const c of [
      'garbage',
      Buffer.from('{"id":"x"}').toString('base64url'),
      Buffer.from('{"id":"1\' or 1=1"}').toString('base64url'),
      '%00',
    ]) {
      expectProblem(
        await t.app.inject({ url: `/api/v1/users?cursor=${encodeURIComponent(c)}`, headers: bearer(key) }),
        400,
        'invalid_cursor',
      );
    }
    expectProblem(await t.app.inject({ url: '/api/v1/users?limit=0', headers: bearer(key) }), 400, 'validation_failed');
    expectProblem(await t.app.inject({ url: '/api/v1/users?limit=abc', headers: bearer(key) }), 400, 'validation_failed');
    expectProblem(await t.app.inject({ url: '/api/v1/users?limit=100000', headers: bearer(key) }), 400, 'validation_failed');
    expectProblem(await t.app.inject({ url: '/api/v1/users?sneaky=1', headers: bearer(key) }), 400, 'validation_failed');
    expectProblem(await t.app.inject({ url: '/api/v1/audit?from=yesterday', headers: bearer(key) }), 400, 'validation_failed');
  });

  it('unknown routes are problem+json 404s', async () => {
    expectProblem(await t.app.inject({ url: '/api/v1/nope', headers: bearer(key) }), 404, 'not_found');
    expectProblem(await t.app.inject({ method: 'DELETE', url: '/api/v1/users', headers: bearer(key) }), 404, 'not_found');
  });

  it('SQL metacharacters and unicode in text fields are stored verbatim (property)', async () => {
    let i = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 60, unit: 'grapheme' }),
          fc.constantFrom(
            "'; drop table users; --",
            'Robert"); DELETE FROM users;--',
            '\\',
            '%_%',
            'Zoë Ångström',
            'مرحبا',
            '👩🏽‍💻 Dev',
            '\u202Eevil',
            'a\u0000b',
            '\uD800',
          ),
        ),
        async (name) => {
          i += 1;
          const before = await countUsers();
          const res = await t.app.inject({
            method: 'POST',
            url: '/api/v1/users',
            headers: bearer(key),
            payload: { email: `prop${i}@example.com`, name, password: TEST_PASSWORD, role: 'viewer' },
          });
          expect(res.statusCode, res.body).toBeLessThan(500);
          if (res.statusCode === 201) {
            const stored = await t.db.handle.db
              .selectFrom('users')
              .select('name')
              .where('email', '=', `prop${i}@example.com`)
              .executeTakeFirstOrThrow();
            // A lone surrogate cannot travel as UTF-8: it arrives as U+FFFD, which is what is stored.
            expect(stored.name).toBe(name.toWellFormed().trim());
            expect(await countUsers()).toBe(before + 1);
          } else {
            expect(res.statusCode).toBe(400);
            expect(await countUsers()).toBe(before);
          }
        },
      ),
      { numRuns: 60 },
    );
    expect(await t.db.handle.db.selectFrom('users').select('id').where('workspace_id', '=', wsId).execute()).not.toHaveLength(0);
  });

  it('arbitrary JSON bodies never crash a write route (property)', async () => {
    const auditBefore = await countAudit();
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constantFrom('/api/v1/users', '/api/v1/api-keys', '/api/v1/auth/login', '/api/v1/setup'),
        async (body, url) => {
          const res = await t.app.inject({
            method: 'POST',
            url,
            headers: { ...bearer(key), 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          });
          expect(res.statusCode, `${url} ${JSON.stringify(body)} -> ${res.body}`).toBeLessThan(500);
          expect([400, 401, 409, 429]).toContain(res.statusCode);
        },
      ),
      { numRuns: 80 },
    );
    expect(await countAudit()).toBe(auditBefore);
  });

  it('a request id comes back on every response, ours when the caller sends junk', async () => {
    const a = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-123' } });
    expect(a.headers['x-request-id']).toBe('trace-123');
    const b = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': '<script>alert(1)</script>' } });
    expect(b.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
