import { z } from 'zod';
import { objectNameSchema, type ObjectName } from '../crm/field-types.js';
import { providerErrorCodes } from './provider.js';

/**
 * Core fields enrichment may write, per object. Natural keys (email, domain) are what providers
 * look records up by, and owner and account links are decisions, not facts: none are written.
 * Custom fields are written as `custom.<key>`.
 */
export const enrichableFields: Record<ObjectName, readonly string[]> = {
  contact: ['firstName', 'lastName', 'phone', 'title', 'company', 'country', 'city', 'lifecycleStage', 'source'],
  account: ['name', 'industry', 'size', 'revenue', 'country', 'city'],
};

/** Placeholders a URL template may hold, per object; values are URL-encoded when filled in. */
export const urlPlaceholders: Record<ObjectName, readonly string[]> = {
  contact: ['email', 'domain'],
  account: ['domain', 'name'],
};

const CUSTOM_FIELD = /^custom\.[a-z][a-z0-9_]{0,62}$/;

export function isEnrichableField(object: ObjectName, field: string): boolean {
  return CUSTOM_FIELD.test(field) || enrichableFields[object].includes(field);
}

/**
 * How a provider's value may replace a value already there, per field:
 * - `enriched` (default): fill empty fields, and replace a value enrichment wrote before when this
 *   one is at least as confident; a value a person typed is kept;
 * - `empty`: only fill empty fields;
 * - `always`: replace whatever is there, a person's value included.
 */
export const overwriteModes = ['enriched', 'empty', 'always'] as const;
export const overwriteModeSchema = z.enum(overwriteModes);
export type OverwriteMode = z.infer<typeof overwriteModeSchema>;

const targetFieldSchema = z
  .string()
  .max(70)
  .regex(/^(?:[a-zA-Z]{1,40}|custom\.[a-z][a-z0-9_]{0,62})$/, 'A field is a core field name such as company, or custom.<key>');

/** A dot path into the provider's JSON answer: `company.name`, `data.0.title`. */
const jsonPathSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_$@-]+(?:\.[A-Za-z0-9_$@-]+){0,19}$/, 'A path is keys separated by dots, e.g. company.name or results.0.title');

/** Headers the HTTP client sets itself. */
const RESERVED_HEADERS = ['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'keep-alive', 'te', 'trailer'];

/**
 * Keys of a record checked one by one with their own messages: zod reports a failing record key
 * only as "Invalid key in record", which tells nobody what to fix.
 */
function keysOf(key: z.ZodType<string>, max: number, what: string) {
  return (rec: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const keys = Object.keys(rec);
    if (keys.length > max) ctx.addIssue({ code: 'custom', message: `At most ${max} ${what}` });
    for (const k of keys) {
      const r = key.safeParse(k);
      if (!r.success) ctx.addIssue({ code: 'custom', path: [k], message: r.error.issues[0]?.message ?? 'Not a valid key' });
    }
  };
}

/** Header names: RFC 9110 tokens, not one the HTTP client sets itself. */
const headerNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'A header name is a token such as Authorization or X-Api-Key')
  .refine((name) => !RESERVED_HEADERS.includes(name.toLowerCase()), 'This header is set by Keel');
const headerValueSchema = z
  .string()
  .max(4000)
  .regex(/^[^\r\n\0]*$/, 'A header value is one line');

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * A URL template: http or https only (no file:, data:, ftp: or anything else a request could be
 * pointed at), with {email}/{domain}/{name} placeholders.
 */
export const urlTemplateSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .superRefine((v, ctx) => {
    let u: URL;
    try {
      u = new URL(v.replace(PLACEHOLDER, 'x'));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'Not a URL: give the whole address, e.g. https://api.example.com/person?email={email}' });
      return;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `Only http and https URLs are allowed, not ${u.protocol.replace(/:$/, '')}` });
    } else if (!u.hostname) {
      ctx.addIssue({ code: 'custom', message: 'The URL has no host' });
    }
  });

const fieldMapSchema = z
  .record(z.string(), targetFieldSchema)
  .superRefine(keysOf(jsonPathSchema, 50, 'fields'))
  .describe('Their JSON path -> our field, e.g. {"company.name": "company", "person.title": "title"}')
  .refine((m) => Object.keys(m).length >= 1, 'Map at least one field')
  .refine((m) => new Set(Object.values(m)).size === Object.values(m).length, 'Each of our fields can come from one path only');

const overwriteSchema = z
  .record(z.string(), overwriteModeSchema)
  .superRefine(keysOf(targetFieldSchema, 60, 'rules'))
  .describe('Per field: enriched (default), empty or always');

