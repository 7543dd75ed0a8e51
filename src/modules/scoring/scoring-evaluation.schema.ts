import { z } from 'zod';

/**
 * Model evaluation (how well a version's scores, as of the start of a past period, predicted
 * conversion during it) and what-if (what publishing the draft would change). Both read only.
 */
const isoDate = z.iso.datetime({ offset: true, message: 'An ISO 8601 date-time, such as 2026-01-01T00:00:00Z' });

export const evaluationTargets = ['sql', 'opportunity'] as const;

export const evaluateInputSchema = z
  .object({
    version: z.number().int().positive().optional().describe('A published version (default: the current one)'),
    draft: z.boolean().optional().describe('Evaluate the draft instead of a published version'),
    from: isoDate.describe('Start of the period (scores are taken as of this moment)'),
    to: isoDate.describe('End of the period (exclusive)'),
    target: z.enum(evaluationTargets).default('sql').describe("Conversion: reaching 'sql' (or later) or 'opportunity' (or later)"),
  })
  .strict()
  .refine((x) => !(x.draft && x.version !== undefined), { message: 'Give either version or draft, not both', path: ['version'] })
  .refine((x) => Date.parse(x.from) < Date.parse(x.to), { message: 'from must be before to', path: ['from'] });
export type EvaluateInput = z.infer<typeof evaluateInputSchema>;

export const decileSchema = z.object({
  decile: z.number().describe('1 = the highest scores'),
  contacts: z.number(),
  converted: z.number(),
  rate: z.number().nullable(),
  lift: z.number().nullable().describe('rate / overall rate'),
  minScore: z.number().nullable(),
  maxScore: z.number().nullable(),
});
export type Decile = z.infer<typeof decileSchema>;

export const bandConversionSchema = z.object({
  band: z.string(),
  contacts: z.number(),
  converted: z.number(),
  rate: z.number().nullable(),
});
export type BandConversion = z.infer<typeof bandConversionSchema>;

export const evaluationSchema = z
  .object({
    modelId: z.string(),
    version: z.number().nullable().describe('The version evaluated; null for the draft'),
    from: z.string(),
    to: z.string(),
    target: z.enum(evaluationTargets),
    contacts: z.number().describe('Contacts created before `from` that had not reached the target stage by then'),
    converted: z.number().describe('Of those, how many reached the target stage (or a later one) during the period'),
    conversionRate: z.number().nullable(),
    auc: z.number().nullable().describe('Area under the ROC curve (Mann-Whitney U); null without both outcomes'),
    deciles: z.array(decileSchema),
    bands: z.array(bandConversionSchema).describe('In band order, highest first'),
  })
  .meta({ id: 'ScoringEvaluation' });
export type Evaluation = z.infer<typeof evaluationSchema>;

export const whatIfInputSchema = z
  .object({
    threshold: z
      .number()
      .min(-1_000_000)
      .max(1_000_000)
      .optional()
      .describe("MQL threshold when no lifecycle score rule reads this model (the rules' own thresholds come first)"),
    weeks: z.number().int().min(1).max(12).default(4).describe('Past weeks for new MQLs per week'),
    routeLimit: z.number().int().min(0).max(500).default(200).describe('At most this many new MQLs are routed (dry run)'),
  })
  .strict();
export type WhatIfInput = z.infer<typeof whatIfInputSchema>;

export const whatIfSchema = z
  .object({
    modelId: z.string(),
    publishedVersion: z.number().nullable(),
    contacts: z.number(),
    changed: z.number().describe('Contacts whose band would change'),
    bands: z.array(z.string()).describe("Row and column labels: both versions' bands, highest first; 'none' = no published version"),
    matrix: z.array(z.object({ from: z.string(), to: z.string(), contacts: z.number() })).describe('Non-empty cells only'),
    mql: z.object({
      criterion: z
        .object({
          source: z.enum(['lifecycle_rule', 'threshold']),
          rules: z.array(z.object({ name: z.string(), gte: z.number().nullable(), bands: z.array(z.string()).nullable() })),
        })
        .nullable()
        .describe('What makes an MQL; null when no lifecycle score rule reads this model and no threshold was given'),
      weeks: z.array(z.object({ weekStart: z.string(), published: z.number(), draft: z.number() })),
      newNow: z.number().describe('Contacts the draft would make MQL today that the published version does not'),
    }),
    routing: z.object({
      simulated: z.number(),
      of: z.number(),
      reps: z.array(z.object({ repId: z.string(), name: z.string(), leads: z.number() })),
      queues: z.array(z.object({ queue: z.string(), leads: z.number() })),
    }),
  })
  .meta({ id: 'ScoringWhatIf' });
export type WhatIf = z.infer<typeof whatIfSchema>;
