import { z } from 'zod';

/** Purposes Keel knows by name; a workspace may record others (lower-case keys). */
export const knownPurposes = ['email_marketing', 'tracking', 'profiling'] as const;
export const purposeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,49}$/, 'A purpose is a lower-case key such as email_marketing, tracking or profiling');
export const lawfulBases = ['consent', 'legitimate_interest', 'contract', 'legal_obligation', 'vital_interest', 'public_task'] as const;
export const doubleOptInStates = ['not_required', 'pending', 'confirmed'] as const;

export const recordConsentSchema = z
  .object({
    purpose: purposeSchema,
    status: z.enum(['granted', 'withdrawn']),
    lawfulBasis: z.enum(lawfulBases).default('consent'),
    source: z.string().trim().min(1).max(200).describe('Where it was given or withdrawn: a form, an import, a call, the preference centre'),
    text: z.string().max(5000).optional().describe('The wording the person saw'),
    doubleOptIn: z.enum(doubleOptInStates).default('not_required'),
    at: z.iso.datetime({ offset: true }).optional().describe('When the person gave or withdrew it (default: now); never in the future'),
    ip: z.string().max(100).optional(),
    userAgent: z.string().max(500).optional(),
  })
  .strict();
export type RecordConsentInput = z.infer<typeof recordConsentSchema>;

export const consentSchema = z
  .object({
    purpose: z.string(),
    status: z.enum(['granted', 'withdrawn']),
    /** granted and confirmed (or not needing confirmation): what sending and segments rely on. */
    effective: z.boolean(),
    lawfulBasis: z.string(),
    doubleOptIn: z.enum(doubleOptInStates),
    source: z.string(),
    text: z.string().nullable(),
    changedAt: z.string(),
  })
  .meta({ id: 'Consent' });
export type Consent = z.infer<typeof consentSchema>;

export const consentEventSchema = z.object({
  id: z.string(),
  purpose: z.string(),
  status: z.string(),
  lawfulBasis: z.string(),
  doubleOptIn: z.string(),
  source: z.string(),
  text: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  actor: z.string(),
  at: z.string(),
  recordedAt: z.string(),
  /** False when a newer change was already recorded: kept in the history, not the current state. */
  applied: z.boolean().optional(),
});

export const contactConsentsSchema = z.object({ current: z.array(consentSchema), history: z.array(consentEventSchema) });

/** The segment condition: `{"consent": {"purpose": "email_marketing", "state": "granted"}}`. */
export const consentConditionSchema = z
  .object({
    consent: z
      .object({
        purpose: purposeSchema,
        state: z.enum(['granted', 'pending', 'withdrawn', 'none']),
      })
      .strict(),
  })
  .strict();
export type ConsentCondition = z.infer<typeof consentConditionSchema>;
