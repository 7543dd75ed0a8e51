import { sql, type RawBuilder } from 'kysely';

/**
 * How a contact's data quality is judged, as data, and the SQL that judges it. Everything here is
 * an SQL expression over a contact row aliased `r`, so one statement can score every contact of a
 * workspace (the summary, the daily snapshot), a list can filter and sort by it (`quality.<key>`
 * fields, see crm/records-query.ts), and one contact's breakdown reads the very same expressions.
 * This file imports nothing of other modules: crm's list query imports it.
 */

/** Key fields of a contact and how much each counts towards completeness (they sum to 100). */
export const completenessFields = [
  { key: 'email', column: 'email', label: 'Email', weight: 20, problem: 'missingEmail' },
  { key: 'firstName', column: 'first_name', label: 'First name', weight: 10, problem: 'missingFirstName' },
  { key: 'lastName', column: 'last_name', label: 'Last name', weight: 10, problem: 'missingLastName' },
  { key: 'phone', column: 'phone', label: 'Phone', weight: 10, problem: 'missingPhone' },
  { key: 'title', column: 'title', label: 'Job title', weight: 10, problem: 'missingTitle' },
  { key: 'company', column: 'company', label: 'Company', weight: 10, problem: 'missingCompany' },
  { key: 'country', column: 'country', label: 'Country', weight: 10, problem: 'missingCountry' },
  { key: 'accountId', column: 'account_id', label: 'Account', weight: 10, problem: 'noAccount' },
  { key: 'ownerId', column: 'owner_id', label: 'Owner', weight: 10, problem: 'noOwner' },
] as const;

/**
 * The values that can be wrong, and how much each counts towards validity among those present:
 * a contact with an email and a country but no phone is judged on 50 + 25.
 */
export const validityWeights = { email: 50, phone: 25, country: 25 } as const;

export const problemKeys = [
  'missingEmail',
  'missingFirstName',
  'missingLastName',
  'missingPhone',
  'missingTitle',
  'missingCompany',
  'missingCountry',
  'noAccount',
  'noOwner',
  'invalidEmail',
  'emailTypo',
  'disposableEmail',
  'phoneUnreadable',
  'countryUnreadable',
  'noActivity',
  'bounced',
  'jobChanged',
] as const;
export type ProblemKey = (typeof problemKeys)[number];
/** Problems that are a fact of the row alone (no time window): each is a `quality.<key>` list field. */
export type RowProblem = Exclude<ProblemKey, 'noActivity' | 'jobChanged'>;

export interface ProblemDef {
  key: ProblemKey;
  label: string;
  kind: 'completeness' | 'validity' | 'stale';
  /** The contact field it is about (API key), if one. */
  field: string | null;
}

const validityProblems: ProblemDef[] = [
  { key: 'invalidEmail', label: 'Email address is not valid', kind: 'validity', field: 'email' },
  { key: 'emailTypo', label: 'Email domain looks mistyped', kind: 'validity', field: 'email' },
  { key: 'disposableEmail', label: 'Disposable email address', kind: 'validity', field: 'email' },
  { key: 'phoneUnreadable', label: 'Phone cannot be read as an international number', kind: 'validity', field: 'phone' },
  { key: 'countryUnreadable', label: 'Country is not an ISO country', kind: 'validity', field: 'country' },
];

export const problems: readonly ProblemDef[] = [
  ...completenessFields.map((f) => ({
    key: f.problem,
    label: f.key === 'accountId' ? 'No account' : f.key === 'ownerId' ? 'No owner' : `${f.label} missing`,
    kind: 'completeness' as const,
    field: f.key,
  })),
  ...validityProblems,
  { key: 'noActivity', label: 'No activity (no events, no update) for a long time', kind: 'stale', field: null },
  { key: 'bounced', label: 'Email bounced', kind: 'stale', field: 'email' },
  { key: 'jobChanged', label: 'Job title or company changed recently', kind: 'stale', field: 'title' },
];

