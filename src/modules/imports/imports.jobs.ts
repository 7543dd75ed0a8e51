import { z } from 'zod';
import type { Jobs } from '../../platform/jobs/jobs.js';
import { requeueStaleImports, runImport, runUndo } from './imports.service.js';

/** Imports run as jobs: a crashed worker's job is retried by pg-boss and resumes at its checkpoint. */
export function importsJobs(jobs: Jobs, filesDir: string): void {
  jobs.define({
    name: 'imports.run',
    schema: z.object({ id: z.uuid(), dryRun: z.boolean() }),
    retryLimit: 5,
    retryDelaySeconds: 5,
    expireInSeconds: 4 * 3600,
    handler: async (ctx, data) => {
      await runImport({ db: ctx.db, clock: ctx.clock, filesDir }, data.id, data.dryRun);
    },
  });
  jobs.define({
    name: 'imports.resume-stale',
    schema: z.object({}).passthrough(),
    cron: '* * * * *',
    retryLimit: 1,
    handler: async (ctx) => {
      const n = await requeueStaleImports(ctx, ctx.jobs);
      if (n > 0) ctx.logger.warn({ imports: n }, 'resuming imports whose process stopped');
    },
  });
  jobs.define({
    name: 'imports.undo',
    schema: z.object({ id: z.uuid(), dryRun: z.boolean().optional() }),
    retryLimit: 5,
    expireInSeconds: 3600,
    handler: async (ctx, data) => {
      await runUndo({ db: ctx.db, clock: ctx.clock, filesDir }, data.id);
    },
  });
}
