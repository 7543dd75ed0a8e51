import { z } from 'zod';
import { pageQuerySchema, pageSchema } from '../../platform/http/pagination.js';
import { objectNameSchema } from '../crm/field-types.js';

export const importModes = ['create', 'update', 'upsert'] as const;
export const importModeSchema = z.enum(importModes);
export const dateFormatSchema = z.enum(['auto', 'iso', 'us', 'eu']);
export const importStatuses = [
  'uploaded',
  'dry_running',
  'ready',
  'queued',
  'running',
  'completed',
  'failed',
  'undoing',
  'undone',
] as const;

const countsSchema = z.object({ created: z.number(), updated: z.number(), skipped: z.number(), errors: z.number() });

export const previewRowSchema = z.object({
  row: z.number().describe('Line in the file (the header is line 1)'),
  action: z.enum(['create', 'update', 'skip', 'error']),
  reason: z.string().nullable(),
  values: z.record(z.string(), z.unknown()).describe('What will be stored, by target key'),
});

export const dryRunSchema = countsSchema.extend({
  rows: z.number(),
  preview: z.array(previewRowSchema),
  errorSamples: z.array(z.object({ row: z.number(), reason: z.string() })),
});
export type DryRun = z.infer<typeof dryRunSchema>;

export const importSchema = z
  .object({
    id: z.string(),
    object: objectNameSchema,
    status: z.enum(importStatuses),
    fileName: z.string(),
    fileSize: z.number(),
    fileHash: z.string(),
    encoding: z.string(),
    delimiter: z.string(),
    headers: z.array(z.string()),
    sample: z.array(z.array(z.string())),
    mapping: z.array(z.string().nullable()).describe('Target per column, aligned with headers; null skips the column'),
    mode: importModeSchema,
    matchKey: z.string(),
    dateFormat: dateFormatSchema,
    dryRun: dryRunSchema.nullable(),
    progress: z.object({
      rowsDone: z.number(),
      bytesDone: z.number(),
      percent: z.number(),
      rowsPerSecond: z.number().nullable(),
      etaSeconds: z.number().nullable(),
    }),
    counts: countsSchema,
    errorFileUrl: z.string().nullable(),
    failure: z.string().nullable(),
    actor: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    undoneAt: z.string().nullable(),
    undoResult: z.record(z.string(), z.number()).nullable(),
  })
  .meta({ id: 'Import' });
export type ImportView = z.infer<typeof importSchema>;

export const importsPageSchema = pageSchema(importSchema);

export const uploadQuerySchema = z
  .object({
    object: objectNameSchema.default('contact'),
    fileName: z.string().trim().min(1).max(255).default('upload.csv'),
  })
  .strict();

export const updateImportSchema = z
  .object({
    mapping: z.array(z.string().max(100).nullable()).max(1000).optional(),
    mode: importModeSchema.optional(),
    matchKey: z.string().max(100).optional(),
    dateFormat: dateFormatSchema.optional(),
  })
  .strict();
export type UpdateImportInput = z.infer<typeof updateImportSchema>;

export const listImportsQuerySchema = pageQuerySchema.extend({ object: objectNameSchema.optional() }).strict();

export const importTargetSchema = z.object({
  key: z.string(),
  label: z.string(),
  type: z.string(),
  options: z.array(z.string()).readonly().optional(),
  maxLength: z.number().optional(),
  required: z.boolean(),
  group: z.enum(['core', 'custom', 'external', 'trait', 'owner']),
});

export const importMappingSchema = z
  .object({
    id: z.string(),
    object: objectNameSchema,
    name: z.string(),
    mapping: z.record(z.string(), z.string().nullable()),
    updatedAt: z.string(),
  })
  .meta({ id: 'ImportMapping' });
export const saveMappingSchema = z
  .object({
    object: objectNameSchema,
    name: z.string().trim().min(1).max(100),
    mapping: z.record(z.string().max(500), z.string().max(100).nullable()).describe('Header -> target key'),
  })
  .strict();

export const exportQuerySchema = z
  .object({
    format: z.enum(['csv', 'jsonl']).default('csv'),
    columns: z.string().max(5000).optional().describe('Comma-separated target keys (default: every field)'),
    q: z.string().max(200).optional(),
    filter: z.string().max(8000).optional().describe('JSON array of {field, op, value}, as in the list'),
    deleted: z.enum(['exclude', 'only']).default('exclude'),
  })
  .strict();
export type ExportQuery = z.infer<typeof exportQuerySchema>;
