import { z } from 'zod';
const uuidSchema = z.uuid('Not a valid id');

export const matchObjectSchema = z.enum(['contact', 'account']).describe('contact or account');

export const survivorshipRuleSchema = z
  .enum(['survivor', 'most_recent', 'most_complete', 'oldest', 'trusted_source', 'crm_wins'])
  .describe(
    'survivor: keep the surviving record’s value unless it is empty; most_recent: from the record changed last; most_complete: the longest value; oldest: from the record created first; trusted_source: from the record whose source ranks first in trustedSources; crm_wins: from a record with a crm_id, else most recent',
  );

const probability = z.number().min(0).max(1);
const levelProbs = z.object({ exact: probability, close: probability, partial: probability, diff: probability }).partial().strict();
export const matchModelSchema = z
  .object({
    prior: z.number().gt(0).lt(1),
    fields: z.record(z.string().max(40), z.object({ m: levelProbs, u: levelProbs }).strict()),
  })
  .strict();

export const dedupeSettingsSchema = z
  .object({
    reviewThreshold: z.number().min(0.5).max(1).describe('Pairs at or above this probability go to the review queue'),
    autoMergeThreshold: z.number().min(0.5).max(1).describe('Pairs at or above this merge on their own when autoMerge is on'),
    autoMerge: z.boolean().describe('Off by default'),
    maxBlockSize: z
      .number()
      .int()
      .min(2)
      .max(1000)
      .describe('Blocks with more records than this are skipped (too common to tell anything)'),
    survivorship: z
      .object({
        default: survivorshipRuleSchema,
        fields: z.record(z.string().max(80), survivorshipRuleSchema),
        trustedSources: z.array(z.string().min(1).max(200)).max(50),
      })
      .strict(),
    model: matchModelSchema.nullable().describe('Weights estimated from the data; null uses the built-in ones'),
  })
  .strict();
export type DedupeSettings = z.infer<typeof dedupeSettingsSchema>;
export const dedupeSettingsPatchSchema = dedupeSettingsSchema
  .partial()
  .extend({ object: matchObjectSchema })
  .strict()
  .refine((s) => s.reviewThreshold === undefined || s.autoMergeThreshold === undefined || s.autoMergeThreshold >= s.reviewThreshold, {
    message: 'autoMergeThreshold must not be below reviewThreshold',
    path: ['autoMergeThreshold'],
  });

export const reasonSchema = z.object({
  field: z.string(),
  level: z.enum(['exact', 'close', 'partial', 'diff', 'missing']),
  weight: z.number().describe('log2(m/u): what this field added to the match log-odds'),
});

export const pairStatusSchema = z.enum(['open', 'merged', 'auto_merged', 'dismissed']);
export const pairRecordSchema = z.object({
  id: z.string(),
  label: z.string(),
  email: z.string().nullable(),
  deleted: z.boolean(),
});
export const duplicatePairSchema = z.object({
  ids: z.tuple([z.string(), z.string()]),
  object: matchObjectSchema,
  probability: z.number(),
  reasons: z.array(reasonSchema),
  status: pairStatusSchema,
  mergeId: z.string().nullable(),
  foundAt: z.string(),
  decidedBy: z.string().nullable(),
  records: z.array(pairRecordSchema),
});
export type DuplicatePair = z.infer<typeof duplicatePairSchema>;

export const listPairsQuerySchema = z
  .object({
    object: matchObjectSchema.default('contact'),
    status: z.union([pairStatusSchema, z.literal('all')]).default('all'),
    minProbability: z.coerce.number().min(0).max(1).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(300).optional(),
  })
  .strict();

export const pairIdsBodySchema = z.object({ object: matchObjectSchema, ids: z.tuple([uuidSchema, uuidSchema]) }).strict();

export const mergeBodySchema = z
  .object({
    from: z.array(uuidSchema).min(1).max(20).describe('The records to fold into this one'),
    fields: z
      .record(z.string().max(120), uuidSchema)
      .optional()
      .describe('Field -> the record whose value survives (custom fields as custom.<key>); the rest follow the survivorship rules'),
  })
  .strict();
export type MergeBody = z.infer<typeof mergeBodySchema>;

export const mergeFieldSchema = z.object({
  field: z.string(),
  label: z.string(),
  values: z.array(z.object({ recordId: z.string(), value: z.unknown() })),
  chosen: z.string().nullable().describe('The record whose value survives'),
  rule: z.string(),
  value: z.unknown(),
});
export const mergePreviewSchema = z.object({
  survivorId: z.string(),
  from: z.array(z.string()),
  records: z.array(z.record(z.string(), z.unknown())),
  fields: z.array(mergeFieldSchema),
});

export const mergeSchema = z.object({
  id: z.string(),
  object: matchObjectSchema,
  survivorId: z.string(),
  from: z.array(z.string()),
  chosen: z.record(z.string(), z.string()),
  moved: z.record(z.string(), z.unknown()),
  auto: z.boolean(),
  probability: z.number().nullable(),
  actor: z.string(),
  mergedAt: z.string(),
  undoneAt: z.string().nullable(),
  undoneBy: z.string().nullable(),
  undoUntil: z.string(),
  canUndo: z.boolean(),
});
export type MergeView = z.infer<typeof mergeSchema>;

export const listMergesQuerySchema = z
  .object({
    object: matchObjectSchema.optional(),
    recordId: uuidSchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const scanSchema = z.object({
  id: z.string(),
  object: matchObjectSchema,
  status: z.enum(['running', 'done', 'failed']),
  phase: z.string(),
  done: z.number(),
  total: z.number(),
  stats: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  actor: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type ScanView = z.infer<typeof scanSchema>;

export const scanBodySchema = z.object({ object: matchObjectSchema }).strict();
export const estimateBodySchema = z
  .object({
    object: matchObjectSchema,
    sample: z.number().int().min(100).max(200_000).default(20_000),
    save: z.boolean().default(false),
  })
  .strict();
