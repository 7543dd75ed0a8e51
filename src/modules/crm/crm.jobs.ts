import { z } from 'zod';
import type { Jobs } from '../../platform/jobs/jobs.js';
import { runBulk } from './bulk.service.js';
import { purgeDeletedFields } from './custom-fields.service.js';

export function crmJobs(jobs: Jobs): void {
  jobs.define({
    name: 'crm.bulk',
    schema: z.object({ id: z.uuid() }),
    retryLimit: 5,
    expireInSeconds: 3600,
    handler: (ctx, data) => runBulk(ctx, data.id),
  });
  jobs.define({
    name: 'crm.custom-fields-purge',
    schema: z.object({}).passthrough(),
    cron: '41 3 * * *',
    retryLimit: 3,
    handler: async (ctx) => {
      const n = await purgeDeletedFields(ctx);
      if (n > 0) ctx.logger.info({ purged: n }, 'purged custom fields deleted more than 30 days ago');
    },
  });
}
