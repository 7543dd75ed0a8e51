import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../platform/clock.js';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { drainScoringQueue, processScoringQueue, recomputeModel } from './scoring.compute.js';
import { sdb } from './scoring.tables.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
// Now: three and a half days into a 7-day window period (periods count from 1970-01-01 UTC).
const T0 = Math.floor(Date.parse('2026-06-10T00:00:00Z') / WEEK) * WEEK + 3.5 * DAY;
const clock = fixedClock(new Date(T0));
const ago = (days: number) => new Date(clock.now().getTime() - days * DAY).toISOString();

let t: TestApp;
let ws: string;
let admin: string;
let mops: string;
let specialist: string;
let viewer: string;
let basic: string;
const c: string[] = [];

interface Line {
  rule: string;
  points: number;
  at: string | null;
}
interface Score {
  model: { id: string; name: string };
  score: number;
  band: string;
  explanation: Line[];
}

const call = async <T = Record<string, unknown>>(method: string, url: string, payload?: unknown, key = admin) => {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: bearer(key),
    ...(payload !== undefined && { payload: payload as object }),
  });
  const isJson = String(res.headers['content-type'] ?? '').includes('json');
  return { status: res.statusCode, body: isJson ? json<T>(res) : ({} as T), type: String(res.headers['content-type'] ?? '') };
};
const ok = async <T = Record<string, unknown>>(method: string, url: string, payload?: unknown, status = 200, key = admin) => {
  const r = await call<T>(method, url, payload, key);
  expect(r.status, `${method} ${url} -> ${JSON.stringify(r.body)}`).toBe(status);
  return r.body;
};
let seq = 0;
const track = async (batch: object[]) => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/batch',
    headers: { authorization: basic, 'content-type': 'application/json' },
    payload: { batch: batch.map((m) => ({ messageId: `m-${++seq}`, ...m })) },
  });
  expect(res.statusCode, res.body).toBe(200);
};
const event = (i: number, name: string, days: number, properties: object = {}) => ({
  type: 'track',
  userId: `u${i}`,
  event: name,
  properties,
  timestamp: ago(days),
});
const pricing = (i: number, days: number) => {
  const url = 'https://acme.example/pricing?tab=plans';
  return { type: 'page', userId: `u${i}`, name: 'Pricing', properties: { url }, context: { page: { url } }, timestamp: ago(days) };
};
const sum = (lines: Line[]) => Math.round(lines.reduce((s, l) => s + l.points * 100, 0)) / 100;
const db = () => t.db.handle.db;
const scoresOf = async (contactId: string) => ok<Score[]>('GET', `/api/v1/contacts/${contactId}/scores`);
const stored = async (modelId: string) =>
  (
    await sdb(db())
      .selectFrom('contact_scores')
      .select(['contact_id', 'score', 'band', 'explanation'])
      .where('model_id', '=', modelId)
      .orderBy('contact_id')
      .execute()
  ).map((r) => ({ ...r, score: Number(r.score) }));

const model = {
  fit: [
    { name: 'In Germany', condition: { field: 'country', op: 'eq', value: 'DE' }, points: 15 },
    { name: 'Team of 10+', condition: { field: 'seats', op: 'gte', value: 10 }, points: 10 },
    { name: 'Competitor', condition: { field: 'email', op: 'contains', value: 'competitor' }, points: -50 },
  ],
  engagement: [
    { name: 'Pricing page visits', on: { page: { url: '*/pricing*' } }, points: 10, cap: 30 },
    { name: 'Demo requested', on: { event: 'Demo Requested' }, points: 40, decay: { halfLifeDays: 10 } },
    { name: 'Webinar attended', on: { event: 'Webinar Attended' }, points: 5, window: { days: 7, max: 8 } },
    { name: 'Unsubscribed', on: { event: 'Unsubscribed' }, points: -20, cap: 20 },
    { name: 'Trial started', on: { event: 'Trial Started', where: [{ property: 'plan', op: 'eq', value: 'pro' }] }, points: 25 },
    { name: 'Paid social visit', on: { touchpoint: { field: 'source', op: 'eq', value: 'linkedin' } }, points: 3 },
  ],
  decay: { expireDays: 30 },
  bands: [
    { name: 'A', min: 80 },
    { name: 'B', min: 50 },
    { name: 'C', min: 20 },
  ],
  otherwise: 'D',
};
let modelId: string;

