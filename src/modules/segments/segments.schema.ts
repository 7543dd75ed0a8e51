import { z } from 'zod';
import { extensionSchemas } from './segments.registry.js';

/**
 * A segment definition: a JSON tree of groups (`all`, `any`, `not`) and conditions on contact
 * fields, the contact's account, its events, and other segments. Validated before it is saved or
 * run; the compiler only ever sees a parsed tree.
 */
export const fieldOps = [
  'eq',
  'neq',
  'in',
  'nin',
  'contains',
  'starts_with',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'is_empty',
  'is_not_empty',
  'within_last',
  'before',
  'after',
] as const;

const scalar = z.union([z.string().max(1000), z.number(), z.boolean()]);
const fieldName = z.string().min(1).max(100);
const days = z.object({ days: z.number().int().min(1).max(3650) }).strict();
const isoDate = z.string().refine((v) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}/.test(v), 'an ISO date (YYYY-MM-DD…)');
const timeTest = z.union([
  z.object({ within_last: days }).strict(),
  z.object({ before: isoDate }).strict(),
  z.object({ after: isoDate }).strict(),
]);

export const fieldCondition = z
  .object({
    field: fieldName,
    op: z.enum(fieldOps),
    value: z.union([scalar, z.array(scalar).max(1000, 'At most 1,000 values in a list'), days]).optional(),
  })
  .strict();
export type FieldCondition = z.infer<typeof fieldCondition>;

const countOp = z
  .object({
    eq: z.number().int().min(0).optional(),
    gte: z.number().int().min(0).optional(),
    gt: z.number().int().min(0).optional(),
    lte: z.number().int().min(0).optional(),
    lt: z.number().int().min(0).optional(),
  })
  .strict()
  .refine((c) => Object.keys(c).length >= 1, 'count needs eq, gte, gt, lte or lt');

export const eventCondition = z
  .object({
    event: z.string().min(1).max(500),
    count: countOp.optional(),
    within: days.optional(),
    where: z
      .array(
        z
          .object({
            property: z.string().min(1).max(200),
            op: z.enum(['eq', 'neq', 'in', 'contains', 'gt', 'gte', 'lt', 'lte']),
            value: z.union([scalar, z.array(scalar).max(1000)]),
          })
          .strict(),
      )
      .max(20)
      .optional(),
    /** Only events at or after this date: "did not do X since Y". */
    since: isoDate.optional(),
    /** When the contact first / last did it (no such event: the condition is false). */
    first: timeTest.optional(),
    last: timeTest.optional(),
  })
  .strict();
export type EventCondition = z.infer<typeof eventCondition>;

/** Page visits whose URL matches a wildcard pattern (`*` = anything): no regular expressions. */
export const pageCondition = z
  .object({
    page: z
      .object({
        url: z
          .string()
          .min(1)
          .max(500)
          .refine((u) => (u.match(/\*/g) ?? []).length <= 10, 'At most 10 wildcards in a URL pattern'),
      })
      .strict(),
    count: countOp.optional(),
    within: days.optional(),
  })
  .strict();
export type PageCondition = z.infer<typeof pageCondition>;

export const touchpointFields = ['channel', 'source', 'medium', 'campaign', 'term', 'content'] as const;
/** The contact's visits' sources: any touchpoint, or only the first / last one. */
export const touchpointCondition = z
  .object({
    touchpoint: z
      .object({
        field: z.enum(touchpointFields),
        op: z.enum(['eq', 'neq', 'in', 'contains', 'starts_with', 'is_empty', 'is_not_empty']),
        value: z.union([z.string().max(1000), z.array(z.string().max(1000)).max(1000)]).optional(),
      })
      .strict(),
    which: z.enum(['any', 'first', 'last']).default('any'),
    within: days.optional(),
  })
  .strict();
export type TouchpointCondition = z.infer<typeof touchpointCondition>;

export type SegmentNode =
  | { all: SegmentNode[] }
  | { any: SegmentNode[] }
  | { not: SegmentNode }
  | FieldCondition
  | { account: FieldCondition }
  | EventCondition
  | PageCondition
  | TouchpointCondition
  | { segment: string }
  | { list: string };

/** The node kinds by the key that names them (`field` stands for field conditions). */
function nodeKinds(): Array<[string, z.ZodType]> {
  return [
    ['all', z.object({ all: z.array(segmentNode).max(100) }).strict()],
    ['any', z.object({ any: z.array(segmentNode).max(100) }).strict()],
    ['not', z.object({ not: segmentNode }).strict()],
    ['field', fieldCondition],
    ['account', z.object({ account: fieldCondition }).strict()],
    ['event', eventCondition],
    ['page', pageCondition],
    ['touchpoint', touchpointCondition],
    ['segment', z.object({ segment: z.uuid('segment must be a segment id') }).strict()],
    ['list', z.object({ list: z.uuid('list must be a list id') }).strict()],
    ...extensionSchemas().map((x): [string, z.ZodType] => [x.key, x.schema]),
  ];
}

