import { z } from 'zod';
import { pageQuerySchema } from '../../platform/http/pagination.js';
import { contactDef, accountDef, type CoreField, type ObjectDef } from './crm-objects.js';
import { valueSchema } from './field-types.js';

const externalIdKey = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'External id names are lower_snake_case, e.g. crm_id');
export const externalIdsSchema = z.record(externalIdKey, z.string().trim().min(1).max(200).nullable());

/** A bare domain: lower-case, no scheme, no www., no path. */
export const domainSchema = z
  .string()
  .trim()
  .max(253)
  .transform((v) =>
    v
      .toLowerCase()
      .replace(/^[a-z]+:\/\//, '')
      .replace(/^www\./, '')
      .replace(/[/?#].*$/, ''),
  )
  .refine((v) => /^([a-z0-9-]+\.)+[a-z0-9-]{2,}$/.test(v), 'Domain must look like example.com');

/** The schema of one core field's input value (null clears it). */
export function coreValueSchema(f: CoreField): z.ZodType<unknown> {
  if (f.ref) return z.uuid(`${f.label} must be an id`);
  if (f.key === 'domain') return domainSchema;
  if (f.key === 'revenue') return z.number().int('Annual revenue is a whole number').min(0).max(Number.MAX_SAFE_INTEGER);
  const base = valueSchema(f);
  return f.type === 'text' && f.maxLength ? z.string().trim().max(f.maxLength, `${f.label} is at most ${f.maxLength} characters`) : base;
}

function coreShape(def: ObjectDef, mode: 'create' | 'update') {
  const shape: Record<string, z.ZodType<unknown>> = {};
  for (const f of def.fields) {
    const v = coreValueSchema(f);
    shape[f.key] = mode === 'create' && def.required.includes(f.key) ? v : v.nullable().optional();
  }
  return shape;
}

const traitsSchema = z
  .record(z.string().max(200), z.unknown())
  .refine((t) => JSON.stringify(t).length <= 65_536, 'traits are limited to 64 KB');
const customInputSchema = z.record(z.string(), z.unknown()).describe('Custom field values by field key; null clears one');

export function createInputSchema(def: ObjectDef) {
  return z
    .object({
      ...coreShape(def, 'create'),
      ...(def.hasTraits && { traits: traitsSchema.optional() }),
      custom: customInputSchema.optional(),
      externalIds: externalIdsSchema.optional().describe('Ids in other systems, e.g. {"crm_id": "003..."}'),
    })
    .strict();
}

export function updateInputSchema(def: ObjectDef) {
  return z
    .object({
      ...coreShape(def, 'update'),
      ...(def.hasTraits && { traits: traitsSchema.optional() }),
      custom: customInputSchema.optional(),
      externalIds: externalIdsSchema.optional(),
    })
    .strict();
}

function outputSchema(def: ObjectDef, id: string) {
  const shape: Record<string, z.ZodType<unknown>> = { id: z.string() };
  for (const f of def.fields) shape[f.key] = f.type === 'number' ? z.number().nullable() : z.string().nullable();
  return z
    .object({
      ...shape,
      ...(def.hasTraits && { traits: z.record(z.string(), z.unknown()) }),
      custom: z.record(z.string(), z.unknown()),
      raw: z.record(z.string(), z.string()).describe('The values as given, for fields normalisation changed (phone, country, names)'),
      ...(def.object === 'contact' && {
        quality: z
          .object({
            emailSuggestion: z.string().optional().describe('A likely intended address when the domain looks mistyped'),
            freeEmail: z.boolean().optional(),
            disposableEmail: z.boolean().optional(),
            phoneProblem: z.string().optional(),
            countryProblem: z.string().optional(),
          })
          .describe('What the values told about their quality'),
      }),
      externalIds: z.record(z.string(), z.string()),
      version: z.number().int(),
      createdAt: z.string(),
      updatedAt: z.string(),
      deletedAt: z.string().nullable(),
    })
    .meta({ id });
}

export const contactSchema = outputSchema(contactDef, 'Contact');
export const accountSchema = outputSchema(accountDef, 'Account');
export type RecordView = { id: string; version: number; custom: Record<string, unknown>; externalIds: Record<string, string> } & Record<
  string,
  unknown
>;

export const createContactSchema = createInputSchema(contactDef);
export const updateContactSchema = updateInputSchema(contactDef);
export const createAccountSchema = createInputSchema(accountDef);
export const updateAccountSchema = updateInputSchema(accountDef);
export type RecordInput = Record<string, unknown> & {
  custom?: Record<string, unknown>;
  externalIds?: Record<string, string | null>;
  traits?: Record<string, unknown>;
};

export const filterOps = [
  'eq',
  'neq',
  'contains',
  'not_contains',
  'starts_with',
  'in',
  'not_in',
  'gt',
  'gte',
  'lt',
  'lte',
  'is_set',
  'is_not_set',
  'has_any',
  'has_all',
  'has_none',
] as const;
export const filterSchema = z
  .object({
    field: z
      .string()
      .min(1)
      .max(100)
      .describe('A field key (e.g. country), custom.<key>, or for contacts quality.<key> (score, emailTypo, lastActivityAt...)'),
    op: z.enum(filterOps),
    value: z
      .union([z.string().max(1000), z.number(), z.boolean(), z.array(z.union([z.string().max(1000), z.number()])).max(1000)])
      .optional(),
  })
  .strict();
export type Filter = z.infer<typeof filterSchema>;
export const filtersSchema = z.array(filterSchema).max(20, 'At most 20 filters');

/** `filter` travels in the query string as JSON: [{"field":"country","op":"eq","value":"DE"}]. */
const filterParam = z
  .string()
  .max(8000)
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'filter must be a JSON array of {field, op, value}' });
      return z.NEVER;
    }
  })
  .pipe(filtersSchema);

