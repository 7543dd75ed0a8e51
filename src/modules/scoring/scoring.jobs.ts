import { z } from 'zod';
import type { Jobs } from '../../platform/jobs/jobs.js';
import { drainScoringQueue, recomputeAll, recomputeModel } from './scoring.compute.js';

export function scoringJobs(jobs: Jobs): void {
  // Contacts whose data or activity changed are rescored within about a second: the queue is
  // polled every 500 ms and drained in passes of 5,000 contacts.
  jobs.defineLoop({
    name: 'scoring.queue',
    intervalMs: 500,
    handler: async (ctx, stop) => drainScoringQueue(ctx.db, ctx.clock, { maxBatches: 10, stop }),
  });
  // A whole model, after a publish or on request.
  jobs.define({
    name: 'scoring.recompute',
    schema: z.object({ modelId: z.uuid() }).strict(),
    retryLimit: 3,
    expireInSeconds: 60 * 60,
    handler: async (ctx, data) => {
      const r = await recomputeModel(ctx.db, ctx.clock, data.modelId);
      ctx.logger.info({ modelId: data.modelId, ...r }, 'scoring model recomputed');
    },
  });
  // Decay and time windows change scores without any write: every published model is recomputed
  // daily (03:17 UTC), so a score is never more than a day behind its decay.
  jobs.define({
    name: 'scoring.daily',
    schema: z.object({}).passthrough(),
    cron: '17 3 * * *',
    retryLimit: 1,
    expireInSeconds: 6 * 60 * 60,
    handler: async (ctx) => {
      const n = await recomputeAll(ctx.db, ctx.clock);
      ctx.logger.info({ models: n }, 'scoring models refreshed');
    },
  });
}
