import { sql, type RawBuilder } from 'kysely';
import { AppError } from '../../platform/errors.js';
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
}

const SYSTEM: Record<string, { column: string; label: string }> = {
  createdAt: { column: 'created_at', label: 'Created' },
  updatedAt: { column: 'updated_at', label: 'Updated' },
};

export function resolveField(def: ObjectDef, fields: readonly CustomField[], key: string): Target {
  const sys = Object.hasOwn(SYSTEM, key) ? SYSTEM[key] : undefined;
  if (sys) return { key, label: sys.label, type: 'timestamp', expr: sql.ref(`r.${sys.column}`) };
  const core = def.fields.find((f) => f.key === key);
  if (core) return { key, label: core.label, type: core.ref ? 'uuid' : core.type, expr: sql.ref(`r.${core.column}`) };
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
      return { key, label: f.label, type: f.type, expr, custom: f.key };
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

/**
 * Rows after the cursor in (sort value, id) order with NULLS LAST, in either direction.
 * Timestamp sort values are compared at millisecond precision as the cursor carries them.
 */
export function afterCursor(sort: Sort, c: { v: unknown; id: string }): RawBuilder<unknown> {
  if (byId(sort)) return sql`r.id ${sql.raw(sort.desc ? '<' : '>')} ${c.id}`;
  const e = sort.target.type === 'timestamp' ? sql`date_trunc('milliseconds', ${sort.target.expr})` : sort.target.expr;
  const cmp = sql.raw(sort.desc ? '<' : '>');
  if (c.v === null) return sql`(${e} is null and r.id ${cmp} ${c.id})`;
  return sql`((${e} ${cmp} ${c.v}) or (${e} = ${c.v} and r.id ${cmp} ${c.id}) or ${e} is null)`;
}

export function orderBy(sort: Sort): RawBuilder<unknown> {
  const dir = sql.raw(sort.desc ? 'desc' : 'asc');
  if (byId(sort)) return sql`r.id ${dir}`;
  const e = sort.target.type === 'timestamp' ? sql`date_trunc('milliseconds', ${sort.target.expr})` : sort.target.expr;
  return sql`${e} ${dir} nulls last, r.id ${dir}`;
}

/** Ids are UUIDv7, so creation order is id order: that sort needs no other column. */
function byId(sort: Sort): boolean {
  return sort.target.key === 'createdAt';
}
