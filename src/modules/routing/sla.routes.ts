import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../../platform/http/app.js';
import { reportQuerySchema, routingReportSchema } from './report.schema.js';
import { routingReport } from './report.service.js';
import { slaEventSchema, slaEventsQuerySchema, slaOverviewSchema, slaQuerySchema, slaSettingsSchema } from './sla.schema.js';
import { putSlaSettings, slaEvents, slaOverview, slaSettings } from './sla.service.js';

/** SLAs and the feedback report (issue 8 part 4). Registered by routingRoutes. */
export async function slaRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const tags = ['Routing'];

  r.get(
    '/api/v1/routing/sla',
    {
      config: { permission: 'routing.sla_read' },
      schema: {
        tags,
        summary: 'Open leads under an SLA, soonest due first, with counts on track, at risk and breached, overall and per rep',
        querystring: slaQuerySchema,
        response: { 200: slaOverviewSchema },
      },
    },
    async (req) => slaOverview(ctx.db, ctx.clock, requireAuth(req).actor.workspaceId, req.query),
  );
  r.get(
    '/api/v1/routing/sla/settings',
    {
      config: { permission: 'routing.sla_read' },
      schema: {
        tags,
        summary: 'Per-stage SLAs, the calendar they run on, and who breaches escalate to',
        response: { 200: slaSettingsSchema },
      },
    },
    async (req) => slaSettings(ctx.db, requireAuth(req).actor.workspaceId),
  );
  r.put(
    '/api/v1/routing/sla/settings',
    {
      config: { permission: 'routing.sla_configure' },
      schema: { tags, summary: 'Set the per-stage SLAs (audited)', body: slaSettingsSchema, response: { 200: slaSettingsSchema } },
    },
    async (req) => putSlaSettings(ctx, requireAuth(req).actor, req.body),
  );
  r.get(
    '/api/v1/routing/sla/events',
    {
      config: { permission: 'routing.sla_read' },
      schema: {
        tags,
        summary: 'SLA reminders (to the rep) and escalations (to the manager) recorded, newest first',
        querystring: slaEventsQuerySchema,
        response: { 200: z.object({ data: z.array(slaEventSchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (req) => slaEvents(ctx.db, requireAuth(req).actor.workspaceId, req.query),
  );
  r.get(
    '/api/v1/routing/report',
    {
      config: { permission: 'routing.report' },
      schema: {
        tags,
        summary: 'Feedback report: acceptance rate, rejection reasons, time to first touch, conversion by rep, source and score band',
        querystring: reportQuerySchema,
        response: { 200: routingReportSchema },
      },
    },
    async (req) => routingReport(ctx.db, requireAuth(req).actor.workspaceId, req.query),
  );
}
