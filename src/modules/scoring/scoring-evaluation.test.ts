import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../platform/clock.js';
import { newId } from '../../platform/ids.js';
import { bearer, createTestApp, json, makeApiKey, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import { aucMannWhitney, liftByDecile } from './evaluation.metrics.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-05-01T00:00:00Z');
const at = (days: number) => new Date(T0 + days * DAY).toISOString();
const clock = fixedClock(new Date(T0));
const FROM = at(10);
const TO = at(40);
const NOW = 50; // days after T0, once the set-up is done

let t: TestApp;
const keys = { a: '', b: '', bViewer: '', bAnalyst: '' };
const basic = { a: '', b: '' };
const wsId = { a: '', b: '' };
let evalModel = '';
let whatIfModel = '';
const a: string[] = [];
const b: string[] = [];
let ana = '';
let ben = '';

const call = async <T = Record<string, unknown>>(method: string, url: string, payload: unknown, key: string) => {
  const res = await t.app.inject({
    method: method as 'POST',
    url,
    headers: bearer(key),
    ...(payload !== undefined && { payload: payload as object }),
  });
  return { status: res.statusCode, body: json<T>(res), type: String(res.headers['content-type'] ?? '') };
};
const ok = async <T = Record<string, unknown>>(method: string, url: string, payload: unknown, key: string, status = 200) => {
  const r = await call<T>(method, url, payload, key);
  expect(r.status, `${method} ${url} -> ${JSON.stringify(r.body)}`).toBe(status);
  return r.body;
};
let seq = 0;
const track = async (auth: string, batch: object[]) => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/batch',
    headers: { authorization: auth, 'content-type': 'application/json' },
    payload: { batch: batch.map((m) => ({ messageId: `ev-${++seq}`, ...m })) },
  });
  expect(res.statusCode, res.body).toBe(200);
};
const demo = (user: string, timestamp: string) => ({ type: 'track', userId: user, event: 'Demo Requested', timestamp });
/** A stage change at a given time, as the lifecycle module writes it (the factory for history). */
const stage = async (ws: string, contactId: string, to: string, when: string) =>
  sql`insert into lifecycle_history (id, workspace_id, contact_id, from_stage, to_stage, reason, rule_id, actor, at)
    values (${newId()}, ${ws}, ${contactId}, null, ${to}, 'test', null, 'test', ${when})`.execute(t.db.handle.db);
const source = async (key: string) => {
  const writeKey = (await ok<{ writeKey: string }>('POST', '/api/v1/sources', { name: 'Site' }, key, 201)).writeKey;
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
};

