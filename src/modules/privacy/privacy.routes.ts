import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../../platform/http/app.js';
import { idParamsSchema } from '../crm/records.schema.js';
import { erasureReportSchema as reportSchema } from './privacy.schema.js';
import { eraseContact, listErasures, personalData } from './privacy.service.js';

export async function privacyRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock, filesDir: app.keel.config.filesDir };
  const tags = ['Privacy'];
  r.get(
    '/api/v1/contacts/:id/export',
    {
      config: { permission: 'privacy.export' },
      schema: {
        tags,
        summary: 'Subject access: everything Keel holds on this person, as one JSON document',
        params: idParamsSchema,
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    async (req, reply) => {
      const data = await personalData(ctx.db, requireAuth(req).actor.workspaceId, req.params.id, ctx.clock.now());
      return reply.header('content-disposition', `attachment; filename="contact-${req.params.id}.json"`).send(data);
    },
  );
  r.post(
    '/api/v1/contacts/:id/erase',
    {
      config: { permission: 'privacy.erase' },
      schema: {
        tags,
        summary: 'Erase a person: personal data removed from every table, email suppressed for good; answers the report',
        params: idParamsSchema,
        response: { 200: reportSchema },
      },
    },
    async (req) => eraseContact(ctx, requireAuth(req).actor, req.params.id),
  );
  r.get(
    '/api/v1/erasures',
    {
      config: { permission: 'privacy.erase' },
      schema: {
        tags,
        summary: 'Erasure reports: what was removed, when, at whose request',
        response: { 200: z.object({ data: z.array(reportSchema) }) },
      },
    },
    async (req) => ({ data: await listErasures(ctx.db, requireAuth(req).actor.workspaceId) }),
  );
}