/** Defaults of the stale windows (days); the API takes others per request. */
export const DEFAULT_STALE_DAYS = 180;
export const DEFAULT_JOB_CHANGE_DAYS = 90;

/**
 * The trait that says an email bounced. A placeholder until the email module records bounces
 * itself: an import, the API or tracking can set `traits.email_bounced = true` today.
 */
export const BOUNCED_TRAIT = 'email_bounced';

/**
 * Email syntax, structurally: one @, no spaces, a dot in the domain. Every write path validates
 * addresses fully (crm/field-types.ts isValidEmail) before storing them, so this only catches rows
 * that came in before that check or around it.
 */
const EMAIL_SHAPE = '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:].]+$';
/** E.164: +, a country code not starting with 0, at most 15 digits (ITU-T E.164 section 6). */
const E164 = '^\\+[1-9][0-9]{6,14}$';
/** ISO 3166-1 alpha-2, as normalisation stores countries. */
const ISO_COUNTRY = '^[A-Z]{2}$';

const col = (c: string) => sql.ref(`r.${c}`);
const present = (c: string): RawBuilder<boolean> =>
  c.endsWith('_id') ? sql<boolean>`(${col(c)} is not null)` : sql<boolean>`(nullif(btrim(${col(c)}), '') is not null)`;
const fact = (k: string) => sql`coalesce(r.quality->>${sql.lit(k)}, '')`;

/** Each row problem as a boolean SQL expression over `r` (never null). */
export const rowProblemSql: Record<RowProblem, RawBuilder<boolean>> = {
  ...(Object.fromEntries(completenessFields.map((f) => [f.problem, sql<boolean>`(not ${present(f.column)})`])) as Record<
    (typeof completenessFields)[number]['problem'],
    RawBuilder<boolean>
  >),
  invalidEmail: sql<boolean>`(${present('email')} and r.email !~ ${sql.lit(EMAIL_SHAPE)})`,
  emailTypo: sql<boolean>`(${present('email')} and ${fact('emailSuggestion')} <> '')`,
  disposableEmail: sql<boolean>`(${present('email')} and ${fact('disposableEmail')} = 'true')`,
  phoneUnreadable: sql<boolean>`(${present('phone')} and (btrim(r.phone) !~ ${sql.lit(E164)} or ${fact('phoneProblem')} <> ''))`,
  countryUnreadable: sql<boolean>`(${present('country')} and (btrim(r.country) !~ ${sql.lit(ISO_COUNTRY)} or ${fact('countryProblem')} <> ''))`,
  bounced: sql<boolean>`(coalesce(r.traits->>${sql.lit(BOUNCED_TRAIT)}, '') = 'true')`,
};

/** How to read a row problem: inline (a list filter) or as a column a subquery computed (the summary). */
export type ProblemRef = (p: RowProblem) => RawBuilder<boolean>;
export const inlineProblem: ProblemRef = (p) => rowProblemSql[p];

/** Completeness, 0-100: the summed weights of the key fields that are filled. */
export function completenessSql(p: ProblemRef = inlineProblem): RawBuilder<number> {
  return sql<number>`(${sql.join(
    completenessFields.map((f) => sql`(case when ${p(f.problem)} then 0 else ${sql.lit(f.weight)} end)`),
    sql` + `,
  )})`;
}

/** Validity, 0-100: the weighted share of the present email, phone and country that are right; 100 with none present. */
export function validitySql(p: ProblemRef = inlineProblem): RawBuilder<number> {
  const w = validityWeights;
  const emailBad = sql`(${p('invalidEmail')} or ${p('emailTypo')} or ${p('disposableEmail')})`;
  const presentW = sql`((case when ${p('missingEmail')} then 0 else ${sql.lit(w.email)} end)
    + (case when ${p('missingPhone')} then 0 else ${sql.lit(w.phone)} end)
    + (case when ${p('missingCountry')} then 0 else ${sql.lit(w.country)} end))`;
  const validW = sql`((case when ${p('missingEmail')} or ${emailBad} then 0 else ${sql.lit(w.email)} end)
    + (case when ${p('missingPhone')} or ${p('phoneUnreadable')} then 0 else ${sql.lit(w.phone)} end)
    + (case when ${p('missingCountry')} or ${p('countryUnreadable')} then 0 else ${sql.lit(w.country)} end))`;
  return sql<number>`(case when ${presentW} = 0 then 100 else round(100.0 * ${validW} / ${presentW})::int end)`;
}

