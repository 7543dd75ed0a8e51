import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../platform/ids.js';
import { bearer, createTestApp, fixedClock, json, makeApiKey, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import type { User } from '../users/users.schema.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';

// A known-answer data set: seven rep assignments in April 2026 (plus one in March and one to a
// queue, both outside the report), whose numbers are worked out by hand in the comments.
const clock = fixedClock(new Date('2026-05-02T12:00:00Z'));
let t: TestApp;
let w: Workspace;
let key: string;
let r1: User;
let r2: User;
let modelId: string;
const c: Record<string, string> = {};

const call = (url: string) => t.app.inject({ method: 'GET', url, headers: bearer(key) });

beforeAll(async () => {
  t = await createTestApp({ clock });
  w = await makeWorkspace(t);
  key = await makeApiKey(t, w, 'data_analyst');
  r1 = await makeUser(t, w, 'sales');
  r2 = await makeUser(t, w, 'sales');
  const db = t.db.handle.db;
  await sql`update users set name = case when id = ${r1.id} then 'Rep One' else 'Rep Two' end where id in (${r1.id}, ${r2.id})`.execute(db);
  const admin = await makeApiKey(t, w, 'admin');
  const sources: Record<string, string | null> = {
    c1: 'webinar',
    c2: 'webinar',
    c3: 'ads',
    c4: null,
    c5: 'ads',
    c6: 'ads',
    c7: 'ads',
    c8: 'ads',
  };
  for (const [name, source] of Object.entries(sources)) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts',
      headers: bearer(admin),
      payload: { email: `${name}@report.test`, ...(source && { source }) },
    });
    c[name] = json<{ id: string }>(res).id;
  }
  modelId = newId();
  await sql`insert into scoring_models (id, workspace_id, name, draft, published_version, created_at, updated_at)
    values (${modelId}, ${w.id}, 'Fit', '{}'::jsonb, 1, now(), now())`.execute(db);
  const score = (contact: string, value: number, band: string) =>
    sql`insert into contact_scores (workspace_id, model_id, contact_id, score, band, explanation, computed_at)
      values (${w.id}, ${modelId}, ${contact}, ${value}, ${band}, '[]'::jsonb, now())`.execute(db);
  await score(c.c1 ?? '', 90, 'A');
  await score(c.c3 ?? '', 80, 'A');
  await score(c.c2 ?? '', 40, 'B');
  await score(c.c5 ?? '', 30, 'B');
  const at = (s: string | null) => (s ? new Date(s) : null);
  const assign = (
    contact: string | undefined,
    owner: string | null,
    status: string,
    assigned: string,
    extra: { accepted?: string; rejected?: string; reason?: string; released?: string } = {},
  ) =>
    sql`insert into lead_assignments (id, workspace_id, contact_id, owner_id, queue, status, assigned_at, accepted_at, rejected_at, reject_reason, released_at)
      values (${newId()}, ${w.id}, ${contact ?? ''}, ${owner}, ${owner ? null : 'unassigned'}, ${status}, ${new Date(assigned)},
        ${at(extra.accepted ?? null)}, ${at(extra.rejected ?? null)}, ${extra.reason ?? null}, ${at(extra.released ?? null)})`.execute(db);
  // a1: r1 accepts c1 after 30 min; c1 reaches sql the next day (converted).
  await assign(c.c1, r1.id, 'accepted', '2026-04-01T10:00:00Z', { accepted: '2026-04-01T10:30:00Z' });
  // a2: r1 rejects c2 after 120 min ("Not a fit"); a3: r2 accepts it after 10 min. c2 reaches opportunity (converted).
  await assign(c.c2, r1.id, 'rejected', '2026-04-02T09:00:00Z', { rejected: '2026-04-02T11:00:00Z', reason: 'Not a fit' });
  await assign(c.c2, r2.id, 'accepted', '2026-04-02T11:00:00Z', { accepted: '2026-04-02T11:10:00Z' });
  // a4: r2 rejects c3 after 60 min ("Duplicate").
  await assign(c.c3, r2.id, 'rejected', '2026-04-03T09:00:00Z', { rejected: '2026-04-03T10:00:00Z', reason: 'Duplicate' });
  // a5: c4 still open with r2.
  await assign(c.c4, r2.id, 'open', '2026-04-04T09:00:00Z');
  // a6: r1 accepts c5 after 240 min, later released (rep left); c5 was sql before (not a conversion).
  await assign(c.c5, r1.id, 'released', '2026-04-05T09:00:00Z', { accepted: '2026-04-05T13:00:00Z', released: '2026-04-20T09:00:00Z' });
  // a7: c6 released from r1 before any decision.
  await assign(c.c6, r1.id, 'released', '2026-04-06T09:00:00Z', { released: '2026-04-06T12:00:00Z' });
  // Outside the report: March, and a queue.
  await assign(c.c7, r2.id, 'accepted', '2026-03-15T09:00:00Z', { accepted: '2026-03-15T09:05:00Z' });
  await assign(c.c8, null, 'open', '2026-04-10T09:00:00Z');
  const history = (contact: string | undefined, to: string, when: string) =>
    sql`insert into lifecycle_history (id, workspace_id, contact_id, from_stage, to_stage, reason, actor, at)
      values (${newId()}, ${w.id}, ${contact ?? ''}, null, ${to}, 'test', 'test', ${new Date(when)})`.execute(db);
  await history(c.c1, 'sql', '2026-04-02T09:00:00Z');
  await history(c.c2, 'opportunity', '2026-04-05T09:00:00Z');
  await history(c.c5, 'sql', '2026-03-01T09:00:00Z');
  await history(c.c7, 'customer', '2026-03-20T09:00:00Z');
});
afterAll(async () => t?.close());

