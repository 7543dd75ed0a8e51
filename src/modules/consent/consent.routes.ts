import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../../platform/http/app.js';
import { idParamsSchema } from '../crm/records.schema.js';
import { consentSchema, contactConsentsSchema, recordConsentSchema } from './consent.schema.js';
import { consentSummary, contactConsents, recordConsent } from './consent.service.js';

export async function consentRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const tags = ['Consent'];
  r.get(
    '/api/v1/contacts/:id/consents',
    {
      config: { permission: 'consent.read' },
      schema: {
        tags,
        summary: "A contact's consent per purpose now, and every change (newest first)",
        params: idParamsSchema,
        response: { 200: contactConsentsSchema },
      },
    },
    async (req) => contactConsents(ctx.db, requireAuth(req).actor.workspaceId, req.params.id),
  );
  r.post(
    '/api/v1/contacts/:id/consents',
    {
      config: { permission: 'consent.write' },
      schema: {
        tags,
        summary: 'Record consent given or withdrawn (an older change is kept in the history without overriding a newer one)',
        params: idParamsSchema,
        body: recordConsentSchema,
        response: { 201: z.object({ consent: consentSchema, applied: z.boolean() }) },
      },
    },
    async (req, reply) => reply.status(201).send(await recordConsent(ctx, requireAuth(req).actor, req.params.id, req.body)),
  );
  r.get(
    '/api/v1/consents/summary',
    {
      config: { permission: 'consent.read' },
      schema: {
        tags,
        summary: 'Live contacts per purpose: granted (effective), pending confirmation, withdrawn',
        response: {
          200: z.object({
            data: z.array(z.object({ purpose: z.string(), granted: z.number(), pending: z.number(), withdrawn: z.number() })),
          }),
        },
      },
    },
    async (req) => ({ data: await consentSummary(ctx.db, requireAuth(req).actor.workspaceId) }),
  );
}
