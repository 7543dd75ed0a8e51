import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../platform/clock.js';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import type { EngagementRule } from './scoring.schema.js';

// The engine's SQL (window functions for window caps and caps, decay per occurrence) against a
// plain reference written from the README's rules, on random rules and random activity.
const DAY = 86_400_000;
const clock = fixedClock(new Date('2026-05-20T09:30:00Z'));
let t: TestApp;
let key: string;
let basic: string;
let modelId: string;
let n = 0;

/** The README's rules, one occurrence at a time: expiry, window cap, cap (newest first), decay. */
function reference(rule: EngagementRule, times: number[], now: number): number {
  const per = Math.abs(rule.points);
  const sign = rule.points < 0 ? -1 : 1;
  const expire = rule.decay?.expireDays;
  const live = times.filter((ts) => !expire || ts > now - expire * DAY).sort((a, b) => b - a);
  const inPeriod = new Map<number, number>();
  let run = 0;
  let total = 0;
  for (const ts of live) {
    let kept = per;
    if (rule.window) {
      const period = Math.floor(ts / 1000 / (rule.window.days * 86_400));
      const k = (inPeriod.get(period) ?? 0) + 1;
      inPeriod.set(period, k);
      kept = Math.min(k * per, rule.window.max) - Math.min((k - 1) * per, rule.window.max);
    }
    if (rule.cap !== undefined) {
      const before = run;
      run += kept;
      kept = Math.min(run, rule.cap) - Math.min(before, rule.cap);
    }
    const half = rule.decay?.halfLifeDays;
    total += half ? kept * 0.5 ** (Math.max(0, now - ts) / DAY / half) : kept;
  }
  return sign * total;
}

const ruleArb: fc.Arbitrary<EngagementRule> = fc.record(
  {
    name: fc.constant('Random rule'),
    on: fc.constant({ event: 'Random Event' }),
    points: fc.constantFrom(-7.5, -3, 2.5, 5, 10),
    cap: fc.constantFrom(5, 12, 30),
    window: fc.record({ days: fc.constantFrom(1, 7), max: fc.constantFrom(4, 10, 25) }),
    decay: fc.record({ halfLifeDays: fc.constantFrom(3, 10), expireDays: fc.constantFrom(5, 20) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['name', 'on', 'points'] },
);

const call = async <T>(method: string, url: string, payload?: object, headers = bearer(key)) => {
  const res = await t.app.inject({ method: method as 'GET', url, headers, ...(payload && { payload }) });
  expect(res.statusCode, `${method} ${url} -> ${res.body}`).toBeLessThan(300);
  return json<T>(res);
};

beforeAll(async () => {
  t = await createTestApp({ clock });
  const w = await makeWorkspace(t);
  key = await makeApiKey(t, w, 'admin');
  const { writeKey } = await call<{ writeKey: string }>('POST', '/api/v1/sources', { name: 'Site' });
  basic = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  modelId = (await call<{ id: string }>('POST', '/api/v1/scoring/models', { name: 'Reference' })).id;
});
afterAll(async () => t?.close());

describe('scoring engine against a reference', () => {
  it('agrees on random rules and activity, and its explanation adds up', async () => {
    await fc.assert(
      fc.asyncProperty(
        ruleArb,
        fc.uniqueArray(fc.integer({ min: 0, max: 30 * 24 * 60 }), { minLength: 1, maxLength: 10 }),
        async (rule, minutes) => {
          const now = clock.now().getTime();
          // Whole minutes plus 7 s, so no occurrence sits exactly on an expiry or period boundary.
          const times = minutes.map((m) => now - m * 60_000 - 7_000);
          const email = `ref${++n}@example.com`;
          const contact = await call<{ id: string }>('POST', '/api/v1/contacts', { email });
          const user = { authorization: basic };
          await call(
            'POST',
            '/v1/batch',
            {
              batch: [
                { type: 'identify', userId: `ref${n}`, traits: { email } },
                ...times.map((ts) => ({ type: 'track', userId: `ref${n}`, event: 'Random Event', timestamp: new Date(ts).toISOString() })),
              ],
            },
            user,
          );
          await call('PATCH', `/api/v1/scoring/models/${modelId}`, { draft: { engagement: [rule] } });
          const p = await call<{ score: number; explanation: Array<{ points: number }> }>(
            'POST',
            `/api/v1/scoring/models/${modelId}/preview`,
            {
              contactId: contact.id,
            },
          );
          expect(Math.abs(p.score - reference(rule, times, now)), JSON.stringify({ rule, minutes, p })).toBeLessThanOrEqual(0.0051);
          expect(Math.round(p.explanation.reduce((s, l) => s + l.points * 100, 0))).toBe(Math.round(p.score * 100));
        },
      ),
      { numRuns: 40 },
    );
  });
});
