import { z } from 'zod';
import { filtersSchema } from '../crm/records.schema.js';
import { DEFAULT_JOB_CHANGE_DAYS, DEFAULT_STALE_DAYS, problemKeys } from './quality-rules.js';

export const problemKeySchema = z.enum(problemKeys);

/** The stale windows a request may choose (days). */
export const staleWindowQuerySchema = z
  .object({
    staleDays: z.coerce
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(DEFAULT_STALE_DAYS)
      .describe('No events and no update for this many days makes a contact stale (default 180)'),
    jobChangeDays: z.coerce
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(DEFAULT_JOB_CHANGE_DAYS)
      .describe('A title or company changed within this many days counts as a job change (default 90)'),
  })
  .strict();
export type StaleWindow = z.infer<typeof staleWindowQuerySchema>;

export const qualityProblemSchema = z
  .object({
    key: problemKeySchema,
    label: z.string(),
    kind: z.enum(['completeness', 'validity', 'stale']),
    field: z.string().nullable().describe('The contact field it is about'),
    count: z.number().int().describe('Live contacts with this problem'),
    share: z.number().describe('count / live contacts, 0-1'),
    filter: filtersSchema.describe('GET /api/v1/contacts?filter=<this, as JSON> lists exactly these contacts'),
  })
  .meta({ id: 'QualityProblem' });
export type QualityProblem = z.infer<typeof qualityProblemSchema>;

export const fillRateSchema = z
  .object({
    field: z.string().describe('Field key; custom fields as custom.<key>'),
    label: z.string(),
    custom: z.boolean(),
    filled: z.number().int(),
    rate: z.number().describe('filled / live records, 0-1'),
  })
  .meta({ id: 'FillRate' });
export type FillRate = z.infer<typeof fillRateSchema>;

export const scoreBandSchema = z.object({
  from: z.number().int(),
  to: z.number().int(),
  contacts: z.number().int(),
  filter: filtersSchema,
});

export const qualitySummarySchema = z
  .object({
    at: z.string(),
    contacts: z.number().int().describe('Live contacts'),
    accounts: z.number().int().describe('Live accounts'),
    score: z.number().nullable().describe('Mean quality score of the live contacts, 0-100 (null without contacts)'),
    completeness: z.number().nullable(),
    validity: z.number().nullable(),
    bands: z.array(scoreBandSchema).describe('Contacts per score band, for a distribution chart'),
    stale: z.object({
      contacts: z.number().int().describe('Contacts with at least one stale reason'),
      staleDays: z.number().int(),
      jobChangeDays: z.number().int(),
    }),
    problems: z.array(qualityProblemSchema).describe('Every problem, most frequent first'),
    fillRates: z.object({ contacts: z.array(fillRateSchema), accounts: z.array(fillRateSchema) }),
  })
  .meta({ id: 'QualitySummary' });
export type QualitySummary = z.infer<typeof qualitySummarySchema>;

export const contactQualitySchema = z
  .object({
    contactId: z.string(),
    score: z.number().int(),
    completeness: z.number().int(),
    validity: z.number().int(),
    missing: z.array(z.object({ field: z.string(), label: z.string(), weight: z.number().int() })),
    invalid: z.array(z.object({ field: z.string(), problem: problemKeySchema, label: z.string(), detail: z.string().nullable() })),
    stale: z.array(z.object({ problem: problemKeySchema, label: z.string(), since: z.string().nullable() })),
    problems: z.array(problemKeySchema),
    lastActivityAt: z.string(),
    jobChangedAt: z.string().nullable(),
    staleDays: z.number().int(),
    jobChangeDays: z.number().int(),
  })
  .meta({ id: 'ContactQuality' });
export type ContactQuality = z.infer<typeof contactQualitySchema>;

export const qualitySnapshotSchema = z
  .object({
    day: z.string().describe('UTC day, YYYY-MM-DD'),
    contacts: z.number().int(),
    score: z.number().nullable(),
    completeness: z.number().nullable(),
    validity: z.number().nullable(),
    counts: z.record(z.string(), z.number()).describe('Contacts per problem key'),
    takenAt: z.string(),
  })
  .meta({ id: 'QualitySnapshot' });
export type QualitySnapshot = z.infer<typeof qualitySnapshotSchema>;

export const historyQuerySchema = z
  .object({ days: z.coerce.number().int().min(1).max(3650).default(90).describe('How many days back, today included') })
  .strict();
export const qualityHistorySchema = z.object({ data: z.array(qualitySnapshotSchema) });

// Retention: zod alone in retention.schema.ts, so the web app imports the API's own schemas
// without the SQL of the quality rules (Kysely) this file carries.
export * from './retention.schema.js';
