import { sql, type RawBuilder } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { accountDef, contactDef, type ObjectDef } from '../crm/crm-objects.js';
import type { CustomField } from '../crm/custom-fields.schema.js';
import { activeFields } from '../crm/custom-fields.service.js';
import { compileFilter, resolveField } from '../crm/records-query.js';
import type { Filter } from '../crm/records.schema.js';
import type { EventCondition, FieldCondition, SegmentNode } from './segments.schema.js';

/**
 * Compiles a segment definition into one SQL condition over `contacts r`. Identifiers come only
 * from the object descriptors and validated field keys; every value is a bound parameter, so no
 * definition can make the compiler emit SQL of its own.
 */
export interface CompileContext {
  db: DbOrTx;
  workspaceId: string;
  now: Date;
  contactFields: readonly CustomField[];
  accountFields: readonly CustomField[];
  /** Segment ids on the path from the root, to refuse cycles. */
  path: string[];
}

export async function compileContext(db: DbOrTx, workspaceId: string, now: Date): Promise<CompileContext> {
  return {
    db,
    workspaceId,
    now,
    contactFields: await activeFields(db, workspaceId, 'contact'),
    accountFields: await activeFields(db, workspaceId, 'account'),
    path: [],
  };
}

const MAX_DEPTH = 10;
const TRAIT_KEY = /^[A-Za-z0-9_.-]{1,100}$/;

function bad(message: string): AppError {
  return new AppError('validation_failed', message, [{ path: 'definition', message }]);
}

function target(def: ObjectDef, fields: readonly CustomField[], field: string) {
  if (def.object === 'contact' && field.startsWith('traits.')) {
    const key = field.slice(7);
    if (!TRAIT_KEY.test(key)) throw bad(`"${field}" is not a trait name`);
    return { key: field, label: field, type: 'text' as const, expr: sql`(r.traits->>${key})` };
  }
  const isCore = def.fields.some((f) => f.key === field) || field === 'createdAt' || field === 'updatedAt';
  if (!isCore && fields.some((f) => f.key === field)) return resolveField(def, fields, `custom.${field}`);
  try {
    return resolveField(def, fields, field);
  } catch {
    throw bad(`Unknown ${def.object} field "${field}"`);
  }
}

const DATE_TYPES = new Set(['date', 'datetime', 'timestamp']);

function fieldSql(def: ObjectDef, fields: readonly CustomField[], c: FieldCondition, now: Date): RawBuilder<unknown> {
  const t = target(def, fields, c.field);
  const v = c.value;
  const filter = (op: Filter['op'], value?: Filter['value']) => compileFilter(t, { field: c.field, op, value });
  const asDate = (x: unknown) => {
    if (typeof x !== 'string' || Number.isNaN(Date.parse(x))) throw bad(`${c.field} ${c.op} needs a date`);
    return t.type === 'date' ? x.slice(0, 10) : new Date(x).toISOString();
  };
  switch (c.op) {
    case 'eq':
    case 'neq':
    case 'contains':
    case 'starts_with':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (v === undefined || Array.isArray(v) || typeof v === 'object') throw bad(`${c.field} ${c.op} needs one value`);
      return filter(c.op, v);
    case 'in':
    case 'nin': {
      if (!Array.isArray(v)) throw bad(`${c.field} ${c.op} needs a list of values`);
      if (t.type === 'multiselect') return filter(c.op === 'in' ? 'has_any' : 'has_none', v.map(String));
      return filter(
        c.op === 'in' ? 'in' : 'not_in',
        v.map((x) => (typeof x === 'boolean' ? String(x) : x)),
      );
    }
    case 'between': {
      if (!Array.isArray(v) || v.length !== 2) throw bad(`${c.field} between needs [from, to]`);
      const [a, b] = v as [string | number, string | number];
      return sql`(${filter('gte', a)} and ${filter('lte', b)})`;
    }
    case 'is_empty':
      return t.type === 'text' ? sql`(${filter('is_not_set')} or ${t.expr}::text = '')` : filter('is_not_set');
    case 'is_not_empty':
      return t.type === 'text' ? sql`(${filter('is_set')} and ${t.expr}::text <> '')` : filter('is_set');
    case 'within_last': {
      if (!DATE_TYPES.has(t.type)) throw bad(`${c.field} is not a date: within_last does not apply`);
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad(`${c.field} within_last needs {"days": n}`);
      const since = new Date(now.getTime() - v.days * 86_400_000);
      return sql`(${t.expr} >= ${t.type === 'date' ? since.toISOString().slice(0, 10) : since.toISOString()} and ${t.expr} <= ${t.type === 'date' ? now.toISOString().slice(0, 10) : now.toISOString()})`;
    }
    case 'before':
    case 'after': {
      if (!DATE_TYPES.has(t.type)) throw bad(`${c.field} is not a date: ${c.op} does not apply`);
      return sql`${t.expr} ${sql.raw(c.op === 'before' ? '<' : '>')} ${asDate(v)}`;
    }
  }
}