const httpConfigShape = {
  object: objectNameSchema.describe('What this provider enriches: contacts (by email) or accounts (by domain)'),
  url: urlTemplateSchema.describe('http(s) URL with {email} or {domain} (contacts), {domain} or {name} (accounts)'),
  method: z.enum(['GET', 'POST']).default('GET').describe('POST sends the same values as a JSON body'),
  headers: z
    .record(z.string(), headerValueSchema)
    .superRefine(keysOf(headerNameSchema, 20, 'headers'))
    .default({})
    .describe('Sent with every request (e.g. an API key); never returned in full'),
  fieldMap: fieldMapSchema,
  confidence: z.number().min(0).max(1).default(0.7).describe('Confidence of every value (0..1) unless confidencePath gives one'),
  confidencePath: jsonPathSchema.optional().describe('Where the answer says how sure it is (0..1, or 0..100)'),
  timeoutMs: z.int().min(100).max(30_000).default(5000),
  overwrite: overwriteSchema.default({}),
};

function checkHttpConfig(
  c: { object: ObjectName; url: string; fieldMap: Record<string, string>; overwrite: Record<string, string> },
  ctx: z.RefinementCtx,
) {
  for (const [path, field] of Object.entries(c.fieldMap)) {
    if (!isEnrichableField(c.object, field))
      ctx.addIssue({ code: 'custom', path: ['fieldMap', path], message: `${field} is not a field enrichment can write on ${c.object}s` });
  }
  for (const field of Object.keys(c.overwrite)) {
    if (!isEnrichableField(c.object, field))
      ctx.addIssue({ code: 'custom', path: ['overwrite', field], message: `${field} is not a field enrichment can write on ${c.object}s` });
  }
  const allowed = urlPlaceholders[c.object];
  const used = [...c.url.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
  for (const p of used) {
    if (!allowed.includes(p))
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: `{${p}} is not a placeholder for ${c.object}s: use ${allowed.map((a) => `{${a}}`).join(' or ')}`,
      });
  }
}

export const httpConfigSchema = z.object(httpConfigShape).strict().superRefine(checkHttpConfig);
export type HttpConfig = z.infer<typeof httpConfigSchema>;

/** The built-in offline provider's settings: only its overwrite rules (it enriches both objects). */
export const offlineConfigSchema = z
  .object({ overwrite: overwriteSchema.default({}) })
  .strict()
  .superRefine((c, ctx) => {
    for (const field of Object.keys(c.overwrite)) {
      if (!isEnrichableField('contact', field) && !isEnrichableField('account', field))
        ctx.addIssue({ code: 'custom', path: ['overwrite', field], message: `${field} is not a field enrichment can write` });
    }
  });
export type OfflineConfig = z.infer<typeof offlineConfigSchema>;

const providerNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{C}]+$/u, 'A name is one line of text')
  .refine((n) => n.toLowerCase() !== 'offline', 'The name offline belongs to the built-in provider');

export const createProviderSchema = z
  .object({
    name: providerNameSchema.describe("Shown in provenance as 'enrichment:<name>'"),
    kind: z
      .literal('http', {
        error: 'Only http providers are created: the offline one is built in (PATCH /api/v1/enrichment/providers/offline)',
      })
      .default('http'),
    enabled: z.boolean().default(true),
    config: httpConfigSchema,
  })
  .strict();
export type CreateProviderInput = z.infer<typeof createProviderSchema>;

