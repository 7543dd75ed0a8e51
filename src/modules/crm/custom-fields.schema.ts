import { z } from 'zod';
import { fieldTypeSchema, objectNameSchema } from './field-types.js';

export const customFieldKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'Key is lower_snake_case: a letter, then letters, digits or _ (at most 63)');

const optionsSchema = z
  .array(z.string().trim().min(1).max(100))
  .max(500)
  .refine((o) => new Set(o.map((x) => x.toLowerCase())).size === o.length, 'Options must be unique');

export const customFieldSchema = z
  .object({
    id: z.string(),
    object: objectNameSchema,
    key: z.string(),
    label: z.string(),
    type: fieldTypeSchema,
    options: z.array(z.string()),
    currency: z.string().nullable(),
    description: z.string(),
    required: z.boolean(),
    indexed: z.boolean(),
    position: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
    deletedAt: z.string().nullable(),
    purgeAfter: z.string().nullable().describe('When a deleted field and its values are removed for good'),
  })
  .meta({ id: 'CustomField' });
export type CustomField = z.infer<typeof customFieldSchema>;

export const createCustomFieldSchema = z
  .object({
    object: objectNameSchema,
    key: customFieldKeySchema.optional().describe('Defaults to the label in snake_case; never changes afterwards'),
    label: z.string().trim().min(1, 'Give the field a label').max(100),
    type: fieldTypeSchema,
    options: optionsSchema.optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'Currency is an ISO 4217 code such as USD')
      .optional(),
    description: z.string().trim().max(500).default(''),
    required: z.boolean().default(false),
    indexed: z.boolean().default(false).describe('Adds a database index so filters and sorts on it stay fast'),
  })
  .strict()
  .refine((f) => !['select', 'multiselect'].includes(f.type) || (f.options?.length ?? 0) > 0, {
    message: 'A select field needs at least one option',
    path: ['options'],
  })
  .refine((f) => f.type !== 'currency' || f.currency !== undefined, { message: 'A currency field needs a currency', path: ['currency'] });
export type CreateCustomFieldInput = z.infer<typeof createCustomFieldSchema>;

export const updateCustomFieldSchema = z
  .object({
    label: z.string().trim().min(1).max(100).optional(),
    options: optionsSchema.optional(),
    description: z.string().trim().max(500).optional(),
    required: z.boolean().optional(),
    indexed: z.boolean().optional(),
    position: z.number().int().min(0).max(10_000).optional(),
  })
  .strict();
export type UpdateCustomFieldInput = z.infer<typeof updateCustomFieldSchema>;

export const listCustomFieldsQuerySchema = z
  .object({
    object: objectNameSchema.optional(),
    deleted: z.enum(['exclude', 'include', 'only']).default('exclude'),
  })
  .strict();

/** snake_case key from a label: "Industry Segment" -> industry_segment. */
export function keyFromLabel(label: string): string {
  const k = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 63);
  return /^[a-z]/.test(k) ? k : `f_${k}`.slice(0, 63);
}
