import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';

let t: TestApp;
let key: string;
let other: string;

beforeAll(async () => {
  t = await createTestApp();
  const ws = await makeWorkspace(t);
  key = await makeApiKey(t, ws, 'admin');
  other = await makeApiKey(t, ws, 'admin');
});
afterAll(() => t.close());

const post = (k: string, idem: string, payload: Record<string, unknown>, url = '/api/v1/api-keys') =>
  t.app.inject({ method: 'POST', url, headers: { ...bearer(k), 'idempotency-key': idem }, payload });
const keyCount = async (name: string) =>
  (await t.db.handle.db.selectFrom('api_keys').select('id').where('name', '=', name).execute()).length;

describe('Idempotency-Key', () => {
  it('a retried POST returns the first answer and acts once', async () => {
    const a = await post(key, 'retry-1', { name: 'idem', role: 'viewer' });
    const b = await post(key, 'retry-1', { name: 'idem', role: 'viewer' });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(json(b)).toEqual(json(a));
    expect(await keyCount('idem')).toBe(1);
  });

  it('keys are per caller, and a key reused on another route is a conflict', async () => {
    const mine = await post(key, 'shared', { name: 'per-caller', role: 'viewer' });
    const theirs = await post(other, 'shared', { name: 'per-caller', role: 'viewer' });
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(json(mine)).not.toEqual(json(theirs));
    const reuse = await post(key, 'shared', { email: 'x@example.com', password: 'long-enough-pass', role: 'viewer' }, '/api/v1/users');
    expect(reuse.statusCode).toBe(409);
  });

  it('a failed request is not remembered: the fixed retry runs', async () => {
    expect((await post(key, 'fix-me', { name: 'fixed', role: 'nobody' })).statusCode).toBe(400);
    expect((await post(key, 'fix-me', { name: 'fixed', role: 'viewer' })).statusCode).toBe(201);
    expect(await keyCount('fixed')).toBe(1);
  });

  it('rejects malformed keys', async () => {
    const r = await post(key, 'x'.repeat(300), { name: 'long', role: 'viewer' });
    expect(r.statusCode).toBe(400);
    expect(await keyCount('long')).toBe(0);
  });
});