describe('routing feedback report', () => {
  it('answers the hand-computed numbers', async () => {
    const res = await call('/api/v1/routing/report?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z');
    expect(res.statusCode, res.body).toBe(200);
    const r = json<Record<string, unknown>>(res);
    expect(r.modelId).toBe(modelId);
    // a1..a7: accepted a1, a3, a6; rejected a2, a4; open a5; released undecided a7. 3 / (3 + 2).
    expect(r.totals).toEqual({ assigned: 7, accepted: 3, rejected: 2, open: 1, movedOn: 0, released: 1, acceptanceRate: 0.6 });
    expect(r.rejectionReasons).toEqual([
      { reason: 'Duplicate', count: 1 },
      { reason: 'Not a fit', count: 1 },
    ]);
    // First touch: 10, 30, 60, 120, 240 minutes: mean 92, median 60, p90 120 + 0.6 x 120 = 192.
    expect(r.timeToFirstTouch).toEqual({ decided: 5, avgMinutes: 92, medianMinutes: 60, p90Minutes: 192 });
    // r1: a1, a2, a6, a7: accepted 2, rejected 1; converted c1 only: c2 converted after r1 rejected it
    // (a2), which is r2's conversion, not r1's: 1 of 4; touch 30, 120, 240 -> median 120.
    // r2: a3, a4, a5: 1 and 1; converted c2: 1 of 3; touch 10, 60 -> 35.
    expect(r.byRep).toEqual([
      {
        key: r1.id,
        label: 'Rep One',
        leads: 4,
        assigned: 4,
        accepted: 2,
        rejected: 1,
        acceptanceRate: 0.6667,
        converted: 1,
        rate: 0.25,
        medianMinutesToFirstTouch: 120,
      },
      {
        key: r2.id,
        label: 'Rep Two',
        leads: 3,
        assigned: 3,
        accepted: 1,
        rejected: 1,
        acceptanceRate: 0.5,
        converted: 1,
        rate: 0.3333,
        medianMinutesToFirstTouch: 35,
      },
    ]);
    // Distinct contacts: ads c3, c5, c6 (none converted); webinar c1, c2 (both); no source c4.
    expect(r.bySource).toEqual([
      { key: 'ads', label: 'ads', leads: 3, converted: 0, rate: 0 },
      { key: 'webinar', label: 'webinar', leads: 2, converted: 2, rate: 1 },
      { key: '', label: '(no source)', leads: 1, converted: 0, rate: 0 },
    ]);
    // Bands: A c1, c3 (c1 converted); B c2, c5 (c2); no score c4, c6.
    expect(r.byBand).toEqual([
      { key: 'A', label: 'A', leads: 2, converted: 1, rate: 0.5 },
      { key: 'B', label: 'B', leads: 2, converted: 1, rate: 0.5 },
      { key: '', label: '(no score)', leads: 2, converted: 0, rate: 0 },
    ]);
  });

  it('credits a conversion to the rep who kept the lead, not to one it was released from', async () => {
    const db = t.db.handle.db;
    // June: c6 goes to r1, who accepts it and leaves (released); r2 gets it, accepts, and it converts.
    const rows: Array<[string, string, string, string | null]> = [
      [r1.id, 'released', '2026-06-01T09:00:00Z', '2026-06-03T09:00:00Z'],
      [r2.id, 'accepted', '2026-06-03T09:00:00Z', null],
    ];
    for (const [owner, status, assigned, released] of rows) {
      await sql`insert into lead_assignments (id, workspace_id, contact_id, owner_id, status, assigned_at, accepted_at, released_at)
        values (${newId()}, ${w.id}, ${c.c6 ?? ''}, ${owner}, ${status}, ${new Date(assigned)}, ${new Date(assigned)},
          ${released ? new Date(released) : null})`.execute(db);
    }
    await sql`insert into lifecycle_history (id, workspace_id, contact_id, from_stage, to_stage, reason, actor, at)
      values (${newId()}, ${w.id}, ${c.c6 ?? ''}, null, 'sql', 'test', 'test', ${new Date('2026-06-10T09:00:00Z')})`.execute(db);
    const res = await call('/api/v1/routing/report?from=2026-06-01T00:00:00Z&to=2026-07-01T00:00:00Z');
    expect(res.statusCode, res.body).toBe(200);
    const byRep = json<{ byRep: Array<{ key: string; converted: number }> }>(res).byRep;
    expect(Object.fromEntries(byRep.map((r) => [r.key, r.converted]))).toEqual({ [r1.id]: 0, [r2.id]: 1 });
  });

  it('counts an open lead whose contact has moved on since (sql, recycled, disqualified) as moved on, not open', async () => {
    const db = t.db.handle.db;
    // August: four leads assigned to r1 as mql, none decided. The contacts of three move on.
    const now: Record<string, string | null> = { waiting: 'mql', sql: 'sql', recycle: 'recycle', disqualified: 'disqualified' };
    for (const [name, stage] of Object.entries(now)) {
      const id = newId();
      await sql`insert into contacts (id, workspace_id, email, lifecycle_stage, created_at, updated_at)
        values (${id}, ${w.id}, ${`${name}@moved-on.report.test`}, 'mql', now(), now())`.execute(db);
      await sql`insert into lead_assignments (id, workspace_id, contact_id, owner_id, status, assigned_at, stage)
        values (${newId()}, ${w.id}, ${id}, ${r1.id}, 'open', ${new Date('2026-08-03T09:00:00Z')}, 'mql')`.execute(db);
      await sql`update contacts set lifecycle_stage = ${stage} where id = ${id}`.execute(db);
    }
    const res = await call('/api/v1/routing/report?from=2026-08-01T00:00:00Z&to=2026-09-01T00:00:00Z');
    expect(res.statusCode, res.body).toBe(200);
    expect(json<{ totals: unknown }>(res).totals).toEqual({
      assigned: 4,
      accepted: 0,
      rejected: 0,
      open: 1,
      movedOn: 3,
      released: 0,
      acceptanceRate: null,
    });
  });

  it('answers zeros for an empty period, 404 for another model and 400 for a model not published', async () => {
    const res = await call('/api/v1/routing/report?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z');
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res)).toMatchObject({
      totals: { assigned: 0, accepted: 0, rejected: 0, acceptanceRate: null },
      rejectionReasons: [],
      timeToFirstTouch: { decided: 0, avgMinutes: null, medianMinutes: null },
      byRep: [],
    });
    const other = await call(`/api/v1/routing/report?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z&modelId=${newId()}`);
    expect(other.statusCode).toBe(404);
    expect(other.headers['content-type']).toContain('application/problem+json');
    const draft = newId();
    await sql`insert into scoring_models (id, workspace_id, name, draft, published_version, created_at, updated_at)
      values (${draft}, ${w.id}, 'Draft', '{}'::jsonb, null, now(), now())`.execute(t.db.handle.db);
    const unpublished = await call(`/api/v1/routing/report?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z&modelId=${draft}`);
    expect(unpublished.statusCode).toBe(400);
    expect(json(unpublished)).toMatchObject({ errors: [{ path: 'modelId' }] });
  });
});
