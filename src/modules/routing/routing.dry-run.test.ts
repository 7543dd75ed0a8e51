import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../platform/actor.js';
import { bearer, createTestApp, fixedClock, json, makeApiKey, makeUser, makeWorkspace, type TestApp } from '../../test/app.js';
import { untilWaitingForLock } from '../../test/locks.js';
import type { User } from '../users/users.schema.js';
import type { Workspace } from '../workspaces/workspaces.schema.js';
import { dryRunRoutes, type DryRunRoute } from './routing.dry-run.js';
import { routeInTx } from './routing.service.js';

const clock = fixedClock(new Date('2026-03-02T09:00:00Z'));
let t: TestApp;
let w: Workspace;
let key: string;
let ana: User;

const call = (method: string, url: string, payload?: object) =>
  t.app.inject({ method: method as 'GET', url, headers: bearer(key), ...(payload && { payload }) });
let seq = 0;
const lead = async () => json<{ id: string }>(await call('POST', '/api/v1/contacts', { email: `dry${++seq}@example.com` })).id;
const summary = (routes: DryRunRoute[]) =>
  routes.map((r) => ({ contactId: r.contactId, ownerId: r.ownerId, alreadyAssigned: r.alreadyAssigned }));

beforeAll(async () => {
  t = await createTestApp({ clock });
  w = await makeWorkspace(t);
  key = await makeApiKey(t, w, 'admin');
  ana = await makeUser(t, w, 'sales');
  expect((await call('PUT', '/api/v1/routing/reps', { reps: [{ userId: ana.id }] })).statusCode).toBe(200);
  expect((await call('POST', '/api/v1/routing/rules', { name: 'Ana', action: { type: 'round_robin', reps: [ana.id] } })).statusCode).toBe(
    201,
  );
});
afterAll(async () => t?.close());

describe('routing dry run', () => {
  it('locks contacts before the routing lock, as real routing does: no deadlock with a router', async () => {
    const [c1, c2, c3] = [await lead(), await lead(), await lead()];
    const db = t.db.handle.db;
    let dry: Promise<DryRunRoute[]> = Promise.resolve([]);
    // A real router of c2 (routeInTx): it holds c2's row, and the dry run starts before it takes the
    // routing lock. Taking the routing lock with c1 and then waiting for c2, the dry run deadlocked.
    await db.transaction().execute(async (trx) => {
      await sql`select id from contacts where id = ${c2} for update`.execute(trx);
      dry = dryRunRoutes(db, clock.now(), w.id, [c1, c2, c3]);
      await untilWaitingForLock(db, dry);
      await routeInTx(trx, clock.now(), w.id, c2, { cause: 'test', actor: systemActor(w.id, 'test') });
    });
    expect(summary(await dry)).toEqual([
      { contactId: c1, ownerId: ana.id, alreadyAssigned: false },
      { contactId: c2, ownerId: ana.id, alreadyAssigned: true },
      { contactId: c3, ownerId: ana.id, alreadyAssigned: false },
    ]);
    // Rolled back: only the real routing of c2 is stored.
    const stored = await sql<{
      contact_id: string;
    }>`select contact_id from lead_assignments where contact_id in (${c1}, ${c2}, ${c3})`.execute(db);
    expect(stored.rows.map((r) => r.contact_id)).toEqual([c2]);
  });

  it('leaves out a contact deleted while the dry run waits for it, and routes the others', async () => {
    const [c4, c5, c6] = [await lead(), await lead(), await lead()];
    const db = t.db.handle.db;
    let dry: Promise<DryRunRoute[]> = Promise.resolve([]);
    await db.transaction().execute(async (trx) => {
      await sql`select id from contacts where id = ${c5} for update`.execute(trx);
      dry = dryRunRoutes(db, clock.now(), w.id, [c6, c5, c4]);
      await untilWaitingForLock(db, dry);
      await sql`update contacts set deleted_at = ${clock.now()} where id = ${c5}`.execute(trx);
    });
    // In the order asked for, without c5.
    expect(summary(await dry)).toEqual([
      { contactId: c6, ownerId: ana.id, alreadyAssigned: false },
      { contactId: c4, ownerId: ana.id, alreadyAssigned: false },
    ]);
  });
});
