import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../../platform/http/app.js';
import { accountDef, contactDef } from '../crm/crm-objects.js';
import { idParamsSchema } from '../crm/records.schema.js';
import { decideMatch, listContactMatches, runAccountMatching } from './account-matching.service.js';
import { enrichRecord, recordProvenance } from './enrich-record.service.js';
import {
  accountMatchListSchema,
  accountMatchSchema,
  createProviderSchema,
  enrichRequestSchema,
  enrichResultSchema,
  matchingRunSchema,
  matchParamsSchema,
  provenanceListSchema,
  providerListSchema,
  providerParamsSchema,
  providerSchema,
  runMatchingSchema,
  updateProviderSchema,
} from './enrichment.schema.js';
import { createProvider, deleteProvider, getProvider, listProviders, updateProvider } from './providers.service.js';

export async function enrichmentRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const tags = ['Enrichment'];
  const read = { permission: 'enrichment.read' };
  const write = { permission: 'enrichment.write' };

  r.get(
    '/api/v1/enrichment/providers',
    {
      config: read,
      schema: { tags, summary: 'Enrichment providers: the built-in offline one first', response: { 200: providerListSchema } },
    },
    async (req) => ({ data: await listProviders(ctx.db, requireAuth(req).actor.workspaceId) }),
  );
  r.post(
    '/api/v1/enrichment/providers',
    {
      config: write,
      schema: { tags, summary: 'Add an HTTP enrichment provider', body: createProviderSchema, response: { 201: providerSchema } },
    },
    async (req, reply) => reply.status(201).send(await createProvider(ctx, requireAuth(req).actor, req.body)),
  );
  r.get(
    '/api/v1/enrichment/providers/:id',
    {
      config: read,
      schema: {
        tags,
        summary: 'One provider (offline: the built-in one)',
        params: providerParamsSchema,
        response: { 200: providerSchema },
      },
    },
    async (req) => getProvider(ctx.db, requireAuth(req).actor.workspaceId, req.params.id),
  );
  r.patch(
    '/api/v1/enrichment/providers/:id',
    {
      config: write,
      schema: {
        tags,
        summary: 'Change a provider (offline: switch it off or set its overwrite rules)',
        params: providerParamsSchema,
        body: updateProviderSchema,
        response: { 200: providerSchema },
      },
    },
    async (req) => updateProvider(ctx, requireAuth(req).actor, req.params.id, req.body),
  );
  r.delete(
    '/api/v1/enrichment/providers/:id',
    {
      config: write,
      schema: {
        tags,
        summary: 'Remove a provider (offline: forget its settings)',
        params: providerParamsSchema,
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await deleteProvider(ctx, requireAuth(req).actor, req.params.id);
      return reply.status(204).send(null);
    },
  );

  for (const def of [contactDef, accountDef]) {
    r.post(
      `/api/v1/${def.plural}/:id/enrich`,
      {
        config: write,
        schema: {
          tags,
          summary: `Enrich a ${def.object}: fill empty fields, never overwrite what a person typed unless a provider's rule says so`,
          params: idParamsSchema,
          body: enrichRequestSchema.optional(),
          response: { 200: enrichResultSchema },
        },
      },
      async (req) => enrichRecord(ctx, requireAuth(req).actor, def, req.params.id, req.body ?? {}),
    );
    r.get(
      `/api/v1/${def.plural}/:id/provenance`,
      {
        config: read,
        schema: {
          tags,
          summary: `Where each field of a ${def.object} came from: source, time, confidence`,
          params: idParamsSchema,
          response: { 200: provenanceListSchema },
        },
      },
      async (req) => ({ data: await recordProvenance(ctx.db, requireAuth(req).actor.workspaceId, def, req.params.id) }),
    );
  }

  r.get(
    '/api/v1/contacts/:id/account-matches',
    {
      config: read,
      schema: {
        tags,
        summary: 'Accounts this contact may belong to (by email domain and company name), most likely first',
        params: idParamsSchema,
        response: { 200: accountMatchListSchema },
      },
    },
    async (req) => ({ data: await listContactMatches(ctx.db, requireAuth(req).actor.workspaceId, req.params.id) }),
  );
  for (const decision of ['accept', 'reject'] as const) {
    r.post(
      `/api/v1/contacts/:id/account-matches/:accountId/${decision}`,
      {
        config: write,
        schema: {
          tags,
          summary:
            decision === 'accept'
              ? "Accept a match: the account becomes the contact's account"
              : 'Reject a match: never suggested again (unlinked if it was linked)',
          params: matchParamsSchema,
          response: { 200: accountMatchSchema },
        },
      },
      async (req) => decideMatch(ctx, requireAuth(req).actor, req.params.id, req.params.accountId, decision),
    );
  }
  r.post(
    '/api/v1/account-matching/run',
    {
      config: write,
      schema: {
        tags,
        summary: 'Match every contact without an account; link the sure ones, suggest the rest',
        body: runMatchingSchema.optional(),
        response: { 200: matchingRunSchema },
      },
    },
    async (req) => runAccountMatching(ctx, requireAuth(req).actor, req.body ?? runMatchingSchema.parse({})),
  );
}
