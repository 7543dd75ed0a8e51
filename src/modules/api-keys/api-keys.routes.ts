import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireAuth } from '../../platform/http/app.js';
import { idParamsSchema } from '../users/users.schema.js';
import { apiKeySchema, apiKeysPageSchema, createApiKeySchema, createdApiKeySchema, listApiKeysQuerySchema } from './api-keys.schema.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.service.js';

export async function apiKeysRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const tags = ['API keys'];

  r.get(
    '/api/v1/api-keys',
    {
      config: { permission: 'api_keys.read' },
      schema: { tags, summary: 'List API keys', querystring: listApiKeysQuerySchema, response: { 200: apiKeysPageSchema } },
    },
    async (req) => listApiKeys(ctx, requireAuth(req).actor.workspaceId, req.query),
  );

  r.post(
    '/api/v1/api-keys',
    {
      config: { permission: 'api_keys.manage' },
      schema: {
        tags,
        summary: 'Create an API key (the key is in this response only)',
        body: createApiKeySchema,
        response: { 201: createdApiKeySchema },
      },
    },
    async (req, reply) => reply.status(201).send(await createApiKey(ctx, requireAuth(req).actor, req.body)),
  );

  r.delete(
    '/api/v1/api-keys/:id',
    {
      config: { permission: 'api_keys.manage' },
      schema: { tags, summary: 'Revoke an API key', params: idParamsSchema, response: { 200: apiKeySchema } },
    },
    async (req) => revokeApiKey(ctx, requireAuth(req).actor, req.params.id),
  );
}