beforeAll(async () => {
  t = await createTestApp({ clock });
  await t.jobs.start({ worker: false });
  const wa = await makeWorkspace(t, 'Evaluation');
  const wb = await makeWorkspace(t, 'What-if');
  wsId.a = wa.id;
  wsId.b = wb.id;
  keys.a = await makeApiKey(t, wa, 'admin');
  keys.b = await makeApiKey(t, wb, 'admin');
  keys.bViewer = await makeApiKey(t, wb, 'viewer');
  keys.bAnalyst = await makeApiKey(t, wb, 'data_analyst');
  basic.a = await source(keys.a);
  basic.b = await source(keys.b);

  // Workspace A, the known-answer set: contact i asks for demos (10 points each) before FROM.
  const demos = [5, 4, 4, 3, 2, 2, 1, 1, 0, 0, 3];
  for (let i = 0; i < demos.length; i++) {
    a.push((await ok<{ id: string }>('POST', '/api/v1/contacts', { email: `a${i}@example.com` }, keys.a, 201)).id);
  }
  await track(basic.a, [
    ...demos.map((_, i) => ({ type: 'identify', userId: `a${i}`, traits: { email: `a${i}@example.com` } })),
    ...demos.flatMap((n, i) => Array.from({ length: n }, (_, k) => demo(`a${i}`, new Date(T0 + DAY + k * 3_600_000).toISOString()))),
  ]);
  evalModel = (
    await ok<{ id: string }>(
      'POST',
      '/api/v1/scoring/models',
      {
        name: 'Demo intent',
        draft: {
          engagement: [{ name: 'Demo', on: { event: 'Demo Requested' }, points: 10 }],
          bands: [
            { name: 'A', min: 40 },
            { name: 'B', min: 20 },
          ],
          otherwise: 'C',
        },
      },
      keys.a,
      201,
    )
  ).id;
  await ok('POST', `/api/v1/scoring/models/${evalModel}/publish`, {}, keys.a);

  // Workspace B: six contacts in Germany, two in France, created now (T0).
  for (let i = 0; i < 8; i++) {
    b.push(
      (await ok<{ id: string }>('POST', '/api/v1/contacts', { email: `b${i}@example.com`, country: i < 6 ? 'DE' : 'FR' }, keys.b, 201)).id,
    );
  }
  await track(
    basic.b,
    b.map((_, i) => ({ type: 'identify', userId: `b${i}`, traits: { email: `b${i}@example.com` } })),
  );
  ana = (await makeUser(t, wb, 'sales')).id;
  ben = (await makeUser(t, wb, 'sales')).id;
  await ok('PUT', '/api/v1/routing/reps', { reps: [{ userId: ana }, { userId: ben }] }, keys.b);
  await ok('POST', '/api/v1/routing/rules', { name: 'Everyone', action: { type: 'round_robin', reps: [ana, ben] } }, keys.b, 201);
  const published = {
    fit: [{ name: 'In Germany', condition: { field: 'country', op: 'eq', value: 'DE' }, points: 30 }],
    bands: [
      { name: 'A', min: 50 },
      { name: 'B', min: 20 },
    ],
    otherwise: 'C',
  };
  whatIfModel = (await ok<{ id: string }>('POST', '/api/v1/scoring/models', { name: 'Fit and demos', draft: published }, keys.b, 201)).id;
  await ok('POST', `/api/v1/scoring/models/${whatIfModel}/publish`, {}, keys.b);
  await ok(
    'PATCH',
    `/api/v1/scoring/models/${whatIfModel}`,
    { draft: { ...published, engagement: [{ name: 'Demo', on: { event: 'Demo Requested' }, points: 30 }] } },
    keys.b,
  );
  await ok(
    'PUT',
    '/api/v1/lifecycle/rules',
    { rules: [{ name: 'Hot lead', toStage: 'mql', trigger: { kind: 'score', modelId: whatIfModel, gte: 50 } }] },
    keys.b,
  );
  // b4 was an MQL already.
  await stage(wsId.b, b[4] ?? '', 'mql', at(1));

  // Workspace A's history: a10 reached SQL before FROM (left out for target 'sql').
  await stage(wsId.a, a[10] ?? '', 'sql', at(5));
  clock.advance(12 * DAY);
  // a11 is created after FROM (left out); a8's demos after FROM count for nothing.
  a.push((await ok<{ id: string }>('POST', '/api/v1/contacts', { email: 'a11@example.com' }, keys.a, 201)).id);
  await track(basic.a, [demo('a8', at(11)), demo('a8', at(11.5)), demo('a8', at(11.7))]);
  await stage(wsId.a, a[11] ?? '', 'sql', at(15));
  await stage(wsId.a, a[0] ?? '', 'sql', at(15));
  await stage(wsId.a, a[1] ?? '', 'sql', at(20));
  await stage(wsId.a, a[2] ?? '', 'mql', at(15)); // not the target
  await stage(wsId.a, a[3] ?? '', 'opportunity', at(30)); // a later stage counts
  await stage(wsId.a, a[5] ?? '', 'sql', at(39));
  await stage(wsId.a, a[6] ?? '', 'sql', TO); // the period's end is exclusive
  await stage(wsId.a, a[9] ?? '', 'sql', at(11));
  clock.advance((NOW - 12) * DAY);
  // Workspace B's activity in the past weeks: b0, b2 (and b4, an MQL already) this week, b1 the
  // week before, b6 (in France) twice yesterday.
  await track(basic.b, [
    demo('b0', at(NOW - 2)),
    demo('b2', at(NOW - 3)),
    demo('b4', at(NOW - 2)),
    demo('b1', at(NOW - 9)),
    demo('b6', at(NOW - 1)),
    demo('b6', at(NOW - 1.5)),
  ]);
});
afterAll(async () => t?.close());

