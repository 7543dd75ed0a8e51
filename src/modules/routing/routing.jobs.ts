import type { Jobs } from '../../platform/jobs/jobs.js';
import { drainLifecycleQueue } from './lifecycle.service.js';
import { drainRoutingQueue } from './routing.service.js';
import { runSlaChecks } from './sla.service.js';

export function routingJobs(jobs: Jobs): void {
  // Stage rules for changed contacts and new hand-raiser events, within about a second. A stage
  // change into a routing stage queues the lead for the loop below in the same transaction.
  jobs.defineLoop({
    name: 'routing.lifecycle',
    intervalMs: 500,
    handler: async (ctx, stop) => drainLifecycleQueue(ctx.db, ctx.clock, { maxBatches: 10, stop }),
  });
  // New MQLs and the leads of disabled reps: one lead per transaction, shared between workers.
  jobs.defineLoop({
    name: 'routing.queue',
    intervalMs: 500,
    handler: async (ctx, stop) => drainRoutingQueue(ctx.db, ctx.clock, { max: 500, stop }),
  });
  // SLA reminders and escalations, each recorded once (a unique index), by the job's clock. A
  // minute's delay on a four-hour SLA is well inside what anyone notices. A workspace whose checks
  // fail is logged and retried next minute; it does not hold up the others.
  jobs.defineLoop({
    name: 'routing.sla',
    intervalMs: 60_000,
    handler: async (ctx) => {
      await runSlaChecks(ctx.db, ctx.clock, { logger: ctx.logger });
      return false;
    },
  });
}