export const updateProviderSchema = z
  .object({
    name: providerNameSchema.optional(),
    enabled: z.boolean().optional(),
    config: z
      .object({
        object: httpConfigShape.object,
        url: z.string().max(2000).describe('A new URL template, or the masked one this API returned to keep it'),
        method: z.enum(['GET', 'POST']),
        headers: z
          .record(z.string(), headerValueSchema.nullable())
          .superRefine(keysOf(headerNameSchema, 20, 'headers'))
          .describe('Merged into the stored headers: a value sets one, null removes one, the masked value keeps it'),
        fieldMap: fieldMapSchema,
        confidence: httpConfigShape.confidence,
        confidencePath: jsonPathSchema.nullable(),
        timeoutMs: z.int().min(100).max(30_000),
        overwrite: overwriteSchema,
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();
export type UpdateProviderInput = z.infer<typeof updateProviderSchema>;

/** A provider as the API shows it: header values and secret-looking URL parameters masked. */
export const providerSchema = z
  .object({
    id: z.string().describe("A uuid, or 'offline' for the built-in provider"),
    name: z.string(),
    kind: z.enum(['offline', 'http']),
    builtIn: z.boolean(),
    enabled: z.boolean(),
    config: z.object({
      object: objectNameSchema.optional(),
      url: z.string().optional(),
      method: z.enum(['GET', 'POST']).optional(),
      headers: z.record(z.string(), z.string()).optional().describe('Values masked: ••••1234'),
      fieldMap: z.record(z.string(), z.string()).optional(),
      confidence: z.number().optional(),
      confidencePath: z.string().optional(),
      timeoutMs: z.number().optional(),
      overwrite: z.record(z.string(), overwriteModeSchema),
    }),
    createdAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'EnrichmentProvider' });
export type ProviderView = z.infer<typeof providerSchema>;
export const providerListSchema = z.object({ data: z.array(providerSchema) });

export const providerParamsSchema = z.object({ id: z.union([z.literal('offline'), z.uuid('Not a valid id')]) }).strict();

export const enrichRequestSchema = z
  .object({
    providerId: z
      .union([z.literal('offline'), z.uuid('Not a valid provider id')])
      .optional()
      .describe('One provider (offline for the built-in one); default: every enabled provider for this object'),
  })
  .strict();
export type EnrichRequest = z.infer<typeof enrichRequestSchema>;

/** What became of one value a provider found. */
export const valueOutcomes = [
  'filled',
  'replaced',
  'same_value',
  'kept_person_value',
  'kept_higher_confidence',
  'kept_by_rule',
  'lost_to_other_provider',
  'invalid',
] as const;

export const enrichedValueSchema = z.object({
  field: z.string(),
  value: z.union([z.string(), z.number(), z.boolean()]),
  confidence: z.number(),
  outcome: z.enum(valueOutcomes),
  message: z.string().optional(),
});

export const providerRunSchema = z.object({
  providerId: z.string(),
  name: z.string(),
  kind: z.enum(['offline', 'http']),
  status: z.enum(['ok', 'error', 'not_applicable']),
  error: z.object({ code: z.enum(providerErrorCodes), message: z.string() }).nullable(),
  values: z.array(enrichedValueSchema),
  facts: z.record(z.string(), z.unknown()),
});
export type ProviderRun = z.infer<typeof providerRunSchema>;

export const enrichResultSchema = z
  .object({
    object: objectNameSchema,
    recordId: z.string(),
    changed: z.boolean().describe('Whether any field of the record changed'),
    version: z.number().int(),
    providers: z.array(providerRunSchema),
  })
  .meta({ id: 'EnrichmentResult' });
export type EnrichResult = z.infer<typeof enrichResultSchema>;

export const provenanceSchema = z
  .object({
    field: z.string(),
    source: z.string().describe("'enrichment:<provider>', 'api', 'import' or 'ui'"),
    value: z.unknown().describe('The value as it was written'),
    confidence: z.number(),
    at: z.string(),
    current: z.boolean().describe('Whether the record still holds this value (false: changed since, e.g. by a person)'),
  })
  .meta({ id: 'FieldProvenance' });
export type Provenance = z.infer<typeof provenanceSchema>;
export const provenanceListSchema = z.object({ data: z.array(provenanceSchema) });

export const matchReasons = ['domain', 'parent_domain', 'name', 'similar_name', 'domain_and_name'] as const;
export const matchStatuses = ['suggested', 'linked', 'rejected'] as const;

export const accountMatchSchema = z
  .object({
    accountId: z.string(),
    accountName: z.string(),
    accountDomain: z.string().nullable(),
    confidence: z.number(),
    reason: z.enum(matchReasons),
    status: z.enum(matchStatuses),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
  })
  .meta({ id: 'AccountMatch' });
export type AccountMatch = z.infer<typeof accountMatchSchema>;
export const accountMatchListSchema = z.object({ data: z.array(accountMatchSchema) });

export const matchParamsSchema = z.object({ id: z.uuid('Not a valid id'), accountId: z.uuid('Not a valid account id') }).strict();

export const runMatchingSchema = z
  .object({
    threshold: z
      .number()
      .min(0.5)
      .max(1)
      .default(0.9)
      .describe('Contacts whose best match is at least this sure (and not tied) are linked; the rest are suggestions'),
  })
  .strict();
export type RunMatchingInput = z.infer<typeof runMatchingSchema>;

export const matchingRunSchema = z.object({
  contacts: z.number().int().describe('Contacts without an account that were checked'),
  linked: z.number().int().describe('Contacts linked to an account by this run'),
  suggested: z.number().int().describe('Contacts left with at least one suggestion'),
});
export type MatchingRun = z.infer<typeof matchingRunSchema>;
