import { z } from 'zod';
import { pageQuerySchema, pageSchema } from '../../platform/http/pagination.js';

// Retention policies and passes. Zod alone (no SQL, no other module) so the web app can import the
// schemas the API validates with; quality.schema.ts re-exports them.

export const retentionDataTypes = [
  'events',
  'touchpoints',
  'audit_log',
  'segment_membership_log',
  'consent_events',
  'import_files',
] as const;
export type RetentionDataType = (typeof retentionDataTypes)[number];

/**
 * What each data type is, the shortest keep a workspace may set, and why. No policy: kept for good.
 * The reasons are the documentation of the minimums.
 */
export const retentionTypes: Record<RetentionDataType, { label: string; description: string; minDays: number; appliedBy: string }> = {
  events: {
    label: 'Tracked events',
    description:
      'Events of the tracking API, by event time. A source with a shorter retention of its own keeps its events for that long; the shorter one wins.',
    minDays: 1,
    appliedBy: 'tracking.retention',
  },
  touchpoints: {
    label: 'Touchpoints',
    description: 'Visits with their UTM parameters, click ids and channel, by time. Attribution reads them: at least 30 days.',
    minDays: 30,
    appliedBy: 'quality.retention',
  },
  audit_log: {
    label: 'Audit log',
    description:
      'Who changed what. At least a year, so a year of changes can always be accounted for; every pass that removes entries leaves an entry saying so.',
    minDays: 365,
    appliedBy: 'quality.retention',
  },
  segment_membership_log: {
    label: 'Segment entry and exit history',
    description: 'When contacts entered and left segments. At least 30 days: journeys and webhooks read recent entries.',
    minDays: 30,
    appliedBy: 'quality.retention',
  },
  consent_events: {
    label: 'Consent history',
    description:
      "Evidence of consent given and withdrawn (GDPR Art. 7(1): a controller must be able to show consent was given). A change is kept while it is the contact's current consent and for the policy's days after the change that replaced it; at least 3 years (1,095 days), a common limitation period for claims.",
    minDays: 1095,
    appliedBy: 'quality.retention',
  },
  import_files: {
    label: 'Import files',
    description:
      "Uploaded CSV files, their error files and the rows copied from them (preview, dry run) of finished or abandoned imports, by upload time. The import's record and change log stay (undo keeps working). At least 7 days.",
    minDays: 7,
    appliedBy: 'quality.retention',
  },
};

const keepDays = z
  .number()
  .int('keep days is a whole number')
  .min(1, 'keep days is at least 1')
  .max(36_500, 'keep days is at most 100 years');

export const putRetentionPoliciesSchema = z
  .object(
    Object.fromEntries(retentionDataTypes.map((t) => [t, keepDays.nullable().optional()])) as Record<
      RetentionDataType,
      z.ZodOptional<z.ZodNullable<typeof keepDays>>
    >,
  )
  .strict()
  .superRefine((body, ctx) => {
    for (const t of retentionDataTypes) {
      const v = body[t];
      const min = retentionTypes[t].minDays;
      if (typeof v === 'number' && v < min) {
        ctx.addIssue({ code: 'custom', path: [t], message: `${retentionTypes[t].label} are kept at least ${min} days` });
      }
    }
  })
  .describe('Days to keep, per data type. The whole set: a type left out or null is kept for good.');
export type PutRetentionPolicies = z.infer<typeof putRetentionPoliciesSchema>;

export const retentionRunSchema = z
  .object({
    id: z.string(),
    dataType: z.string(),
    keepDays: z.number().int().nullable().describe('The workspace policy applied (events: null when only source retentions applied)'),
    cutoff: z.string().nullable().describe('Older than this was removed'),
    status: z.enum(['running', 'completed', 'failed']),
    deleted: z.number().int().describe('Rows removed (import_files: imports whose files were removed)'),
    error: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'RetentionRun' });
export type RetentionRun = z.infer<typeof retentionRunSchema>;

export const retentionPolicySchema = z
  .object({
    dataType: z.enum(retentionDataTypes),
    label: z.string(),
    description: z.string(),
    minDays: z.number().int(),
    keepDays: z.number().int().nullable().describe('null: kept for good'),
    appliedBy: z.string().describe('The daily job that applies it'),
    updatedBy: z.string().nullable(),
    updatedAt: z.string().nullable(),
    lastRun: retentionRunSchema.nullable(),
  })
  .meta({ id: 'RetentionPolicy' });
export type RetentionPolicy = z.infer<typeof retentionPolicySchema>;
export const retentionPoliciesSchema = z.object({ data: z.array(retentionPolicySchema) });

export const listRetentionRunsQuerySchema = pageQuerySchema.extend({ dataType: z.enum(retentionDataTypes).optional() }).strict();
export type ListRetentionRunsQuery = z.infer<typeof listRetentionRunsQuerySchema>;
export const retentionRunPageSchema = pageSchema(retentionRunSchema);
