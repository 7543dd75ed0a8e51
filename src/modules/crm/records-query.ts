import { sql, type RawBuilder } from 'kysely';
import { AppError } from '../../platform/errors.js';
import { qualityField } from '../quality/quality-rules.js';
import type { ObjectDef } from './crm-objects.js';
import type { CustomField } from './custom-fields.schema.js';
import { normaliseEmail, type FieldType } from './field-types.js';
import type { Filter } from './records.schema.js';

/** A field a filter or sort can name: its SQL expression and type. */
interface Target {
  key: string;
  label: string;
  type: FieldType | 'uuid' | 'timestamp';
  expr: RawBuilder<unknown>;
  /** For custom fields: presence test (the key is in the jsonb). */
  custom?: string;
  /** An index on (workspace_id, expr, id) of live records exists: a sort can walk it. */
  indexed?: boolean;
}

const SYSTEM: Record<string, { column: string; label: string }> = {
  createdAt: { column: 'created_at', label: 'Created' },
  updatedAt: { column: 'updated_at', label: 'Updated' },
};

export function resolveField(def: ObjectDef, fields: readonly CustomField[], key: string): Target {
  const sys = Object.hasOwn(SYSTEM, key) ? SYSTEM[key] : undefined;
  if (sys) return { key, label: sys.label, type: 'timestamp', expr: sql.ref(`r.${sys.column}`) };
  const core = def.fields.find((f) => f.key === key);
  if (core) {
    return {
      key,
      label: core.label,
      type: core.ref ? 'uuid' : core.type,
      expr: sql.ref(`r.${core.column}`),
      indexed: core.sortIndex === true,
    };
  }
  if (def.object === 'contact' && key.startsWith('quality.')) {
    // Data-quality facts computed from the row (quality-rules.ts): the Data Quality screen's
    // problems click through to exactly the contacts it counted.
    const q = qualityField(key);
    if (q) return { key, label: q.label, type: q.type, expr: q.expr };
  }
  if (key.startsWith('custom.')) {
    const f = fields.find((c) => c.key === key.slice(7));
    if (f) {
      // The key is a validated [a-z0-9_] identifier: inlined as a literal so the expression matches
      // the field's expression index (see custom-fields.service ensureIndex).
      const text = sql`(r.custom->>${sql.lit(f.key)})`;
      const expr =
        f.type === 'number' || f.type === 'currency'
          ? sql`(${text})::numeric`
          : f.type === 'boolean'
            ? sql`(${text})::boolean`
            : f.type === 'multiselect'
              ? sql`(r.custom->${sql.lit(f.key)})`
              : text;
      return { key, label: f.label, type: f.type, expr, custom: f.key, indexed: f.indexed && f.type !== 'multiselect' };
    }
  }
  throw new AppError('validation_failed', `Unknown field "${key}"`, [{ path: 'filter', message: `Unknown field "${key}"` }]);
}