/**
 * The quality score, 0-100: completeness discounted by validity (completeness x validity / 100).
 * A complete record whose only problem is a mistyped email scores 50; a valid record with the
 * email alone scores 20. Staleness is reported beside the score, not folded into it.
 */
export function scoreSql(completeness: RawBuilder<number>, validity: RawBuilder<number>): RawBuilder<number> {
  return sql<number>`round(${completeness} * ${validity} / 100.0)::int`;
}

/**
 * The last sign of life: the latest event of any of the contact's profiles, or the last change to
 * the record, whichever is later. Per contact through the profiles index and the events index on
 * (profile_id, ts desc): a list filter reads it for the rows it looks at.
 */
export const lastActivitySql = sql<Date>`greatest(r.updated_at,
  (select max(e.ts) from profiles p join events e on e.profile_id = p.id where p.contact_id = r.id))`;

/**
 * A job change is a title or a company that had a value and was changed to another (filling in an
 * empty one is not), by an API or tracking write (the audit log has its from/to) or by an import
 * (its change log has the record as it was before; the value differs from today's).
 */
export const auditJobChange = sql<boolean>`(coalesce(a.changes->'title'->>'from', '') <> ''
  or coalesce(a.changes->'company'->>'from', '') <> '')`;
export const importJobChange = (c: string) =>
  sql<boolean>`(ic.op = 'updated' and (
    (coalesce(ic.before->>'title', '') <> '' and ic.before->>'title' is distinct from ${sql.ref(`${c}.title`)})
    or (coalesce(ic.before->>'company', '') <> '' and ic.before->>'company' is distinct from ${sql.ref(`${c}.company`)})))`;
export const importTime = sql<Date>`coalesce(i.finished_at, i.started_at, i.created_at)`;

/** When the contact's job last changed, or null. */
export const jobChangedAtSql = sql<Date | null>`greatest(
  (select max(a.occurred_at) from audit_log a
    where a.workspace_id = r.workspace_id and a.entity_type = 'contact' and a.entity_id = r.id::text and ${auditJobChange}),
  (select max(${importTime}) from import_changes ic join imports i on i.id = ic.import_id
    where ic.record_id = r.id and ${importJobChange('r')}))`;

/** A field a contact list can filter or sort by: `quality.<key>`. */
export interface QualityField {
  label: string;
  type: 'boolean' | 'number' | 'timestamp';
  expr: RawBuilder<unknown>;
}

/**
 * The `quality.*` fields of a contact list: `quality.score`, `quality.completeness`,
 * `quality.validity`, `quality.lastActivityAt`, `quality.jobChangedAt`, and one boolean per row
 * problem (`quality.emailTypo`, `quality.noOwner`...).
 */
export function qualityField(key: string): QualityField | undefined {
  const name = key.slice('quality.'.length);
  switch (name) {
    case 'score':
      return { label: 'Quality score', type: 'number', expr: scoreSql(completenessSql(), validitySql()) };
    case 'completeness':
      return { label: 'Completeness', type: 'number', expr: completenessSql() };
    case 'validity':
      return { label: 'Validity', type: 'number', expr: validitySql() };
    case 'lastActivityAt':
      return { label: 'Last activity', type: 'timestamp', expr: lastActivitySql };
    case 'jobChangedAt':
      return { label: 'Job changed', type: 'timestamp', expr: jobChangedAtSql };
    default:
      break;
  }
  if (!Object.hasOwn(rowProblemSql, name)) return undefined;
  const def = problems.find((p) => p.key === name);
  return { label: def?.label ?? name, type: 'boolean', expr: rowProblemSql[name as RowProblem] };
}