export const listRecordsQuerySchema = pageQuerySchema
  .extend({
    q: z.string().trim().max(200).optional().describe('Full-text search over name, email and company'),
    email: z.string().max(254).optional().describe('Exact match on the normalised email (contacts)'),
    domain: z.string().max(253).optional().describe('Exact match on the domain (accounts)'),
    ownerId: z.uuid().optional(),
    accountId: z.uuid().optional(),
    filter: filterParam.optional().describe('JSON array of {field, op, value}; fields include custom.<key>'),
    sort: z.string().max(100).optional().describe('A field key, - prefix for descending (default -createdAt)'),
    deleted: z.enum(['exclude', 'only']).default('exclude').describe('only: the trash (deleted records, restorable)'),
  })
  .strict();
export type ListRecordsQuery = z.infer<typeof listRecordsQuerySchema>;

export const recordPageSchema = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().nullable() });
export const idParamsSchema = z.object({ id: z.uuid('Not a valid id') }).strict();

export const upsertQuerySchema = z
  .object({
    on: z.string().max(64).default('email').describe('email (contacts), domain (accounts), or an external id name such as crm_id'),
  })
  .strict();

export const bulkActionSchema = z
  .object({
    action: z.enum(['update', 'delete', 'restore', 'assign_owner']),
    ids: z.array(z.uuid()).min(1).max(10_000).optional(),
    filter: filtersSchema.optional(),
    q: z.string().max(200).optional(),
    set: z.record(z.string(), z.unknown()).optional().describe('For update: the fields to set, as in PATCH'),
    ownerId: z.uuid().nullable().optional().describe('For assign_owner'),
  })
  .strict()
  .refine((b) => b.ids !== undefined || b.filter !== undefined || b.q !== undefined, { message: 'Give ids, or a filter' })
  .refine((b) => b.action !== 'update' || b.set !== undefined, { message: 'update needs set', path: ['set'] })
  .refine((b) => b.action !== 'assign_owner' || b.ownerId !== undefined, { message: 'assign_owner needs ownerId', path: ['ownerId'] });
export type BulkActionInput = z.infer<typeof bulkActionSchema>;

export const bulkOperationSchema = z
  .object({
    id: z.string(),
    object: z.string(),
    action: z.string(),
    status: z.enum(['queued', 'running', 'completed', 'failed']),
    total: z.number(),
    done: z.number(),
    changed: z.number(),
    failure: z.string().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'BulkOperation' });
export type BulkOperation = z.infer<typeof bulkOperationSchema>;

export const timelineEntrySchema = z
  .object({
    id: z.string(),
    at: z.string(),
    kind: z.enum(['change', 'import']),
    action: z.string(),
    actor: z.string(),
    changes: z.record(z.string(), z.unknown()),
    importId: z.string().nullable(),
  })
  .meta({ id: 'TimelineEntry' });
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;
