import type { RawBuilder } from 'kysely';
import type { z } from 'zod';
import type { DbOrTx } from '../../platform/db/database.js';

/** What a change can be: the causes the segment queue records (see migration 0007). */
export type Cause = 'contact' | 'account' | 'event' | 'list';

/**
 * A condition kind registered by another module (email engagement, form fills, score, lifecycle
 * stage...), without changing the engine: its node has one key (`{"score": {...}}`), a zod schema
 * for the whole node, the SQL condition over `contacts r` it compiles to (values bound, never
 * spliced), and the changes that can alter it, so incremental membership knows when to look again.
 * Registration happens when the module is imported, before any definition is parsed.
 */
export interface SegmentConditionKind<T extends object> {
  key: string;
  schema: z.ZodType<T>;
  causes: readonly Cause[];
  /** True when the condition's truth changes with time alone ("in the last 7 days"). */
  timeDependent?: (node: T) => boolean;
  /**
   * For a time-dependent node: the contacts whose truth may have changed between `from` and `to`
   * by time alone, as a `select contact_id ...` (for example those with an email opened exactly
   * 7 days before some instant in between). Without it the scheduled pass evaluates every contact
   * of a segment using the node.
   */
  edges?: (node: T, ctx: { db: DbOrTx; workspaceId: string; from: Date; to: Date }) => RawBuilder<unknown>;
  compile: (node: T, ctx: { db: DbOrTx; workspaceId: string; now: Date }) => RawBuilder<unknown> | Promise<RawBuilder<unknown>>;
}

const BUILT_IN = new Set(['all', 'any', 'not', 'field', 'account', 'event', 'page', 'touchpoint', 'segment', 'list']);
const kinds = new Map<string, SegmentConditionKind<object>>();

export function registerSegmentCondition<T extends object>(kind: SegmentConditionKind<T>): void {
  if (BUILT_IN.has(kind.key) || kinds.has(kind.key)) throw new Error(`Segment condition "${kind.key}" is registered twice`);
  kinds.set(kind.key, kind as unknown as SegmentConditionKind<object>);
}

/** The registered nodes' schemas by key, for the definition union (typed `never`: they add no static shape). */
export function extensionSchemas(): Array<{ key: string; schema: z.ZodType<never> }> {
  return [...kinds.values()].map((k) => ({ key: k.key, schema: k.schema as unknown as z.ZodType<never> }));
}

export function extensionFor(node: object): SegmentConditionKind<object> | undefined {
  const keys = Object.keys(node);
  return keys.length === 1 && keys[0] !== undefined ? kinds.get(keys[0]) : undefined;
}
