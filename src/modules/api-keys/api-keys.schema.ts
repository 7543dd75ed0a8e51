import { z } from 'zod';
import { pageQuerySchema, pageSchema } from '../../platform/http/pagination.js';
import { roleSchema } from '../../platform/permissions.js';

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: roleSchema,
    prefix: z.string().describe('The visible start of the key, to recognise it'),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof apiKeySchema>;

export const createApiKeySchema = z.object({ name: z.string().trim().min(1, 'Name is required').max(100), role: roleSchema }).strict();
export type CreateApiKeyInput = z.infer<typeof createApiKeySchema>;

export const createdApiKeySchema = apiKeySchema.extend({
  key: z.string().describe('The secret key. Shown once: it is stored only as a hash.'),
});

export const listApiKeysQuerySchema = pageQuerySchema.extend({ status: z.enum(['active', 'revoked', 'all']).default('active') }).strict();
export type ListApiKeysQuery = z.infer<typeof listApiKeysQuerySchema>;

export const apiKeysPageSchema = pageSchema(apiKeySchema);