/** Keys of other rule formats (older Keel drafts, query builders) that deserve a pointed answer. */
const FOREIGN_KEYS = new Set(['rules', 'combinator', 'operator', 'conditions', 'and', 'or', 'condition', 'type', 'version']);

/**
 * A union's own error says only "Invalid input". This names the node kind the input looks like
 * and the first thing wrong inside it, with its path, or lists the kinds there are.
 */
function explainNode(input: unknown): string {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return 'A condition is a JSON object such as {"field": "country", "op": "eq", "value": "DE"} or a group {"all": [...]}';
  }
  const kinds = nodeKinds();
  const keys = Object.keys(input);
  const kind = kinds.find(([k]) => keys.includes(k));
  if (kind) {
    const r = kind[1].safeParse(input);
    const issues = r.success ? [] : r.error.issues;
    // An unknown key says more than the missing one it probably replaces ("operator" for "op").
    const issue = issues.find((i) => i.code === 'unrecognized_keys' && i.path.length === 0) ?? issues[0];
    if (issue) {
      const path = issue.path.map(String).join('.');
      const extra = issue.code === 'unrecognized_keys' ? ` (a ${kind[0]} condition takes only its own keys)` : '';
      return `${path ? `${path}: ` : ''}${issue.message}${extra}`;
    }
  }
  const foreign = keys.filter((k) => FOREIGN_KEYS.has(k));
  const hint = foreign.length
    ? ` The keys ${foreign.map((k) => `"${k}"`).join(', ')} belong to another definition format or an older version: rewrite it in this one.`
    : '';
  return `Not a condition Keel knows (keys: ${keys.join(', ') || 'none'}). A condition has one of: ${kinds.map(([k]) => k).join(', ')}.${hint}`;
}

export const segmentNode: z.ZodType<SegmentNode> = z.lazy(() =>
  z.union(nodeKinds().map(([, schema]) => schema) as unknown as [z.ZodType<SegmentNode>, z.ZodType<SegmentNode>], {
    error: (iss) => explainNode(iss.input),
  }),
);

export const segmentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    definition: z.unknown(),
    count: z.number().nullable().describe('Contacts matching now (null when the definition no longer compiles: see error)'),
    error: z.string().nullable().describe('Why the definition no longer compiles (a field it uses was deleted), or null'),
    countSource: z
      .enum(['live', 'stored'])
      .describe('live: counted now; stored: the kept membership (lists of segments in workspaces over 200,000 contacts)'),
    memberCount: z.number().describe('Stored members, kept current by the membership worker'),
    state: z.enum(['building', 'ready']).describe('building: the definition changed and its rebuild has not run yet'),
    refreshedAt: z.string().nullable(),
    usedBy: z.array(z.object({ id: z.string(), name: z.string() })).describe('Segments that read this one'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Segment' });
export type Segment = z.infer<typeof segmentSchema>;

export const createSegmentSchema = z
  .object({ name: z.string().trim().min(1).max(200), description: z.string().trim().max(2000).default(''), definition: segmentNode })
  .strict();
export const updateSegmentSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().trim().max(2000).optional(),
    definition: segmentNode.optional(),
  })
  .strict();
export const previewSchema = z.object({ definition: segmentNode, exact: z.boolean().optional() }).strict();

/** One entry or exit, as the history, the contact's history and the change feed return it. */
export const changeSchema = z
  .object({
    id: z.string().describe('Position in the change log: pass as `after` to the feed'),
    segmentId: z.string(),
    segmentName: z.string(),
    contactId: z.string(),
    email: z.string().nullable(),
    change: z.enum(['entered', 'exited']),
    reason: z.string(),
    at: z.string(),
  })
  .meta({ id: 'SegmentMembershipChange' });
export type MembershipChangeView = z.infer<typeof changeSchema>;

export const explainResultSchema = z.object({ sql: z.string(), parameters: z.array(z.unknown()), plan: z.array(z.string()) });
export const sizesSchema = z.object({ data: z.array(z.object({ day: z.string(), size: z.number() })) });

/** The segments and lists a contact is in now (`GET /api/v1/contacts/:id/segments`). */
export const contactMembershipSchema = z.object({
  segments: z.array(z.object({ id: z.string(), name: z.string(), enteredAt: z.string() })),
  lists: z.array(z.object({ id: z.string(), name: z.string(), addedAt: z.string(), addedBy: z.string() })),
});
