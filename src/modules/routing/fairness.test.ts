import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { createTestApp, fixedClock, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';
import { putReps, createRoutingRule, routeContact } from './routing.service.js';
import { smoothPick } from './round-robin.js';

const clock = fixedClock(new Date('2026-03-02T09:00:00Z'));
let t: TestApp;
let w: Workspace;

beforeAll(async () => {
  t = await createTestApp({ clock });
  w = await makeWorkspace(t);
});
afterAll(async () => t?.close());

/** Runs `work` over `items` with at most `n` at a time. */
async function pool<T>(items: readonly T[], n: number, work: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i] as T);
      }
    }),
  );
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
    const weights = [5, 3, 2, 0];
    const users = [];
    for (const [i] of weights.entries()) users.push(await makeUser(t, w, 'sales', `fair${i}@example.com`));
    const ctx = { db: t.db.handle.db, clock };
    const actor = systemActor(w.id);
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
    const n = 10_000;
    const ids = (
      await sql<{ id: string }>`insert into contacts (id, workspace_id, email, lifecycle_stage, created_at, updated_at)
        select gen_random_uuid(), ${w.id}::uuid, 'mql' || g || '@example.com', 'mql', ${clock.now()}::timestamptz, ${clock.now()}::timestamptz
        from generate_series(1, ${n}) g returning id`.execute(t.db.handle.db)
    ).rows.map((r) => r.id);
    // Every lead is routed twice, by two callers racing: exactly-once must hold at volume too.
    const work = [...ids, ...ids.slice(0, 2000)];
    await pool(work, 20, async (id) => {
      await routeContact(ctx, actor, id, { cause: 'stage: mql' });
    });
    const counts = await sql<{ owner_id: string; n: number }>`
      select owner_id, count(*)::int as n from lead_assignments where workspace_id = ${w.id} group by owner_id`.execute(t.db.handle.db);
    const byOwner = new Map(counts.rows.map((r) => [r.owner_id, r.n]));
    expect(users.map((u) => byOwner.get(u.id) ?? 0)).toEqual([5000, 3000, 2000, 0]);
    const live = await sql<{ n: number; d: number }>`
      select count(*)::int as n, count(distinct contact_id)::int as d from lead_assignments where workspace_id = ${w.id}`.execute(
      t.db.handle.db,
    );
    expect(live.rows[0]).toEqual({ n, d: n });
    const log = await sql<{ n: number }>`select count(*)::int as n from routing_log where workspace_id = ${w.id}`.execute(t.db.handle.db);
    expect(log.rows[0]?.n).toBe(n);
  }, 600_000);
});
