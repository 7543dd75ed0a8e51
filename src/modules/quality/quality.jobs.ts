import { z } from 'zod';
import type { Jobs } from '../../platform/jobs/jobs.js';
import { snapshotAllWorkspaces } from './quality-score.service.js';
import { applyRetentionPolicies } from './retention.service.js';

export function qualityJobs(jobs: Jobs, filesDir: string): void {
  // One data-quality point per workspace and day for the trend chart (a day's later snapshot,
  // taken by hand, replaces it).
  jobs.define({
    name: 'quality.snapshot',
    schema: z.object({}).passthrough(),
    cron: '17 0 * * *',
    retryLimit: 3,
    expireInSeconds: 2 * 3600,
    handler: async (ctx) => {
      const n = await snapshotAllWorkspaces(ctx);
      ctx.logger.info({ workspaces: n }, 'data-quality snapshots taken');
    },
  });
  // Retention policies (all data types but events, which tracking.retention applies at 03:23).
  jobs.define({
    name: 'quality.retention',
    schema: z.object({}).passthrough(),
    cron: '43 3 * * *',
    retryLimit: 3,
    expireInSeconds: 4 * 3600,
    handler: async (ctx) => {
      const runs = await applyRetentionPolicies(ctx, filesDir, { logger: ctx.logger });
      const deleted = runs.reduce((a, r) => a + r.deleted, 0);
      if (deleted > 0) ctx.logger.info({ passes: runs.length, deleted }, 'retention policies applied');
    },
  });
}
