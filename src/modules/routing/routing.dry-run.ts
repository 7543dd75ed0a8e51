import { sql } from 'kysely';
import { systemActor } from '../../platform/actor.js';
import type { Db } from '../../platform/db/database.js';
import { routeInTx } from './routing.service.js';

export interface DryRunRoute {
  contactId: string;
  ownerId: string | null;
  queue: string | null;
  alreadyAssigned: boolean;
  reason: string;
}

/** Thrown to roll the dry run's transaction back, carrying what it found. */
class DryRunDone extends Error {
  constructor(readonly routes: DryRunRoute[]) {
    super('dry run rolled back');
  }
}

/**
 * Where the routing rules would send these leads now, in this order, storing nothing: the very
 * routing of `routeInTx` (conditions, territories, account owners, weighted round robin, capacity,
 * working hours, fallback), one lead after the other so round-robin counters and capacity move as
 * they would, inside one transaction that is always rolled back. It holds the workspace's routing
 * lock until then, so keep the list short (the scoring what-if routes at most a few hundred).
 *
 * Locks are taken in real routing's order, contacts before the routing lock: every contact is
 * locked up front (in id order, in one statement, so two dry runs cannot deadlock each other),
 * then each lead is routed. Taking the routing lock with the first lead and a later contact's lock
 * after it would deadlock with a router holding that contact and waiting for the routing lock.
 * Contacts that are deleted (before the dry run, or while it waited for their lock) are left out.
 */
export async function dryRunRoutes(db: Db, now: Date, ws: string, contactIds: readonly string[]): Promise<DryRunRoute[]> {
  if (contactIds.length === 0) return [];
  const actor = systemActor(ws, 'routing dry run');
  try {
    await db.transaction().execute(async (trx) => {
      const locked = await sql<{ id: string }>`
        select id from contacts where workspace_id = ${ws} and id = any(${[...new Set(contactIds)]}::uuid[]) and deleted_at is null
        order by id for update`.execute(trx);
      const live = new Set(locked.rows.map((r) => r.id));
      const routes: DryRunRoute[] = [];
      for (const contactId of contactIds) {
        if (!live.has(contactId)) continue;
        const r = await routeInTx(trx, now, ws, contactId, { cause: 'dry run', actor });
        routes.push({
          contactId,
          ownerId: r.assignment.ownerId,
          queue: r.assignment.queue,
          alreadyAssigned: r.alreadyAssigned,
          reason: r.reason,
        });
      }
      throw new DryRunDone(routes);
    });
  } catch (err) {
    if (err instanceof DryRunDone) return err.routes;
    throw err;
  }
  return [];
}