describe('evaluation metrics', () => {
  it('AUC is the Mann-Whitney U over n+ x n-, ties counting half', () => {
    const o = (score: number, converted: boolean) => ({ score, converted });
    // Positives 50, 40, 30, 20, 0 against negatives 40, 20, 10, 10, 0: pairs won
    // 5 + 4.5 + 4 + 3.5 + 0.5 = 17.5 of 25.
    const set = [
      o(50, true),
      o(40, true),
      o(40, false),
      o(30, true),
      o(20, false),
      o(20, true),
      o(10, false),
      o(10, false),
      o(0, false),
      o(0, true),
    ];
    expect(aucMannWhitney(set)).toBeCloseTo(0.7, 12);
    expect(aucMannWhitney([o(1, true), o(0, false)])).toBe(1);
    expect(aucMannWhitney([o(0, true), o(1, false)])).toBe(0);
    expect(aucMannWhitney([o(3, true), o(3, false)])).toBe(0.5);
    expect(aucMannWhitney([o(3, true)])).toBeNull();
  });

  it('deciles split 25 contacts 2/3/2/3… highest scores first, ties by id', () => {
    const set = Array.from({ length: 25 }, (_, i) => ({
      id: `c${String(i).padStart(2, '0')}`,
      score: 25 - i,
      band: 'x',
      converted: i < 6,
    }));
    const d = liftByDecile(set);
    expect(d.map((x) => x.contacts)).toEqual([2, 3, 2, 3, 2, 3, 2, 3, 2, 3]);
    // 6 of 25 converted (rate 0.24): the first two deciles (2 + 3) and the first of the third.
    expect(d.map((x) => x.converted)).toEqual([2, 3, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(d[0]?.lift).toBeCloseTo(1 / 0.24, 12);
    expect(d[1]?.lift).toBeCloseTo(1 / 0.24, 12);
    expect(d[2]?.lift).toBeCloseTo(0.5 / 0.24, 12);
    expect(d[3]?.lift).toBe(0);
    expect(d[0]).toMatchObject({ minScore: 24, maxScore: 25 });
  });
});

interface Evaluation {
  version: number | null;
  contacts: number;
  converted: number;
  conversionRate: number;
  auc: number | null;
  deciles: Array<{ decile: number; contacts: number; converted: number; lift: number | null; minScore: number | null }>;
  bands: Array<{ band: string; contacts: number; converted: number; rate: number | null }>;
}

describe('POST /api/v1/scoring/models/:id/evaluate', () => {
  const url = () => `/api/v1/scoring/models/${evalModel}/evaluate`;
  const doubled = {
    engagement: [{ name: 'Demo', on: { event: 'Demo Requested' }, points: 20 }],
    bands: [
      { name: 'A', min: 40 },
      { name: 'B', min: 20 },
    ],
    otherwise: 'C',
  };

  it('scores contacts as of the period start and measures conversion to SQL during it (hand-computed)', async () => {
    const e = await ok<Evaluation>('POST', url(), { from: FROM, to: TO, target: 'sql' }, keys.a);
    // a0…a9 (a10 was an SQL already, a11 did not exist yet); scores 50 40 40 30 20 20 10 10 0 0
    // (a8's demos after FROM do not count); converted a0, a1, a3 (opportunity), a5, a9.
    expect(e.version).toBe(1);
    expect(e.contacts).toBe(10);
    expect(e.converted).toBe(5);
    expect(e.conversionRate).toBe(0.5);
    expect(e.auc).toBeCloseTo(0.7, 12);
    expect(e.deciles.map((d) => d.contacts)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(e.deciles.map((d) => d.minScore)).toEqual([50, 40, 40, 30, 20, 20, 10, 10, 0, 0]);
    expect(e.deciles.map((d) => d.lift)).toEqual([2, 2, 0, 2, 0, 2, 0, 0, 0, 2]);
    expect(e.bands).toEqual([
      { band: 'A', contacts: 3, converted: 2, rate: 2 / 3 },
      { band: 'B', contacts: 3, converted: 2, rate: 2 / 3 },
      { band: 'C', contacts: 4, converted: 1, rate: 0.25 },
    ]);
  });

  it('target opportunity: contacts at SQL before the period are in, only a3 converted (AUC with a tie)', async () => {
    const e = await ok<Evaluation>('POST', url(), { from: FROM, to: TO, target: 'opportunity' }, keys.a);
    // a0…a10; a3 (30) beats 50? no; beats the six at 20 or less; ties a10 (30): (6 + 0.5) / 10.
    expect(e.contacts).toBe(11);
    expect(e.converted).toBe(1);
    expect(e.auc).toBeCloseTo(0.65, 12);
  });

  it('evaluates the draft: doubled points rank the same, with other bands', async () => {
    await ok('PATCH', `/api/v1/scoring/models/${evalModel}`, { draft: doubled }, keys.a);
    const e = await ok<Evaluation>('POST', url(), { draft: true, from: FROM, to: TO }, keys.a);
    expect(e.version).toBeNull();
    expect(e.auc).toBeCloseTo(0.7, 12);
    expect(e.bands.map((x) => [x.band, x.contacts, x.converted])).toEqual([
      ['A', 6, 4],
      ['B', 2, 0],
      ['C', 2, 1],
    ]);
    // Version 1 is still there to compare with.
    expect((await ok<Evaluation>('POST', url(), { version: 1, from: FROM, to: TO }, keys.a)).bands[0]?.contacts).toBe(3);
  });

  it('fit rules over activity see only activity before the period start (no later events leak in)', async () => {
    await ok(
      'PATCH',
      `/api/v1/scoring/models/${evalModel}`,
      {
        draft: {
          fit: [{ name: 'Asked three times', condition: { event: 'Demo Requested', count: { gte: 3 } }, points: 25 }],
          bands: [{ name: 'A', min: 20 }],
          otherwise: 'C',
        },
      },
      keys.a,
    );
    const e = await ok<Evaluation>('POST', url(), { draft: true, from: FROM, to: TO }, keys.a);
    // Demos before FROM: a0 5, a1 4, a2 4, a3 3, then fewer. a8's three demos came after FROM: a
    // fit rule reading them would put a8 in band A too.
    expect(e.contacts).toBe(10);
    expect(e.bands.map((x) => [x.band, x.contacts, x.converted])).toEqual([
      ['A', 4, 3],
      ['C', 6, 2],
    ]);
    // The draft of the test before (20 per demo) back, for the what-if tests below.
    await ok('PATCH', `/api/v1/scoring/models/${evalModel}`, { draft: doubled }, keys.a);
  });

  it('refuses bad input with problem+json 400, an unknown version with 404', async () => {
    for (const body of [
      { from: TO, to: FROM },
      { from: FROM, to: FROM },
      { from: FROM, to: TO, colour: 'red' },
      { from: 'yesterday', to: TO },
      { from: FROM, to: TO, target: 'customer' },
      { from: FROM, to: TO, version: 'one' },
      { from: FROM, to: TO, version: 1, draft: true },
      { to: TO },
    ]) {
      const r = await call('POST', url(), body, keys.a);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.type).toMatch(/^application\/problem\+json/);
    }
    expect((await call('POST', url(), { version: 9, from: FROM, to: TO }, keys.a)).status).toBe(404);
    // Another workspace's model is not found.
    expect((await call('POST', url(), { from: FROM, to: TO }, keys.b)).status).toBe(404);
  });
});

interface WhatIf {
  contacts: number;
  changed: number;
  bands: string[];
  matrix: Array<{ from: string; to: string; contacts: number }>;
  mql: {
    criterion: { source: string; rules: Array<{ name: string; gte: number | null }> } | null;
    weeks: Array<{ weekStart: string; published: number; draft: number }>;
    newNow: number;
  };
  routing: {
    simulated: number;
    of: number;
    reps: Array<{ repId: string; leads: number }>;
    queues: Array<{ queue: string; leads: number }>;
  };
}

describe('POST /api/v1/scoring/models/:id/what-if', () => {
  const url = () => `/api/v1/scoring/models/${whatIfModel}/what-if`;
  const counts = async () => {
    const r = await sql<Record<string, string>>`select
        (select count(*) from lead_assignments) as assignments, (select count(*) from routing_log) as log,
        (select count(*) from routing_rr_state) as rr, (select count(*) from audit_log) as audit,
        (select count(*) from contact_scores) as scores, (select count(*) from lifecycle_history) as history,
        (select count(*) from contacts where owner_id is not null) as owned`.execute(t.db.handle.db);
    return r.rows[0];
  };

  it('shows band moves, new MQLs per week by the lifecycle rule, and the reps the new MQLs would go to; stores nothing', async () => {
    const before = await counts();
    const w = await ok<WhatIf>('POST', url(), {}, keys.bAnalyst);
    // Published: Germany 30 (B), France 0 (C). Draft adds 30 per demo: b0, b1, b2, b4 -> 60 (A),
    // b6 (France, two demos) -> 60 (A).
    expect(w.contacts).toBe(8);
    expect(w.changed).toBe(5);
    expect(w.bands).toEqual(['A', 'B', 'C']);
    expect(w.matrix).toEqual([
      { from: 'B', to: 'A', contacts: 4 },
      { from: 'B', to: 'B', contacts: 2 },
      { from: 'C', to: 'A', contacts: 1 },
      { from: 'C', to: 'C', contacts: 1 },
    ]);
    expect(w.mql.criterion).toEqual({ source: 'lifecycle_rule', rules: [{ name: 'Hot lead', gte: 50, bands: null }] });
    // Weeks from NOW-28d: b1 crosses in the third, b0, b2 and b6 in the fourth (b4 was an MQL).
    expect(w.mql.weeks.map((x) => [x.weekStart, x.published, x.draft])).toEqual([
      [at(NOW - 28), 0, 0],
      [at(NOW - 21), 0, 0],
      [at(NOW - 14), 0, 1],
      [at(NOW - 7), 0, 3],
    ]);
    expect(w.mql.newNow).toBe(4);
    // Weighted round robin 1:1 over the four new MQLs.
    expect(w.routing).toMatchObject({ simulated: 4, of: 4, queues: [] });
    expect(Object.fromEntries(w.routing.reps.map((r) => [r.repId, r.leads]))).toEqual({ [ana]: 2, [ben]: 2 });
    expect(await counts()).toEqual(before);
  });

  it('without a lifecycle score rule takes a threshold, or reports no MQL criterion', async () => {
    const none = await ok<WhatIf>('POST', `/api/v1/scoring/models/${evalModel}/what-if`, {}, keys.a);
    expect(none.mql).toEqual({ criterion: null, weeks: [], newNow: 0 });
    expect(none.routing.simulated).toBe(0);
    // Now the draft (20 per demo) gives a0 100, a1 and a2 80, a3, a8 and a10 60; the published
    // version (10) reaches 50 for a0 only. Of a1, a2, a3, a8 and a10 only a8 has never been an MQL
    // or further, so it is the one new MQL.
    const some = await ok<WhatIf>(
      'POST',
      `/api/v1/scoring/models/${evalModel}/what-if`,
      { threshold: 50, weeks: 2, routeLimit: 0 },
      keys.a,
    );
    expect(some.mql.criterion).toEqual({ source: 'threshold', rules: [{ name: 'score ≥ 50', gte: 50, bands: null }] });
    expect(some.mql.weeks).toHaveLength(2);
    expect(some.mql.newNow).toBe(1);
    expect(some.routing).toMatchObject({ simulated: 0, of: 1 });
  });

  it('needs scoring.evaluate (a viewer is refused) and refuses bad input with 400', async () => {
    const r = await call('POST', url(), {}, keys.bViewer);
    expect(r.status).toBe(403);
    for (const body of [{ weeks: 0 }, { weeks: 'four' }, { threshold: 'high' }, { extra: true }, { routeLimit: 10_000 }]) {
      const bad = await call('POST', url(), body, keys.b);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.type).toMatch(/^application\/problem\+json/);
    }
  });
});
