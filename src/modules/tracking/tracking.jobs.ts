import { sql } from 'kysely';
import { z } from 'zod';
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
}
