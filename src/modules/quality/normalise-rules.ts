import { z } from 'zod';
import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/database.js';
import { DEPARTMENT_RULES, SENIORITY_RULES } from './title-rules.js';

const titleRuleSchema = z
  .object({
    value: z
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9_]{0,39}$/, 'lower-case letters, digits and _ (e.g. c_level)'),
    phrases: z.array(z.string().trim().min(1).max(80)).min(1).max(100),
  })
  .strict();

/**
 * What a workspace has normalised on every write path (API, import, tracking, forms). Off means
 * the value is stored as given (trimmed). Title tables null use the built-in ones (title-rules.ts).
 */
export const normaliseRulesSchema = z
  .object({
    phone: z
      .object({
        enabled: z.boolean().describe('Phones to E.164 with libphonenumber-js'),
        defaultCountry: z
          .string()
          .regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as US')
          .nullable()
          .describe('The country a phone is read in when the contact has none'),
      })
      .strict(),
    country: z.object({ enabled: z.boolean().describe('Country names and codes in several languages to ISO 3166-1 alpha-2') }).strict(),
    names: z.object({ enabled: z.boolean().describe('First and last names: case and whitespace') }).strict(),
    titles: z
      .object({
        enabled: z.boolean().describe('Job title to traits.seniority and traits.department'),
        seniority: z.array(titleRuleSchema).max(50).nullable(),
        department: z.array(titleRuleSchema).max(50).nullable(),
      })
      .strict(),
    email: z.object({ typoSuggestions: z.boolean().describe('Flag likely mistyped domains (gmial.com) with a suggestion') }).strict(),
  })
  .strict();
export type NormaliseRules = z.infer<typeof normaliseRulesSchema>;

export const DEFAULT_NORMALISE_RULES: NormaliseRules = {
  phone: { enabled: true, defaultCountry: null },
  country: { enabled: true },
  names: { enabled: true },
  titles: { enabled: true, seniority: null, department: null },
  email: { typoSuggestions: true },
};

export const normaliseRulesViewSchema = normaliseRulesSchema.extend({
  builtIn: z.object({ seniority: z.array(titleRuleSchema), department: z.array(titleRuleSchema) }),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
});

/** A workspace's rules (the defaults where it saved none). One primary-key read per write batch. */
export async function normaliseRulesFor(db: DbOrTx, ws: string): Promise<NormaliseRules> {
  const row = await db.selectFrom('normalisation_rules').select('rules').where('workspace_id', '=', ws).executeTakeFirst();
  if (!row) return DEFAULT_NORMALISE_RULES;
  const parsed = normaliseRulesSchema.safeParse(row.rules);
  return parsed.success ? parsed.data : DEFAULT_NORMALISE_RULES;
}

export async function getNormaliseRules(db: DbOrTx, ws: string): Promise<z.infer<typeof normaliseRulesViewSchema>> {
  const row = await db
    .selectFrom('normalisation_rules')
    .select(['updated_by', 'updated_at'])
    .where('workspace_id', '=', ws)
    .executeTakeFirst();
  return {
    ...(await normaliseRulesFor(db, ws)),
    builtIn: {
      seniority: SENIORITY_RULES.map((r) => ({ value: r.value, phrases: [...r.phrases] })),
      department: DEPARTMENT_RULES.map((r) => ({ value: r.value, phrases: [...r.phrases] })),
    },
    updatedBy: row?.updated_by ?? null,
    updatedAt: row ? new Date(row.updated_at).toISOString() : null,
  };
}

/** Replaces the rules (audited). They apply to writes from now on; stored values stay as they are. */
export async function setNormaliseRules(ctx: { db: Db; clock: Clock }, actor: Actor, rules: NormaliseRules) {
  return ctx.db.transaction().execute(async (trx) => {
    const before = await normaliseRulesFor(trx, actor.workspaceId);
    const now = ctx.clock.now();
    await trx
      .insertInto('normalisation_rules')
      .values({ workspace_id: actor.workspaceId, rules: JSON.stringify(rules), updated_by: actor.label, updated_at: now })
      .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ rules: JSON.stringify(rules), updated_by: actor.label, updated_at: now }))
      .execute();
    await recordAudit(trx, ctx.clock, actor, {
      action: 'quality.normalisation_rules_changed',
      entityType: 'normalisation_rules',
      entityId: null,
      before: before as unknown as Record<string, unknown>,
      after: rules as unknown as Record<string, unknown>,
    });
    return getNormaliseRules(trx, actor.workspaceId);
  });
}
