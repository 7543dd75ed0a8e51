import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../../platform/db/database.js';
import type { Jobs } from '../../platform/jobs/jobs.js';

export function trackingJobs(jobs: Jobs): void {
  // Monthly event partitions exist three months ahead, so live events never land in the default one.
  jobs.define({
    name: 'tracking.partitions',
    schema: z.object({}).passthrough(),
    cron: '7 2 * * *',
    retryLimit: 3,
    handler: async (ctx) => {
      const r = await sql<{ made: number }>`select keel_ensure_event_partitions(${ctx.clock.now()}::date, 4) as made`.execute(ctx.db);
      const made = r.rows[0]?.made ?? 0;
      if (made > 0) ctx.logger.info({ made }, 'created event partitions');
    },
  });
  jobs.define({
    name: 'tracking.retention',
    schema: z.object({}).passthrough(),
    cron: '23 3 * * *',
    retryLimit: 3,
    handler: async (ctx) => {
      const n = await applyRetention(ctx.db, ctx.clock.now());
      if (n > 0) ctx.logger.info({ deleted: n }, 'deleted events past their source retention');
    },
  });
}

/** Per-source retention: events older than the source's retention_days are deleted, in slices. */
export async function applyRetention(db: Db, now: Date, slice = 10_000): Promise<number> {
  const sources = await db.selectFrom('sources').select(['id', 'retention_days']).where('retention_days', 'is not', null).execute();
  let deleted = 0;
  for (const s of sources) {
    const cutoff = new Date(now.getTime() - Number(s.retention_days) * 86_400_000);
    for (;;) {
      const r =
        await sql`delete from events where (id, ts) in (select id, ts from events where source_id = ${s.id} and ts < ${cutoff} limit ${slice})`.execute(
          db,
        );
      const n = Number(r.numAffectedRows ?? 0);
      deleted += n;
      if (n < slice) break;
    }
  }
  return deleted;
}
