import { z } from 'zod';
import { pageQuerySchema, pageSchema } from '../http/pagination.js';

export const auditEntrySchema = z
  .object({
    id: z.string(),
    occurredAt: z.string(),
    actorType: z.enum(['user', 'api_key', 'system', 'cli']),
    actorId: z.string().nullable(),
    actorLabel: z.string(),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string().nullable(),
    changes: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditQuerySchema = pageQuerySchema
  .extend({
    actor: z.string().max(200).optional().describe('Actor id (user or API key id) or label'),
    entityType: z.string().max(100).optional(),
    entityId: z.string().max(200).optional(),
    action: z.string().max(100).optional(),
    from: z.iso.datetime({ offset: true }).optional().describe('Inclusive lower bound (ISO 8601)'),
    to: z.iso.datetime({ offset: true }).optional().describe('Exclusive upper bound (ISO 8601)'),
  })
  .strict();
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export const auditPageSchema = pageSchema(auditEntrySchema);
