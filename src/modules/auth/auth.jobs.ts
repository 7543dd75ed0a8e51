import { z } from 'zod';
import type { Jobs } from '../../platform/jobs/jobs.js';
import { deleteExpiredSessions } from './auth.service.js';

export function authJobs(jobs: Jobs): void {
  jobs.define({
    name: 'auth.sessions-cleanup',
    schema: z.object({}).passthrough(),
    cron: '17 * * * *',
    retryLimit: 3,
    handler: async (ctx) => {
      const n = await deleteExpiredSessions(ctx);
      if (n > 0) ctx.logger.info({ deleted: n }, 'deleted expired sessions');
    },
  });
}
