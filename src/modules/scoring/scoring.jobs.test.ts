import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';

// The worker as it runs in production: publishing queues `scoring.recompute` (pg-boss), and the
// `scoring.queue` loop rescores a contact after its next event.
let t: TestApp;
let key: string;

const call = async <T>(method: string, url: string, payload?: object, headers = bearer(key)) => {
  const res = await t.app.inject({ method: method as 'GET', url, headers, ...(payload && { payload }) });
  expect(res.statusCode, `${method} ${url} -> ${res.body}`).toBeLessThan(300);
  return json<T>(res);
};
const until = async <T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
};

beforeAll(async () => {
  t = await createTestApp();
  const w = await makeWorkspace(t);
  key = await makeApiKey(t, w, 'admin');
  await t.jobs.start({ worker: true });
});
afterAll(async () => t?.close());

describe('scoring jobs', () => {
  it('publishing computes scores in the background; an event rescores the contact through the queue', async () => {
    const contact = await call<{ id: string }>('POST', '/api/v1/contacts', { email: 'jo@example.com', country: 'DE' });
    const { writeKey } = await call<{ writeKey: string }>('POST', '/api/v1/sources', { name: 'Site' });
    const basic = { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` };
    await call('POST', '/v1/identify', { userId: 'jo', traits: { email: 'jo@example.com' } }, basic);
    const model = await call<{ id: string }>('POST', '/api/v1/scoring/models', {
      name: 'Jobs',
      draft: {
        fit: [{ name: 'DE', condition: { field: 'country', op: 'eq', value: 'DE' }, points: 10 }],
        engagement: [{ name: 'Demo', on: { event: 'Demo Requested' }, points: 40 }],
      },
    });
    await call('POST', `/api/v1/scoring/models/${model.id}/publish`, {});
    type Scores = Array<{ score: number; band: string }>;
    const scores = () => call<Scores>('GET', `/api/v1/contacts/${contact.id}/scores`);
    expect(await until(scores, (s) => s.length === 1)).toEqual([expect.objectContaining({ score: 10, band: 'D' })]);
    await call('POST', '/v1/track', { userId: 'jo', event: 'Demo Requested' }, basic);
    expect(await until(scores, (s) => s[0]?.score === 50)).toEqual([expect.objectContaining({ score: 50, band: 'B' })]);
    const m = await until(
      () => call<{ computedAt: string | null; scoredContacts: number }>('GET', `/api/v1/scoring/models/${model.id}`),
      (x) => x.computedAt !== null,
    );
    expect(m.scoredContacts).toBe(1);
  });
});
