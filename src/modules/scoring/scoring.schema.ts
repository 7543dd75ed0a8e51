import { z } from 'zod';
import { eventCondition, pageCondition, segmentNode, touchpointCondition } from '../segments/segments.schema.js';

/**
 * A scoring model version: fit rules (a condition in the segment language, points when it holds),
 * engagement rules (points per matching event, page visit or touchpoint, with caps and decay) and
 * the bands a score falls into. The same shape is the editable draft and every published version.
 */
export const MAX_RULES = 100;

const ruleName = z.string().trim().min(1).max(200);
const points = z
  .number()
  .min(-1000)
  .max(1000)
  .refine((n) => Math.abs(Math.round(n * 100) - n * 100) < 1e-6, 'Points have at most two decimals');
const positivePoints = z
  .number()
  .positive()
  .max(1_000_000)
  .refine((n) => Math.abs(Math.round(n * 100) - n * 100) < 1e-6, 'Caps have at most two decimals');
const days = z.number().int().min(1).max(3650);

/**
 * Decay of engagement points by the age of the event that gave them: halve every `halfLifeDays`,
 * and/or stop counting after `expireDays`. `{}` on a rule means "no decay" (overrides the model's).
 */
export const decaySchema = z.object({ halfLifeDays: days.optional(), expireDays: days.optional() }).strict();
export type Decay = z.infer<typeof decaySchema>;

export const fitRuleSchema = z
  .object({
    name: ruleName,
    condition: segmentNode.describe('A condition in the segment definition language'),
    points,
  })
  .strict();
export type FitRule = z.infer<typeof fitRuleSchema>;

/** What an engagement rule counts: tracked events by name (and properties), page visits by URL pattern, touchpoints. */
export const engagementMatchSchema = z.union([
  z.object({ event: eventCondition.shape.event, where: eventCondition.shape.where }).strict(),
  z.object({ page: pageCondition.shape.page }).strict(),
  z.object({ touchpoint: touchpointCondition.shape.touchpoint }).strict(),
]);
export type EngagementMatch = z.infer<typeof engagementMatchSchema>;

export const engagementRuleSchema = z
  .object({
    name: ruleName,
    on: engagementMatchSchema,
    points: points.describe('Points per occurrence (negative allowed)'),
    cap: positivePoints.optional().describe('At most this many points (in absolute value) from this rule'),
    window: z
      .object({ days: z.number().int().min(1).max(365), max: positivePoints })
      .strict()
      .optional()
      .describe('At most `max` points from this rule per period of `days` days (periods counted from 1970-01-01 UTC)'),
    decay: decaySchema.optional().describe("This rule's decay; without it the model's"),
  })
  .strict();
export type EngagementRule = z.infer<typeof engagementRuleSchema>;

export const bandSchema = z.object({ name: z.string().trim().min(1).max(50), min: z.number().min(-1_000_000).max(1_000_000) }).strict();

export const defaultBands = [
  { name: 'A', min: 80 },
  { name: 'B', min: 50 },
  { name: 'C', min: 20 },
];

export const modelDefinitionSchema = z
  .object({
    fit: z.array(fitRuleSchema).max(MAX_RULES, `At most ${MAX_RULES} fit rules`).default([]),
    engagement: z.array(engagementRuleSchema).max(MAX_RULES, `At most ${MAX_RULES} engagement rules`).default([]),
    decay: decaySchema.optional().describe('Decay for engagement rules that have none of their own'),
    bands: z.array(bandSchema).max(20).default(defaultBands).describe('A score at or above a band’s min gets the highest such band'),
    otherwise: z.string().trim().min(1).max(50).default('D').describe('The band of a score below every band'),
  })
  .strict()
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    for (const [kind, rules] of [
      ['fit', d.fit],
      ['engagement', d.engagement],
    ] as const) {
      rules.forEach((r, i) => {
        const key = r.name.toLowerCase();
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [kind, i, 'name'], message: `Two rules are named "${r.name}"` });
        seen.add(key);
      });
    }
    const bands = new Set<string>();
    for (const [i, b] of d.bands.entries()) {
      if (bands.has(b.name)) ctx.addIssue({ code: 'custom', path: ['bands', i, 'name'], message: `Band "${b.name}" twice` });
      bands.add(b.name);
    }
    if (bands.has(d.otherwise)) ctx.addIssue({ code: 'custom', path: ['otherwise'], message: `"${d.otherwise}" is already a band` });
  });
export type ModelDefinition = z.infer<typeof modelDefinitionSchema>;

/** One explanation line: a rule's points (at = the event's time; null for fit rules, caps and decay). */
export const explanationLineSchema = z
  .object({ rule: z.string(), points: z.number(), at: z.string().nullable() })
  .meta({ id: 'ScoreExplanationLine' });
export type ExplanationLine = z.infer<typeof explanationLineSchema>;

export const ruleProblemSchema = z.object({
  kind: z.enum(['fit', 'engagement']),
  rule: z.string(),
  message: z.string().describe('Why the rule is broken (it gives 0 points until fixed)'),
});
export type RuleProblem = z.infer<typeof ruleProblemSchema>;

export const scoringModelSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    draft: z.unknown().describe('The editable draft (a model definition)'),
    draftProblems: z.array(ruleProblemSchema),
    publishedVersion: z.number().nullable(),
    published: z.unknown().describe('The published definition, or null'),
    problems: z.array(ruleProblemSchema).describe('Broken rules of the published version'),
    versions: z.array(z.object({ version: z.number(), publishedAt: z.string(), publishedBy: z.string() })),
    scoredContacts: z.number(),
    computedAt: z.string().nullable().describe('When the last full recompute finished'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ScoringModel' });
export type ScoringModel = z.infer<typeof scoringModelSchema>;

export const createModelSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().trim().max(2000).default(''),
    draft: modelDefinitionSchema.default({ fit: [], engagement: [], bands: defaultBands, otherwise: 'D' }),
  })
  .strict();
export const updateModelSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().trim().max(2000).optional(),
    draft: modelDefinitionSchema.optional(),
  })
  .strict();

export const contactScoreSchema = z
  .object({
    model: z.object({ id: z.string(), name: z.string() }),
    score: z.number(),
    band: z.string(),
    explanation: z.array(explanationLineSchema),
  })
  .meta({ id: 'ContactScore' });
export type ContactScore = z.infer<typeof contactScoreSchema>;

export const previewInputSchema = z
  .object({
    contactId: z.uuid('Not a valid id'),
    draft: modelDefinitionSchema.optional().describe('Score with this definition instead of the saved draft (the editor’s unsaved edits)'),
  })
  .strict();
export const previewResultSchema = z.object({
  score: z.number(),
  band: z.string(),
  explanation: z.array(explanationLineSchema),
  problems: z.array(ruleProblemSchema),
});
export type PreviewResult = z.infer<typeof previewResultSchema>;

export const modelVersionSchema = z
  .object({
    version: z.number(),
    publishedAt: z.string(),
    publishedBy: z.string(),
    definition: z.unknown().describe('The definition as published (never changes)'),
  })
  .meta({ id: 'ScoringModelVersion' });
export type ModelVersion = z.infer<typeof modelVersionSchema>;

export const recomputeResultSchema = z.object({ jobId: z.string() });
