import { z } from 'zod';
import type { Jobs } from '../../platform/jobs/jobs.js';
import { drainQueue, rebuildBuilding, refreshTimedSegments } from './segments.membership.js';

export function segmentsJobs(jobs: Jobs): void {
  // Changed contacts are re-evaluated within about a second: the queue is polled every 500 ms and
  // drained in passes of 5,000 contacts. Segments waiting for a rebuild go first.
  jobs.defineLoop({
    name: 'segments.membership',
    intervalMs: 500,
    handler: async (ctx, stop) => {
      await rebuildBuilding(ctx.db, ctx.clock, stop);
      // Shutdown is checked between passes: a stopping server waits for one pass at most.
      return drainQueue(ctx.db, ctx.clock, { maxBatches: 10, stop });
    },
  });
  // Time windows ("in the last 30 days") move without any write: re-evaluated every minute.
  jobs.define({
    name: 'segments.time-windows',
    schema: z.object({}).passthrough(),
    cron: '* * * * *',
    retryLimit: 0,
    expireInSeconds: 10 * 60,
    handler: async (ctx) => {
      const r = await refreshTimedSegments(ctx.db, ctx.clock);
      if (r.entered + r.exited > 0) ctx.logger.info(r, 'segment time windows applied');
    },
  });
}
