import { z } from 'zod';

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
  })
  .strict();
export type EventCondition = z.infer<typeof eventCondition>;

export type SegmentNode =
  | { all: SegmentNode[] }
  | { any: SegmentNode[] }
  | { not: SegmentNode }
  | FieldCondition
  | { account: FieldCondition }
  | EventCondition
  | { segment: string };

export const segmentNode: z.ZodType<SegmentNode> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(segmentNode).max(100) }).strict(),
    z.object({ any: z.array(segmentNode).max(100) }).strict(),
    z.object({ not: segmentNode }).strict(),
    fieldCondition,
    z.object({ account: fieldCondition }).strict(),
    eventCondition,
    z.object({ segment: z.uuid('segment must be a segment id') }).strict(),
  ]),
);

export const segmentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    definition: z.unknown(),
    count: z.number().describe('Contacts matching now'),
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
export const previewSchema = z.object({ definition: segmentNode }).strict();