function likeEscape(v: string): string {
  return v.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const ordered = new Set<string>(['number', 'currency', 'date', 'datetime', 'timestamp']);

function scalar(t: Target, f: Filter): string | number | boolean {
  const v = f.value;
  if (v === undefined || Array.isArray(v)) throw new AppError('validation_failed', `${t.label} ${f.op} needs one value`);
  if ((t.type === 'number' || t.type === 'currency') && typeof v !== 'number') {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new AppError('validation_failed', `${t.label} compares with a number`);
    return n;
  }
  if (t.type === 'boolean' && typeof v !== 'boolean') {
    if (v === 'true' || v === 'false') return v === 'true';
    throw new AppError('validation_failed', `${t.label} compares with true or false`);
  }
  if ((t.type === 'timestamp' || t.type === 'datetime') && Number.isNaN(Date.parse(String(v)))) {
    throw new AppError('validation_failed', `${t.label} compares with a date`);
  }
  if (t.type === 'uuid' && !/^[0-9a-f-]{36}$/i.test(String(v))) throw new AppError('validation_failed', `${t.label} compares with an id`);
  return t.type === 'email' ? normaliseEmail(String(v)) : v;
}

function list(t: Target, f: Filter): string[] {
  const v = f.value;
  const arr = Array.isArray(v) ? v : v === undefined ? [] : [v];
  if (arr.length === 0) throw new AppError('validation_failed', `${t.label} ${f.op} needs a list of values`);
  return arr.map((x) => (t.type === 'email' ? normaliseEmail(String(x)) : String(x)));
}

/** One filter as a SQL condition. Values are always parameters. */
export function compileFilter(t: Target, f: Filter): RawBuilder<unknown> {
  const e = t.expr;
  switch (f.op) {
    case 'is_set':
      return t.custom ? sql`(r.custom ? ${t.custom} and r.custom->${t.custom} <> 'null'::jsonb)` : sql`${e} is not null`;
    case 'is_not_set':
      return t.custom ? sql`not (r.custom ? ${t.custom} and r.custom->${t.custom} <> 'null'::jsonb)` : sql`${e} is null`;
    case 'has_any':
    case 'has_all':
    case 'has_none': {
      if (t.type !== 'multiselect') throw new AppError('validation_failed', `${f.op} is for multi-select fields`);
      const vals = list(t, f);
      if (f.op === 'has_any') return sql`${e} ?| ${vals}::text[]`;
      if (f.op === 'has_all') return sql`${e} ?& ${vals}::text[]`;
      return sql`not coalesce(${e} ?| ${vals}::text[], false)`;
    }
    default:
      break;
  }
  if (t.type === 'multiselect')
    throw new AppError('validation_failed', `${t.label} takes has_any, has_all, has_none, is_set or is_not_set`);
  switch (f.op) {
    case 'eq':
      return sql`${e} = ${scalar(t, f)}`;
    case 'neq':
      return sql`${e} is distinct from ${scalar(t, f)}`;
    case 'in':
      return sql`${e}::text = any(${list(t, f)}::text[])`;
    case 'not_in':
      return sql`not coalesce(${e}::text = any(${list(t, f)}::text[]), false)`;
    case 'contains':
    case 'not_contains':
    case 'starts_with': {
      const v = String(scalar(t, f));
      const pattern = f.op === 'starts_with' ? `${likeEscape(v)}%` : `%${likeEscape(v)}%`;
      const c = sql`${e}::text ilike ${pattern}`;
      return f.op === 'not_contains' ? sql`not coalesce(${c}, false)` : c;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (!ordered.has(t.type)) throw new AppError('validation_failed', `${t.label} cannot be compared with ${f.op}`);
      const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[f.op];
      return sql`${e} ${sql.raw(op)} ${scalar(t, f)}`;
    }
    default:
      throw new AppError('validation_failed', `Unknown operator ${f.op}`);
  }
}

/**
 * Free text to a prefix tsquery: every word must match the start of a word in the record's
 * search vector. Words are reduced to letters, digits and the characters emails hold, then quoted,
 * so no tsquery syntax from the user reaches the parser.
 */
export function toPrefixQuery(q: string): string | null {
  const words = q
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}@._+-]/gu, '').replace(/^[.\-@+]+|[.\-@+]+$/g, ''))
    .filter((w) => w.length > 0)
    .slice(0, 8);
  if (words.length === 0) return null;
  return words.map((w) => `'${w.replace(/'/g, "''")}':*`).join(' & ');
}

export interface Sort {
  target: Target;
  desc: boolean;
  key: string;
}

export function parseSort(def: ObjectDef, fields: readonly CustomField[], sort: string | undefined): Sort {
  const s = sort && sort.length > 0 ? sort : '-createdAt';
  const desc = s.startsWith('-');
  const key = desc ? s.slice(1) : s;
  const target = resolveField(def, fields, key);
  if (target.type === 'multiselect') throw new AppError('validation_failed', `Cannot sort by ${target.label}`);
  return { target, desc, key: s };
}

/** Keyset cursor: the sort key, the last row's sort value and id. */
export function encodeRecordCursor(sortKey: string, value: unknown, id: string): string {
  const v = value instanceof Date ? value.toISOString() : (value ?? null);
  return Buffer.from(JSON.stringify({ s: sortKey, v, id })).toString('base64url');
}