beforeAll(async () => {
  t = await createTestApp({ clock });
  await t.jobs.start({ worker: false });
  const w = await makeWorkspace(t);
  ws = w.id;
  admin = await makeApiKey(t, w, 'admin');
  mops = await makeApiKey(t, w, 'mops_manager');
  specialist = await makeApiKey(t, w, 'automation_specialist');
  viewer = await makeApiKey(t, w, 'viewer');
  await ok('POST', '/api/v1/custom-fields', { object: 'contact', label: 'Seats', type: 'number' }, 201);
  await ok('POST', '/api/v1/custom-fields', { object: 'contact', label: 'Budget', type: 'number' }, 201);
  const people = [
    { email: 'ada@example.com', country: 'DE', custom: { seats: 12 } },
    { email: 'bo@example.com', country: 'FR', custom: { seats: 2 } },
    { email: 'cy@competitor.example', country: 'DE', custom: { seats: 50 } },
    { email: 'di@example.com', country: 'US' },
  ];
  for (const p of people) c.push((await ok<{ id: string }>('POST', '/api/v1/contacts', p, 201)).id);
  const writeKey = (await ok<{ writeKey: string }>('POST', '/api/v1/sources', { name: 'Site' }, 201)).writeKey;
  basic = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  await track(people.map((p, i) => ({ type: 'identify', userId: `u${i}`, traits: { email: p.email } })));
  // Contact 0: five pricing visits (cap 30) and a demo request ten days ago (half-life 10 days).
  // Contact 1: five webinars, three in this window period and two in the one before (max 8 each),
  // two unsubscribes (-40, capped at 20), a pro trial 5 days ago and an expired one 40 days ago.
  const weekStart = Math.floor(T0 / WEEK) * WEEK;
  const inPeriod = (h: number) => (T0 - (weekStart + h * 3_600_000)) / DAY;
  await track([
    ...[1, 2, 3, 4, 5].map((d) => pricing(0, d)),
    event(0, 'Demo Requested', 10),
    event(1, 'Webinar Attended', inPeriod(1)),
    event(1, 'Webinar Attended', inPeriod(2)),
    event(1, 'Webinar Attended', inPeriod(3)),
    event(1, 'Webinar Attended', inPeriod(-24)),
    event(1, 'Webinar Attended', inPeriod(-48)),
    event(1, 'Unsubscribed', 2),
    event(1, 'Unsubscribed', 1),
    event(1, 'Trial Started', 5, { plan: 'pro' }),
    event(1, 'Trial Started', 40, { plan: 'pro' }),
    event(1, 'Trial Started', 3, { plan: 'free' }),
  ]);
});
afterAll(async () => t?.close());

