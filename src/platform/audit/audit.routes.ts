import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireAuth } from '../http/app.js';
import { auditPageSchema, auditQuerySchema } from './audit.schema.js';
import { listAudit } from './audit.service.js';

export async function auditRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/v1/audit',
    {
      config: { permission: 'audit.read' },
      schema: {
        tags: ['Audit'],
        summary: 'The audit log, newest first, filtered by actor, entity, action and time range',
        querystring: auditQuerySchema,
        response: { 200: auditPageSchema },
      },
    },
    async (req) => listAudit(app.keel.handle.db, requireAuth(req).actor.workspaceId, req.query),
  );
}
