import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { createTestApp, fixedClock, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';
import { putReps, createRoutingRule, drainRoutingQueue, routeContact } from './routing.service.js';
import { smoothPick } from './round-robin.js';

const clock = fixedClock(new Date('2026-03-02T09:00:00Z'));
let t: TestApp;
let w: Workspace;

beforeAll(async () => {
  t = await createTestApp({ clock });
  w = await makeWorkspace(t);
});
afterAll(async () => t?.close());

/** Sales users with the given weights as reps, one weighted round-robin rule over them, and `n` MQL contacts. */
async function weightedSetup(ws: Workspace, weights: readonly number[], n: number, tag: string) {
  const users = [];
  for (const [i] of weights.entries()) users.push(await makeUser(t, ws, 'sales', `${tag}${i}@example.com`));
  const ctx = { db: t.db.handle.db, clock };
  const actor = systemActor(ws.id);
  await putReps(
    ctx,
    actor,
    users.map((u, i) => ({
      userId: u.id,
      weight: weights[i] ?? 1,
      capacity: null,
      workingHours: null,
      timeZone: 'UTC',
      available: true,
    })),
  );
  await createRoutingRule(ctx, actor, { name: 'Weighted', enabled: true, action: { type: 'round_robin', reps: users.map((u) => u.id) } });
  const ids = (
    await sql<{ id: string }>`insert into contacts (id, workspace_id, email, lifecycle_stage, created_at, updated_at)
      select gen_random_uuid(), ${ws.id}::uuid, ${tag} || g || '@example.com', 'mql', ${clock.now()}::timestamptz, ${clock.now()}::timestamptz
      from generate_series(1, ${n}) g returning id`.execute(t.db.handle.db)
  ).rows.map((r) => r.id);
  return { users, ids, ctx, actor };
}

/** Live assignments per rep (in `users` order), and the live / distinct-contact / log totals of the workspace. */
async function outcome(ws: Workspace, users: ReadonlyArray<{ id: string }>) {
  const db = t.db.handle.db;
  const counts = await sql<{ owner_id: string; n: number }>`
    select owner_id, count(*)::int as n from lead_assignments where workspace_id = ${ws.id} group by owner_id`.execute(db);
  const byOwner = new Map(counts.rows.map((r) => [r.owner_id, r.n]));
  const live = await sql<{ n: number; d: number }>`
    select count(*)::int as n, count(distinct contact_id)::int as d from lead_assignments where workspace_id = ${ws.id}`.execute(db);
  const log = await sql<{ n: number }>`select count(*)::int as n from routing_log where workspace_id = ${ws.id}`.execute(db);
  return { perRep: users.map((u) => byOwner.get(u.id) ?? 0), live: live.rows[0], log: log.rows[0]?.n };
}

describe('routing fairness', () => {
  it('smooth weighted round robin gives each rep exactly its weight per cycle, spread out', () => {
    const reps = [
      { id: 'a', weight: 5 },
      { id: 'b', weight: 1 },
      { id: 'c', weight: 1 },
    ];
    let counters = new Map<string, number>();
    const seq: string[] = [];
    for (let i = 0; i < 7; i++) {
      const p = smoothPick(reps, counters);
      if (!p) throw new Error('no pick');
      counters = p.counters;
      seq.push(p.id);
    }
    expect(seq.join('')).toBe('aabacaa');
    expect([...counters.values()]).toEqual([0, 0, 0]);
    expect(smoothPick([{ id: 'z', weight: 0 }], new Map())).toBeNull();
  });

  it('distributes 10,000 simultaneous MQLs exactly to the weights, each routed once', async () => {
    const n = 10_000;
    const { users, ids, ctx, actor } = await weightedSetup(w, [5, 3, 2, 0], n, 'fair');
    // All 10,000 leads are routed at once (every call started before any finishes), and 2,000 of
    // them twice, by two callers racing: exactly-once must hold at volume too.
    const work = [...ids, ...ids.slice(0, 2000)];
    await Promise.all(work.map((id) => routeContact(ctx, actor, id, { cause: 'stage: mql' })));
    expect(await outcome(w, users)).toEqual({ perRep: [5000, 3000, 2000, 0], live: { n, d: n }, log: n });
  }, 600_000);

  it('two queue workers draining 10,000 MQLs queued at once give each rep exactly its weight', async () => {
    const ws = await makeWorkspace(t);
    const n = 10_000;
    const { users, ids } = await weightedSetup(ws, [4, 3, 2, 1], n, 'queued');
    // The 10,000 leads become MQLs in one statement (as a bulk stage change queues them), then the
    // routing.queue job's drain runs in two workers at the same time, as two servers would.
    await sql`insert into routing_queue (workspace_id, contact_id, cause)
      select ${ws.id}::uuid, id, 'stage:mql' from unnest(${ids}::uuid[]) as id`.execute(t.db.handle.db);
    const drain = async () => {
      while (await drainRoutingQueue(t.db.handle.db, clock, { max: 500 }));
    };
    await Promise.all([drain(), drain()]);
    expect(await outcome(ws, users)).toEqual({ perRep: [4000, 3000, 2000, 1000], live: { n, d: n }, log: n });
    const left = await sql<{ n: number }>`select count(*)::int as n from routing_queue where workspace_id = ${ws.id}`.execute(
      t.db.handle.db,
    );
    expect(left.rows[0]?.n).toBe(0);
  }, 600_000);
});