describe('scoring models', () => {
  it('creates a model whose draft the API validates, and lists it', async () => {
    const m = await ok<{ id: string; publishedVersion: number | null; draftProblems: unknown[] }>(
      'POST',
      '/api/v1/scoring/models',
      { name: 'Product fit', description: 'Main model', draft: model },
      201,
    );
    modelId = m.id;
    expect(m.publishedVersion).toBeNull();
    expect(m.draftProblems).toEqual([]);
    const list = await ok<{ data: Array<{ id: string; name: string }> }>('GET', '/api/v1/scoring/models');
    expect(list.data.map((x) => x.name)).toEqual(['Product fit']);
    // A name is unique per workspace.
    expect((await call('POST', '/api/v1/scoring/models', { name: 'product FIT' })).status).toBe(409);
  });

  it('publishing needs scoring.publish: a marketing-ops manager may, an automation specialist may not', async () => {
    const refused = await call('POST', `/api/v1/scoring/models/${modelId}/publish`, {}, specialist);
    expect(refused.status).toBe(403);
    expect(refused.type).toMatch(/^application\/problem\+json/);
    expect((await call('POST', `/api/v1/scoring/models/${modelId}/publish`, {}, viewer)).status).toBe(403);
    // The specialist edits the draft, though.
    await ok('PATCH', `/api/v1/scoring/models/${modelId}`, { description: 'Edited by Theo' }, 200, specialist);
    const m = await ok<{ publishedVersion: number; versions: Array<{ version: number }> }>(
      'POST',
      `/api/v1/scoring/models/${modelId}/publish`,
      {},
      200,
      mops,
    );
    expect(m.publishedVersion).toBe(1);
    expect(m.versions.map((v) => v.version)).toEqual([1]);
    const audit = await db()
      .selectFrom('audit_log')
      .select(['action', 'actor_label'])
      .where('entity_id', '=', modelId)
      .where('action', '=', 'scoring_model.published')
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('scores with caps, window caps, negative points and decay as computed by hand', async () => {
    expect((await recomputeModel(db(), clock, modelId)).completed).toBe(true);
    const [s0] = await scoresOf(c[0] ?? '');
    // Fit 15 + 10; pricing 5 x 10 = 50, capped at 30 (-20); demo 40 halved once over 10 days (-20).
    expect(s0?.score).toBe(75);
    expect(s0?.band).toBe('B');
    expect(s0?.model).toEqual({ id: modelId, name: 'Product fit' });
    expect(Object.keys(s0 ?? {}).sort()).toEqual(['band', 'explanation', 'model', 'score']);
    expect(s0?.explanation).toEqual([
      { rule: 'In Germany', points: 15, at: null },
      { rule: 'Team of 10+', points: 10, at: null },
      ...[1, 2, 3, 4, 5].map((d) => ({ rule: 'Pricing page visits', points: 10, at: ago(d) })),
      { rule: 'cap: Pricing page visits (max 30)', points: -20, at: null },
      { rule: 'Demo requested', points: 40, at: ago(10) },
      { rule: 'decay: Demo requested (half-life 10 days)', points: -20, at: null },
    ]);
    const [s1] = await scoresOf(c[1] ?? '');
    // Webinars: 3 x 5 = 15 -> 8 and 2 x 5 = 10 -> 8 (-9); unsubscribes -40 capped at 20 (+20);
    // one pro trial in the last 30 days (25; the one 40 days ago expired, the free one does not match).
    expect(s1?.score).toBe(16 - 20 + 25);
    expect(s1?.band).toBe('C');
    const lines = s1?.explanation ?? [];
    expect(lines).toContainEqual({ rule: 'cap: Webinar attended (max 8 per 7 days)', points: -9, at: null });
    expect(lines).toContainEqual({ rule: 'cap: Unsubscribed (max 20)', points: 20, at: null });
    expect(lines.filter((l) => l.rule === 'Trial started')).toEqual([{ rule: 'Trial started', points: 25, at: ago(5) }]);
    expect(lines.filter((l) => l.rule === 'Unsubscribed').map((l) => l.points)).toEqual([-20, -20]);
    // A competitor: fit only, negative.
    const [s2] = await scoresOf(c[2] ?? '');
    expect(s2).toMatchObject({ score: 15 + 10 - 50, band: 'D' });
    const [s3] = await scoresOf(c[3] ?? '');
    expect(s3).toMatchObject({ score: 0, band: 'D', explanation: [] });
    for (const id of c) {
      for (const s of await scoresOf(id)) expect(sum(s.explanation)).toBe(s.score);
    }
  });

  it('decay moves with the clock: a daily recompute halves the demo points again', async () => {
    clock.advance(10 * DAY);
    try {
      await recomputeModel(db(), clock, modelId);
      const [s0] = await scoresOf(c[0] ?? '');
      // Pricing visits are now 11-15 days old: still within 30 days and capped at 30; the demo is
      // 20 days old: 40 / 4 = 10. Fit 25.
      expect(s0?.score).toBe(25 + 30 + 10);
      expect(s0?.explanation).toContainEqual({ rule: 'decay: Demo requested (half-life 10 days)', points: -30, at: null });
      expect(sum(s0?.explanation ?? [])).toBe(s0?.score);
    } finally {
      clock.advance(-10 * DAY);
      await recomputeModel(db(), clock, modelId);
    }
  });

  it('rescores a contact incrementally after an event, to what a full recompute gives', async () => {
    await track([event(3, 'Demo Requested', 0), pricing(3, 0)]);
    const queued = await sdb(db()).selectFrom('scoring_queue').select('contact_id').where('workspace_id', '=', ws).execute();
    expect(queued.map((q) => q.contact_id)).toContain(c[3]);
    expect(await drainScoringQueue(db(), clock)).toBe(false);
    const [s3] = await scoresOf(c[3] ?? '');
    expect(s3?.score).toBe(50);
    expect(s3?.band).toBe('B');
    const incremental = await stored(modelId);
    await recomputeModel(db(), clock, modelId);
    expect(await stored(modelId)).toEqual(incremental);
    // A contact change (fit) too.
    await ok('PATCH', `/api/v1/contacts/${c[3]}`, { country: 'DE' });
    await drainScoringQueue(db(), clock);
    expect((await scoresOf(c[3] ?? ''))[0]?.score).toBe(65);
  });

  it('property: after any events, incremental scores equal a full recompute and explanations add up', async () => {
    // 'Feature Used' is read by no rule: the queue skips those contacts, and the scores must still agree.
    const kinds = ['Demo Requested', 'Webinar Attended', 'Unsubscribed', 'Trial Started', 'Feature Used', 'pricing'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ who: fc.nat(3), kind: fc.constantFrom(...kinds), days: fc.double({ min: 0, max: 45, noNaN: true }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (evs) => {
          await track(
            evs.map((e) =>
              e.kind === 'pricing' ? pricing(e.who, e.days) : event(e.who, e.kind, e.days, { plan: e.days > 20 ? 'pro' : 'free' }),
            ),
          );
          await drainScoringQueue(db(), clock);
          const incremental = await stored(modelId);
          await recomputeModel(db(), clock, modelId);
          const full = await stored(modelId);
          expect(full).toEqual(incremental);
          for (const r of full) expect(sum(r.explanation as Line[])).toBe(r.score);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('rescores a contact after new activity only with the models that read that kind of activity', async () => {
    await drainScoringQueue(db(), clock);
    const models = (
      await sdb(db())
        .selectFrom('scoring_models')
        .select('id')
        .where('published_version', 'is not', null)
        .where('deleted_at', 'is', null)
        .execute()
    ).length;
    await track([event(3, 'Feature Used', 0.1)]);
    const queued = await sdb(db()).selectFrom('scoring_queue').select('kinds').execute();
    expect(queued.map((q) => q.kinds)).toEqual([['track:Feature Used']]);
    expect(await processScoringQueue(db(), clock)).toMatchObject({ taken: 1, contacts: 1, scored: 0 });
    const before = (await scoresOf(c[3] ?? ''))[0]?.score ?? 0;
    await track([event(3, 'Demo Requested', 0.1), pricing(3, 0.1)]);
    expect(await processScoringQueue(db(), clock)).toMatchObject({ taken: 1, contacts: 1, scored: models });
    expect((await scoresOf(c[3] ?? ''))[0]?.score).toBeGreaterThan(before);
  });

  it('lists many occurrences in one line past the tenth, still adding up', async () => {
    await track(Array.from({ length: 14 }, (_, k) => event(2, 'Webinar Attended', 1 + k * 0.5)));
    await drainScoringQueue(db(), clock);
    const [s2] = await scoresOf(c[2] ?? '');
    const webinar = (s2?.explanation ?? []).filter((l) => l.rule.startsWith('Webinar attended'));
    expect(webinar.length).toBeLessThanOrEqual(11);
    expect(webinar.some((l) => /Webinar attended \(\d+ earlier\)/.test(l.rule))).toBe(true);
    expect(sum(s2?.explanation ?? [])).toBe(s2?.score);
  });

  it('a touchpoint rule scores visits by their source', async () => {
    const url = 'https://acme.example/?utm_source=linkedin&utm_medium=paid_social&utm_campaign=q4';
    await track([{ type: 'page', userId: 'u1', properties: { url }, context: { page: { url } }, timestamp: ago(0.5) }]);
    await drainScoringQueue(db(), clock);
    const [s1] = await scoresOf(c[1] ?? '');
    expect(s1?.explanation).toContainEqual({ rule: 'Paid social visit', points: 3, at: ago(0.5) });
  });

  it('previews the draft for one contact without storing it; published versions do not change', async () => {
    const draft = { ...model, fit: [...model.fit, { name: 'Budget set', condition: { field: 'budget', op: 'gt', value: 0 }, points: 7 }] };
    await ok('PATCH', `/api/v1/scoring/models/${modelId}`, { draft }, 200, specialist);
    await ok('PATCH', `/api/v1/contacts/${c[0]}`, { custom: { budget: 1000 } });
    await drainScoringQueue(db(), clock);
    const before = (await scoresOf(c[0] ?? ''))[0]?.score ?? 0;
    const p = await ok<{ score: number; explanation: Line[]; problems: unknown[] }>(
      'POST',
      `/api/v1/scoring/models/${modelId}/preview`,
      { contactId: c[0] },
      200,
      specialist,
    );
    expect(p.score).toBeCloseTo(before + 7, 6);
    expect(p.explanation).toContainEqual({ rule: 'Budget set', points: 7, at: null });
    expect(p.problems).toEqual([]);
    // Unsaved edits (the editor's live preview): a definition in the body, the saved draft untouched.
    const unsaved = { ...draft, fit: draft.fit.map((f) => (f.name === 'Budget set' ? { ...f, points: 9 } : f)) };
    const live = await ok<{ score: number }>(
      'POST',
      `/api/v1/scoring/models/${modelId}/preview`,
      { contactId: c[0], draft: unsaved },
      200,
      specialist,
    );
    expect(live.score).toBeCloseTo(before + 9, 6);
    expect((await call('POST', `/api/v1/scoring/models/${modelId}/preview`, { contactId: c[0], draft: { fit: 'x' } })).status).toBe(400);
    expect((await scoresOf(c[0] ?? ''))[0]?.score).toBe(before);
    const m = await ok<{ published: { fit: unknown[] }; draft: { fit: unknown[] } }>('GET', `/api/v1/scoring/models/${modelId}`);
    expect(m.published.fit).toHaveLength(3);
    expect(m.draft.fit).toHaveLength(4);
    const v2 = await ok<{ publishedVersion: number; versions: Array<{ version: number }> }>(
      'POST',
      `/api/v1/scoring/models/${modelId}/publish`,
      {},
      200,
      admin,
    );
    expect(v2.versions.map((v) => v.version)).toEqual([2, 1]);
    const versions = await ok<{ data: Array<{ version: number; definition: { fit: unknown[] } }> }>(
      'GET',
      `/api/v1/scoring/models/${modelId}/versions`,
      undefined,
      200,
      viewer,
    );
    expect(versions.data.map((v) => [v.version, v.definition.fit.length])).toEqual([
      [2, 4],
      [1, 3],
    ]);
    await recomputeModel(db(), clock, modelId);
    expect((await scoresOf(c[0] ?? ''))[0]?.score).toBeCloseTo(before + 7, 6);
  });

  it('a rule on a deleted field shows as broken with why and gives 0 points; nothing crashes', async () => {
    const fields = await ok<{ data: Array<{ id: string; key: string }> }>('GET', '/api/v1/custom-fields?object=contact');
    const budget = fields.data.find((f) => f.key === 'budget');
    expect(budget).toBeTruthy();
    await ok('DELETE', `/api/v1/custom-fields/${budget?.id}`);
    const m = await ok<{ problems: Array<{ kind: string; rule: string; message: string }>; draftProblems: unknown[] }>(
      'GET',
      `/api/v1/scoring/models/${modelId}`,
    );
    expect(m.problems).toEqual([{ kind: 'fit', rule: 'Budget set', message: expect.stringMatching(/budget/i) as unknown as string }]);
    expect(m.draftProblems).toHaveLength(1);
    const r = await recomputeModel(db(), clock, modelId);
    expect(r.completed).toBe(true);
    const [s0] = await scoresOf(c[0] ?? '');
    expect(s0?.explanation.some((l) => l.rule === 'Budget set')).toBe(false);
    expect(sum(s0?.explanation ?? [])).toBe(s0?.score);
    // The incremental path too.
    await ok('PATCH', `/api/v1/contacts/${c[0]}`, { firstName: 'Ada' });
    expect(await drainScoringQueue(db(), clock)).toBe(false);
    const p = await ok<{ problems: unknown[] }>('POST', `/api/v1/scoring/models/${modelId}/preview`, { contactId: c[0] });
    expect(p.problems).toHaveLength(1);
    // Publishing a draft with a broken rule is refused, with the rule named.
    const refused = await call<{ detail: string }>('POST', `/api/v1/scoring/models/${modelId}/publish`, {});
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(/Budget set/);
  });

  it('refuses bad input with problem+json and changes nothing', async () => {
    const bad = async (method: string, url: string, payload: unknown, status = 400) => {
      const r = await call(method, url, payload);
      expect(r.status, `${JSON.stringify(payload)} -> ${JSON.stringify(r.body)}`).toBe(status);
      expect(r.type).toMatch(/^application\/problem\+json/);
    };
    const rule = model.engagement[0];
    await bad('POST', '/api/v1/scoring/models', { name: 'X', draft: { ...model, extra: true } });
    await bad('POST', '/api/v1/scoring/models', { name: 'X', draft: { engagement: [{ ...rule, bogus: 1 }] } });
    await bad('POST', '/api/v1/scoring/models', {
      name: 'X',
      draft: { fit: [{ name: 'a', condition: { field: 'country', op: 'eq', value: 'DE' }, points: '10' }] },
    });
    await bad('POST', '/api/v1/scoring/models', { name: 'X', draft: { engagement: [{ ...rule, cap: -5 }] } });
    await bad('POST', '/api/v1/scoring/models', { name: 'X', draft: { engagement: [{ ...rule, points: 1.005 }] } });
    await bad('POST', '/api/v1/scoring/models', { name: 'X', draft: { engagement: [{ ...rule, on: { sql: 'drop table contacts' } }] } });
    await bad('POST', '/api/v1/scoring/models', {
      name: 'X',
      draft: {
        fit: Array.from({ length: 101 }, (_, i) => ({ name: `r${i}`, condition: { field: 'country', op: 'eq', value: 'DE' }, points: 1 })),
      },
    });
    await bad('POST', '/api/v1/scoring/models', {
      name: 'X',
      draft: { fit: [{ name: 'a', condition: { field: 'nope', op: 'eq', value: 1 }, points: 1 }] },
    });
    await bad('POST', '/api/v1/scoring/models', { name: 'X', draft: { engagement: [rule, rule] } });
    await bad('POST', '/api/v1/scoring/models', { name: '', draft: model });
    await bad('POST', '/api/v1/scoring/models', 'not json at all', 415);
    await bad('PATCH', `/api/v1/scoring/models/${modelId}`, { draft: { bands: 'A' } });
    await bad('PATCH', `/api/v1/scoring/models/${modelId}`, { publishedVersion: 7 });
    await bad('POST', `/api/v1/scoring/models/${modelId}/preview`, { contactId: 'x' });
    await bad('POST', `/api/v1/scoring/models/${modelId}/preview`, { contactId: '01900000-0000-7000-8000-000000000000' }, 404);
    await bad('GET', '/api/v1/scoring/models/01900000-0000-7000-8000-000000000000', undefined, 404);
    await bad('GET', '/api/v1/contacts/01900000-0000-7000-8000-000000000000/scores', undefined, 404);
    const list = await ok<{ data: unknown[] }>('GET', '/api/v1/scoring/models');
    expect(list.data).toHaveLength(1);
  });

  it('keeps the newest occurrences under a cap, decays what each kept, and rounds fractions exactly', async () => {
    // Hand-computed: a demo now and one 10 days ago (40 each, cap 50, half-life 10 days): the cap
    // keeps all of the newest and 10 of the older (-30), decay halves the older 10 (-5): 45.
    // Three -7.5s in one UTC day under a 10-per-day window: -22.5 -> -10 (+12.5).
    // 2.5 one day old with a 3-day half-life: 2.5 x 2^(-1/3) = 1.984 -> 1.98 (-0.52).
    const edge = await ok<{ id: string }>(
      'POST',
      '/api/v1/scoring/models',
      {
        name: 'Edge cases',
        draft: {
          engagement: [
            { name: 'Edge demo', on: { event: 'Edge Demo' }, points: 40, cap: 50, decay: { halfLifeDays: 10 } },
            { name: 'Edge negative', on: { event: 'Edge Bad' }, points: -7.5, window: { days: 1, max: 10 } },
            { name: 'Edge fraction', on: { event: 'Edge Frac' }, points: 2.5, decay: { halfLifeDays: 3 } },
          ],
        },
      },
      201,
    );
    await track([
      event(3, 'Edge Demo', 0),
      event(3, 'Edge Demo', 10),
      event(3, 'Edge Bad', 0.1),
      event(3, 'Edge Bad', 0.2),
      event(3, 'Edge Bad', 0.3),
      event(3, 'Edge Frac', 1),
    ]);
    const p = await ok<{ score: number; band: string; explanation: Line[] }>('POST', `/api/v1/scoring/models/${edge.id}/preview`, {
      contactId: c[3],
    });
    expect(p.explanation).toEqual([
      { rule: 'Edge demo', points: 40, at: ago(0) },
      { rule: 'Edge demo', points: 40, at: ago(10) },
      { rule: 'cap: Edge demo (max 50)', points: -30, at: null },
      { rule: 'decay: Edge demo (half-life 10 days)', points: -5, at: null },
      { rule: 'Edge negative', points: -7.5, at: ago(0.1) },
      { rule: 'Edge negative', points: -7.5, at: ago(0.2) },
      { rule: 'Edge negative', points: -7.5, at: ago(0.3) },
      { rule: 'cap: Edge negative (max 10 per day)', points: 12.5, at: null },
      { rule: 'Edge fraction', points: 2.5, at: ago(1) },
      { rule: 'decay: Edge fraction (half-life 3 days)', points: -0.52, at: null },
    ]);
    expect(p.score).toBe(36.98);
    expect(p.band).toBe('C');
    expect(sum(p.explanation)).toBe(p.score);
    await ok('DELETE', `/api/v1/scoring/models/${edge.id}`, undefined, 204);
  });

  it('recompute answers 202 with a job; deleting a model removes its scores', async () => {
    const r = await ok<{ jobId: string }>('POST', `/api/v1/scoring/models/${modelId}/recompute`, {}, 202, specialist);
    expect(r.jobId).toBeTruthy();
    const other = await ok<{ id: string }>('POST', '/api/v1/scoring/models', { name: 'Unpublished' }, 201);
    expect((await call('POST', `/api/v1/scoring/models/${other.id}/recompute`, {})).status).toBe(409);
    await ok('DELETE', `/api/v1/scoring/models/${modelId}`, undefined, 204, specialist);
    expect(await stored(modelId)).toEqual([]);
    expect(await scoresOf(c[0] ?? '')).toEqual([]);
    expect((await call('GET', `/api/v1/scoring/models/${modelId}`)).status).toBe(404);
  });
});