function propertySql(w: NonNullable<EventCondition['where']>[number]): RawBuilder<unknown> {
  const text = sql`(e.properties->>${w.property})`;
  // Property values are whatever the client sent: numbers compare only where the text is a number.
  const num = sql`(case when ${text} ~ '^-?[0-9]+(\\.[0-9]+)?$' then ${text}::numeric end)`;
  const v = w.value;
  const one = () => {
    if (Array.isArray(v)) throw bad(`property ${w.property} ${w.op} needs one value`);
    return v;
  };
  switch (w.op) {
    case 'eq':
      return sql`${text} = ${String(one())}`;
    case 'neq':
      return sql`${text} is distinct from ${String(one())}`;
    case 'in':
      return sql`${text} = any(${(Array.isArray(v) ? v : [v]).map(String)}::text[])`;
    case 'contains':
      return sql`${text} ilike ${`%${String(one()).replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`}`;
    default: {
      const n = Number(one());
      if (!Number.isFinite(n)) throw bad(`property ${w.property} ${w.op} needs a number`);
      return sql`${num} ${sql.raw({ gt: '>', gte: '>=', lt: '<', lte: '<=' }[w.op])} ${n}`;
    }
  }
}

function eventSql(e: EventCondition, now: Date): RawBuilder<unknown> {
  const conds = [sql`p.contact_id = r.id`, sql`e.type = 'track'`, sql`e.event = ${e.event}`];
  if (e.within) conds.push(sql`e.ts >= ${new Date(now.getTime() - e.within.days * 86_400_000)}`);
  for (const w of e.where ?? []) conds.push(propertySql(w));
  const count = sql`(select count(*) from events e join profiles p on p.id = e.profile_id where ${sql.join(conds, sql` and `)})`;
  const c = e.count ?? { gte: 1 };
  const parts: RawBuilder<unknown>[] = [];
  const ops = { eq: '=', gte: '>=', gt: '>', lte: '<=', lt: '<' } as const;
  for (const k of Object.keys(ops) as Array<keyof typeof ops>) {
    const n = c[k];
    if (n !== undefined) parts.push(sql`${count} ${sql.raw(ops[k])} ${n}`);
  }
  return sql`(${sql.join(parts, sql` and `)})`;
}

export async function compileNode(ctx: CompileContext, node: SegmentNode, depth = 0): Promise<RawBuilder<unknown>> {
  if (depth > MAX_DEPTH * 4) throw bad('The definition is nested too deeply');
  if ('all' in node || 'any' in node) {
    const items = 'all' in node ? node.all : node.any;
    if (items.length === 0) return 'all' in node ? sql`true` : sql`false`;
    const parts = [];
    for (const n of items) parts.push(await compileNode(ctx, n, depth + 1));
    return sql`(${sql.join(parts, 'all' in node ? sql` and ` : sql` or `)})`;
  }
  if ('not' in node) return sql`not coalesce(${await compileNode(ctx, node.not, depth + 1)}, false)`;
  if ('account' in node) {
    const cond = fieldSql(accountDef, ctx.accountFields, node.account, ctx.now);
    // Inside the subquery `r` is the account: the condition compiles as for any record.
    return sql`r.account_id in (select r.id from accounts r where r.workspace_id = ${ctx.workspaceId} and r.deleted_at is null and ${cond})`;
  }
  if ('segment' in node) {
    if (ctx.path.includes(node.segment)) throw bad('Segments refer to each other in a cycle');
    if (ctx.path.length >= MAX_DEPTH) throw bad('Segments refer to each other too deeply');
    const ref = await ctx.db
      .selectFrom('segments')
      .select('definition')
      .where('workspace_id', '=', ctx.workspaceId)
      .where('id', '=', node.segment)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!ref) throw bad(`No segment ${node.segment}`);
    return compileNode({ ...ctx, path: [...ctx.path, node.segment] }, ref.definition as SegmentNode, depth + 1);
  }
  if ('event' in node) return eventSql(node, ctx.now);
  return fieldSql(contactDef, ctx.contactFields, node, ctx.now);
}