export function decodeRecordCursor(cursor: string | undefined, sortKey: string): { v: unknown; id: string } | null {
  if (!cursor) return null;
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s?: unknown; v?: unknown; id?: unknown };
    const validValue = c.v === null || ['string', 'number', 'boolean'].includes(typeof c.v);
    if (c.s === sortKey && typeof c.id === 'string' && /^[0-9a-f-]{36}$/.test(c.id) && validValue) return { v: c.v, id: c.id };
  } catch {
    /* fall through */
  }
  throw new AppError('invalid_cursor', 'The cursor is not one this API returned for this sort');
}

/** The value a sort orders by; timestamps at millisecond precision, as the cursor carries them. */
export function sortExpr(sort: Sort): RawBuilder<unknown> {
  return sort.target.type === 'timestamp' ? sql`date_trunc('milliseconds', ${sort.target.expr})` : sort.target.expr;
}

/**
 * One page of a list: rows matching `where` in (sort value, id) order, NULLS LAST in either
 * direction, after the keyset cursor, with the sort value as `sort_value`. At most `limit` rows.
 *
 * A sort by an indexed field (a plain btree on (workspace_id, value, id): migration 0008, custom
 * fields' `ensureIndex`) walks that index, in either direction. `value DESC NULLS LAST` is not the
 * order of such an index read backwards (that is NULLS FIRST), and `(v < x or (v = x and id < y) or
 * v is null)` is no index range, so the rows with a value and the rows without are read separately,
 * each `ORDER BY value <dir>, id <dir> LIMIT n` with a row comparison for the cursor: two index walks
 * that stop after n rows. The outer sort puts the nulls last and orders at most 2n rows. Without an
 * index that would read the table twice, so there the page is one read and a top-n sort. Sorting by
 * creation time is id order and needs neither.
 */
export function pageQuery(
  table: RawBuilder<unknown>,
  columns: RawBuilder<unknown>,
  where: readonly RawBuilder<unknown>[],
  sort: Sort,
  cursor: { v: unknown; id: string } | null,
  limit: number,
): RawBuilder<unknown> {
  const dir = sql.raw(sort.desc ? 'desc' : 'asc');
  const cmp = sql.raw(sort.desc ? '<' : '>');
  const and = (conds: readonly RawBuilder<unknown>[]) => sql.join(conds, sql` and `);
  if (byId(sort)) {
    const conds = cursor ? [...where, sql`r.id ${cmp} ${cursor.id}`] : where;
    return sql`select ${columns}, r.created_at as sort_value from ${table} r where ${and(conds)} order by r.id ${dir} limit ${limit}`;
  }
  const e = sortExpr(sort);
  if (!sort.target.indexed) {
    const after =
      cursor === null
        ? []
        : cursor.v === null
          ? [sql`(${e} is null and r.id ${cmp} ${cursor.id})`]
          : [sql`((${e}, r.id) ${cmp} (${cursor.v}, ${cursor.id}) or ${e} is null)`];
    return sql`select ${columns}, ${e} as sort_value from ${table} r where ${and([...where, ...after])}
      order by ${e} ${dir} nulls last, r.id ${dir} limit ${limit}`;
  }
  const branch = (conds: readonly RawBuilder<unknown>[]) =>
    sql`select ${columns}, ${e} as sort_value from ${table} r where ${and([...where, ...conds])} order by ${e} ${dir}, r.id ${dir} limit ${limit}`;
  const nulls = branch(cursor?.v === null ? [sql`${e} is null`, sql`r.id ${cmp} ${cursor.id}`] : [sql`${e} is null`]);
  // A cursor in the nulls: the rows with a value are all behind it.
  if (cursor?.v === null) return nulls;
  const values = branch(cursor ? [sql`${e} is not null`, sql`(${e}, r.id) ${cmp} (${cursor.v}, ${cursor.id})`] : [sql`${e} is not null`]);
  return sql`select * from ((${values}) union all (${nulls})) p order by p.sort_value ${dir} nulls last, p.id ${dir} limit ${limit}`;
}

/** Ids are UUIDv7, so creation order is id order: that sort needs no other column. */
function byId(sort: Sort): boolean {
  return sort.target.key === 'createdAt';
}
