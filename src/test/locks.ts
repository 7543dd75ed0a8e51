import { sql } from 'kysely';
import type { Db } from '../platform/db/database.js';
import { onPostgres } from './db.js';

/**
 * For lock-order tests: resolves once some session of this test's database is waiting for a lock
 * (a row lock or an advisory lock), or once `work` has settled without waiting. On PGlite, one
 * session, at once: there `work` cannot start until the caller's transaction ends, so no
 * interleaving (and no deadlock) can happen and there is nothing to wait for.
 */
export async function untilWaitingForLock(db: Db, work: Promise<unknown>, timeoutMs = 10_000): Promise<void> {
  if (!onPostgres) return;
  let settled = false;
  const mark = () => {
    settled = true;
  };
  work.then(mark, mark);
  const end = Date.now() + timeoutMs;
  while (!settled && Date.now() < end) {
    const r = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
    if ((r.rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
