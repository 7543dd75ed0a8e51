import { z } from 'zod';
import { segmentNode } from '../segments/segments.schema.js';

/**
 * Lifecycle stages. Keys are stable (they are what contacts store in `lifecycle_stage`); a
 * workspace renames them through labels. The funnel stages move forward only; `recycle` and
 * `disqualified` sit outside the funnel and are reached, and left, only by an allowed transition.
 */
export const funnelStages = ['subscriber', 'lead', 'mql', 'sal', 'sql', 'opportunity', 'customer'] as const;
export const sideStages = ['recycle', 'disqualified'] as const;
export const stageKeys = [...funnelStages, ...sideStages] as const;
export const stageKeySchema = z.enum(stageKeys);
export type StageKey = z.infer<typeof stageKeySchema>;

export const defaultLabels: Record<StageKey, string> = {
  subscriber: 'Subscriber',
  lead: 'Lead',
  mql: 'MQL',
  sal: 'SAL',
  sql: 'SQL',
  opportunity: 'Opportunity',
  customer: 'Customer',
  recycle: 'Recycle',
  disqualified: 'Disqualified',
};

const transitionSchema = z
  .object({
    from: z.union([stageKeySchema, z.literal('*')]).describe("A stage key, or '*' for any stage"),
    to: stageKeySchema,
  })
  .strict();
export type Transition = z.infer<typeof transitionSchema>;

export const defaultAllowed: Transition[] = [
  { from: '*', to: 'recycle' },
  { from: '*', to: 'disqualified' },
  { from: 'recycle', to: 'lead' },
];

export const stagesSettingsSchema = z
  .object({
    stages: z
      .array(z.object({ key: stageKeySchema, label: z.string().trim().min(1).max(50), order: z.number().optional() }).strict())
      .describe('Labels per stage key; keys are fixed and listed once each'),
    allowed: z.array(transitionSchema).max(100).describe('Backward or off-funnel moves that are allowed'),
    routeOn: z.array(stageKeySchema).max(9).describe('Entering one of these stages sends the contact to routing'),
  })
  .meta({ id: 'LifecycleStages' });
export type StagesSettings = z.infer<typeof stagesSettingsSchema>;

export const putStagesSchema = z
  .object({
    stages: z
      .array(z.object({ key: stageKeySchema, label: z.string().trim().min(1).max(50) }).strict())
      .max(9)
      .optional(),
    allowed: z.array(transitionSchema).max(100).optional(),
    routeOn: z.array(stageKeySchema).max(9).optional(),
  })
  .strict();
export type PutStagesInput = z.infer<typeof putStagesSchema>;

/** What makes a stage rule fire. */
export const ruleTriggerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('condition'), condition: segmentNode }).strict(),
  z
    .object({
      kind: z.literal('event'),
      event: z.string().min(1).max(500).describe('A hand-raiser event, such as "Demo Requested"'),
      withinDays: z.number().int().min(1).max(3650).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('score'),
      modelId: z.uuid(),
      gte: z.number().optional().describe('Score at least this in the model'),
      bands: z.array(z.string().min(1).max(50)).min(1).max(20).optional().describe('Band one of these in the model'),
    })
    .strict()
    .refine((s) => s.gte !== undefined || s.bands !== undefined, 'A score rule needs gte or bands'),
]);
export type RuleTrigger = z.infer<typeof ruleTriggerSchema>;

export const lifecycleRuleInputSchema = z
  .object({
    id: z.uuid().optional().describe('Keep a rule id across saves (omit for a new rule)'),
    name: z.string().trim().min(1).max(200),
    toStage: stageKeySchema,
    fromStages: z
      .array(z.union([stageKeySchema, z.literal('none')]))
      .min(1)
      .max(10)
      .optional()
      .describe("Stages it applies from ('none': no stage yet); omitted: any stage it may move forward from"),
    trigger: ruleTriggerSchema,
    enabled: z.boolean().default(true),
  })
  .strict();
export type LifecycleRuleInput = z.infer<typeof lifecycleRuleInputSchema>;

export const putRulesSchema = z.object({ rules: z.array(lifecycleRuleInputSchema).max(100) }).strict();

export const lifecycleRuleSchema = z
  .object({
    id: z.string(),
    position: z.number(),
    name: z.string(),
    toStage: z.string(),
    fromStages: z.array(z.string()).nullable(),
    trigger: z.unknown(),
    enabled: z.boolean(),
    updatedAt: z.string(),
  })
  .meta({ id: 'LifecycleRule' });
export type LifecycleRule = z.infer<typeof lifecycleRuleSchema>;

export const setStageSchema = z
  .object({
    stage: stageKeySchema,
    reason: z.string().trim().min(1).max(500),
  })
  .strict();

export const historyEntrySchema = z
  .object({
    id: z.string(),
    fromStage: z.string().nullable(),
    toStage: z.string(),
    reason: z.string(),
    ruleId: z.string().nullable(),
    actor: z.string(),
    at: z.string(),
    /** How long the contact stayed (or, for the newest entry, has stayed so far) in toStage. */
    timeInStageMs: z.number(),
    current: z.boolean(),
  })
  .meta({ id: 'LifecycleChange' });

export const contactLifecycleSchema = z.object({
  stage: z.string().nullable(),
  label: z.string().nullable(),
  data: z.array(historyEntrySchema),
});

/**
 * A stage written as other tools export it, to its key: the key itself or its default label in any
 * case, and the names HubSpot (`marketingqualifiedlead`), Salesforce, Marketo and Mautic use ("Sales
 * Accepted Lead", "Recycled", "Closed Won"...). Compared without case, spaces or punctuation. Null
 * when it names no stage (the value is then stored as given, and flagged).
 */
const STAGE_NAMES: Record<string, StageKey> = {
  subscriber: 'subscriber',
  newslettersubscriber: 'subscriber',
  lead: 'lead',
  newlead: 'lead',
  rawlead: 'lead',
  inquiry: 'lead',
  prospect: 'lead',
  mql: 'mql',
  marketingqualifiedlead: 'mql',
  marketingqualified: 'mql',
  sal: 'sal',
  salesacceptedlead: 'sal',
  salesaccepted: 'sal',
  sql: 'sql',
  salesqualifiedlead: 'sql',
  salesqualified: 'sql',
  opportunity: 'opportunity',
  opp: 'opportunity',
  customer: 'customer',
  closedwon: 'customer',
  evangelist: 'customer',
  recycle: 'recycle',
  recycled: 'recycle',
  nurture: 'recycle',
  disqualified: 'disqualified',
  unqualified: 'disqualified',
  closedlost: 'disqualified',
};

export function stageFromText(text: string): StageKey | null {
  return STAGE_NAMES[text.toLowerCase().replace(/[^a-z]/g, '')] ?? null;
}
