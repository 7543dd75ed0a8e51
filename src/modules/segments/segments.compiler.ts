import { sql, type RawBuilder } from 'kysely';
import type { DbOrTx } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { accountDef, contactDef, type ObjectDef } from '../crm/crm-objects.js';
import type { CustomField } from '../crm/custom-fields.schema.js';
import { activeFields } from '../crm/custom-fields.service.js';
import { compileFilter, resolveField } from '../crm/records-query.js';
import type { Filter } from '../crm/records.schema.js';
import { extensionFor, type Cause } from './segments.registry.js';
import type { EventCondition, FieldCondition, PageCondition, SegmentNode, TouchpointCondition } from './segments.schema.js';

/**
 * Compiles a segment definition into one SQL condition over `contacts r`. Identifiers come only
 * from the object descriptors and validated field keys; every value is a bound parameter, so no
 * definition can make the compiler emit SQL of its own.
 */
export interface CompileContext {
  db: DbOrTx;
  workspaceId: string;
  now: Date;
  /**
   * Activity (events, page views, touchpoints) at or after `now` counts for nothing: the condition
   * as it stood at `now`, for scoring's evaluation and what-if over past dates. Field values are
   * read as they are today (field history is not kept).
   */
  asOf: boolean;
  /**
   * The condition will only be asked of these contacts (the queue's chunk): grouped activity
   * subqueries that must hold (the root and `all` groups, not under `any` or `not`) then read only
   * their profiles' events instead of the workspace's. There PostgreSQL semi-joins (or anti-joins)
   * the small grouped set; under `any`/`not` it keeps a subplan, and the restricted one led it to
   * plans up to 50x slower (a nested loop over accounts probing the chunk's ids per account).
   */
  contacts: readonly string[] | null;
  contactFields: readonly CustomField[];
  accountFields: readonly CustomField[];
  /** Segment ids on the path from the root, to refuse cycles. */
  path: string[];
  /** Filled while compiling: what changes can alter the result, and whether time alone can. */
  deps: Set<Cause>;
  /**
   * The kinds of activity the definition reads, as the segment queue records them (migration
   * 0029): 'track:<event>', 'page', 'touchpoint'; '*' when an extension reads activity.
   */
  reads: Set<string>;
  timed: { value: boolean };
  /**
   * For the time-window pass: each condition whose truth moves with time adds a query of the
   * contacts for which it may have changed between two instants (`select contact_id ...`); `known`
   * turns false when a condition cannot say (an extension without `edges`), and the pass then
   * evaluates the whole segment.
   */
  edges: { queries: EdgeQuery[]; known: boolean };
  /** Segments and lists the definition reads (directly or through other segments). */
  refs: { segments: Set<string>; lists: Set<string> };
}

export async function compileContext(
  db: DbOrTx,
  workspaceId: string,
  now: Date,
  asOf = false,
  contacts: readonly string[] | null = null,
): Promise<CompileContext> {
  return {
    db,
    workspaceId,
    now,
    asOf,
    contacts,
    contactFields: await activeFields(db, workspaceId, 'contact'),
    accountFields: await activeFields(db, workspaceId, 'account'),
    path: [],
    deps: new Set<Cause>(['contact']),
    reads: new Set<string>(),
    timed: { value: false },
    edges: { queries: [], known: true },
    refs: { segments: new Set(), lists: new Set() },
  };
}

/** The contacts whose truth may have changed between `from` and `to`, as a `select contact_id`. */
export type EdgeQuery = (from: Date, to: Date) => RawBuilder<unknown>;

/** Marks the condition as moving with time, with the query of its edge contacts (null: unknown). */
function timeEdge(ctx: CompileContext, query: EdgeQuery | null): void {
  ctx.timed.value = true;
  if (query) ctx.edges.queries.push(query);
  else ctx.edges.known = false;
}

/**
 * A window "in the last d days" evaluated at `now` holds a row of time `ts` while
 * `ts >= now - d days`: between `from` and `to` it changed only for rows with `ts` in
 * [from - d, to - d) (the bounds are instants to the millisecond, as the condition's are).
 */
function crossed(from: Date, to: Date, days: number): { lo: Date; hi: Date } {
  return { lo: new Date(from.getTime() - days * DAY), hi: new Date(to.getTime() - days * DAY) };
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
const DAY = 86_400_000;

/** `lo <= field <= hi`, compared as days for a date field and as instants otherwise. */
function dateRange(t: ReturnType<typeof target>, lo: Date, hi: Date): RawBuilder<unknown> {
  const as = (d: Date) => (t.type === 'date' ? d.toISOString().slice(0, 10) : d.toISOString());
  return sql`(${t.expr} >= ${as(lo)} and ${t.expr} <= ${as(hi)})`;
}

/**
 * The records whose `field within_last days` may have changed between `from` and `to`: values
 * the window's start passed, and values the window's end (now) reached. A date field compares by
 * day, so only a change of day at either end moves anything.
 */
function fieldEdge(def: ObjectDef, fields: readonly CustomField[], c: FieldCondition, from: Date, to: Date): RawBuilder<unknown> {
  const t = target(def, fields, c.field);
  const days = typeof c.value === 'object' && c.value !== null && 'days' in c.value ? Number(c.value.days) : 0;
  if (t.type === 'date') {
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const [a, b] = [new Date(from.getTime() - days * DAY), new Date(to.getTime() - days * DAY)];
    const parts = [];
    if (day(a) !== day(b)) parts.push(dateRange(t, a, b));
    if (day(from) !== day(to)) parts.push(dateRange(t, from, to));
    return parts.length > 0 ? sql`(${sql.join(parts, sql` or `)})` : sql`false`;
  }
  const start = crossed(from, to, days);
  return sql`(${dateRange(t, start.lo, start.hi)} or ${dateRange(t, from, to)})`;
}

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
      const order = (x: string | number) => (typeof x === 'number' ? x : Date.parse(x));
      if (order(a) > order(b)) throw bad(`${c.field} between ${String(a)} and ${String(b)}: the first bound is above the second`);
      return sql`(${filter('gte', a)} and ${filter('lte', b)})`;
    }
    case 'is_empty':
      return t.type === 'text' ? sql`(${filter('is_not_set')} or ${t.expr}::text = '')` : filter('is_not_set');
    case 'is_not_empty':
      return t.type === 'text' ? sql`(${filter('is_set')} and ${t.expr}::text <> '')` : filter('is_set');
    case 'within_last': {
      if (!DATE_TYPES.has(t.type)) throw bad(`${c.field} is not a date: within_last does not apply`);
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad(`${c.field} within_last needs {"days": n}`);
      return dateRange(t, new Date(now.getTime() - v.days * DAY), now);
    }
    case 'before':
    case 'after': {
      if (!DATE_TYPES.has(t.type)) throw bad(`${c.field} is not a date: ${c.op} does not apply`);
      return sql`${t.expr} ${sql.raw(c.op === 'before' ? '<' : '>')} ${asDate(v)}`;
    }
  }
}

/** One property filter over an event row `e` (also used by scoring's engagement rules). */
export function propertySql(w: NonNullable<EventCondition['where']>[number]): RawBuilder<unknown> {
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

const since = (now: Date, d: { days: number }) => new Date(now.getTime() - d.days * DAY);

type CountOp = NonNullable<EventCondition['count']>;

/** The lowest count the test accepts (0 when a contact without any such event passes). */
function lowestCount(c: CountOp): number {
  const low = Math.max(c.gte ?? 0, c.gt === undefined ? 0 : c.gt + 1, c.eq ?? 0);
  const high = Math.min(c.lte ?? Infinity, c.lt === undefined ? Infinity : c.lt - 1, c.eq ?? Infinity);
  if (low > high) throw bad(`The count condition ${JSON.stringify(c)} can never be true`);
  return low;
}

function countTest(count: RawBuilder<unknown>, c: CountOp): RawBuilder<unknown> {
  lowestCount(c);
  const parts: RawBuilder<unknown>[] = [];
  const ops = { eq: '=', gte: '>=', gt: '>', lte: '<=', lt: '<' } as const;
  for (const k of Object.keys(ops) as Array<keyof typeof ops>) {
    const n = c[k];
    if (n !== undefined) parts.push(sql`${count} ${sql.raw(ops[k])} ${n}`);
  }
  return sql`(${sql.join(parts, sql` and `)})`;
}

type TimeTest = NonNullable<EventCondition['first']>;

/** `and <profile column> = any(the chunk's profiles)` when compiled for a chunk of contacts. */
function chunkProfiles(ctx: CompileContext, column: RawBuilder<unknown>): RawBuilder<unknown> {
  if (!ctx.contacts) return sql``;
  return sql`and ${column} = any(array(select cp.id from profiles cp
    where cp.workspace_id = ${ctx.workspaceId} and cp.contact_id = any(${[...ctx.contacts]}::uuid[])))`;
}

/**
 * "The contact has a number of such events that passes `c`", as a semi-join on the matching events
 * grouped by contact instead of a count per contact. A count per contact costs an index probe for
 * every contact the other conditions leave (163,273 of 1M in the mixed segment of
 * BENCHMARKS.md#segments: 5.31 s, median); the grouped form reads the matching events once
 * (1.94 s). EXISTS over the grouped subquery, rather than `r.id in (...)`, keeps both plans open:
 * in an `all` group PostgreSQL turns it into a hash semi-join (or anti-join), which spills to disk
 * when large, while under `any`/`not` it stays a subplan that is either hashed or, with the contact
 * id pushed into the subquery, probed per contact as before; `r.id in (...)` there would rescan the
 * whole list per contact once it outgrows work_mem. When the test passes a count of 0, the contacts without such
 * events pass too: the condition is then "no group whose count fails the test".
 */
function eventCountSql(ctx: CompileContext, conds: RawBuilder<unknown>[], c: CountOp): RawBuilder<unknown> {
  const zeroPasses = lowestCount(c) === 0;
  return groupedSql(ctx, conds, countTest(sql`count(*)`, c), zeroPasses);
}

/**
 * The contacts whose matching events, grouped, pass `test` (see `eventCountSql`); with
 * `zeroPasses`, those without matching events pass too.
 */
function groupedSql(
  ctx: CompileContext,
  conds: RawBuilder<unknown>[],
  test: RawBuilder<unknown>,
  zeroPasses: boolean,
): RawBuilder<unknown> {
  // For a chunk of contacts, their profiles' events through `events_profile_idx`: joined to the
  // chunk's profiles instead, PostgreSQL hash-joined every matching event of the workspace.
  const chunk = chunkProfiles(ctx, sql`e.profile_id`);
  const groups = sql`select p.contact_id from events e join profiles p on p.id = e.profile_id
    where p.contact_id is not null ${chunk} and ${sql.join(conds, sql` and `)}
    group by p.contact_id having ${zeroPasses ? sql`not ${test}` : test}`;
  return sql`${sql.raw(zeroPasses ? 'not exists' : 'exists')} (select 1 from (${groups}) g where g.contact_id = r.id)`;
}

function eventSql(ctx: CompileContext, e: EventCondition): RawBuilder<unknown> {
  const now = ctx.now;
  const conds = [sql`e.type = 'track'`, sql`e.event = ${e.event}`];
  if (ctx.asOf) conds.push(sql`e.ts < ${now}`);
  for (const w of e.where ?? []) conds.push(propertySql(w));
  const windowed = [...conds];
  if (e.within) windowed.push(sql`e.ts >= ${since(now, e.within)}`);
  if (e.since) windowed.push(sql`e.ts >= ${new Date(e.since)}`);
  const windows = [e.within, e.first, e.last].flatMap((w) =>
    w && 'days' in w ? [w.days] : w && 'within_last' in w ? [w.within_last.days] : [],
  );
  for (const days of new Set(windows)) timeEdge(ctx, eventsEdge(ctx, conds, days));
  const tests: RawBuilder<unknown>[] = [];
  if (e.count || (!e.first && !e.last)) tests.push(eventCountSql(ctx, windowed, e.count ?? { gte: 1 }));
  if (e.first) tests.push(firstLastSql(ctx, conds, 'min', e.first));
  if (e.last) tests.push(firstLastSql(ctx, conds, 'max', e.last));
  return sql`(${sql.join(tests, sql` and `)})`;
}

/**
 * When the contact first (`min`) or last (`max`) did it, grouped like the counts rather than a
 * correlated min/max per contact (a probe per contact: 22 to 27 s for "last viewed pricing in 7
 * days" over 1M contacts). "Last within / after" and "first before" hold as soon as one such event
 * does, so only those events are read; the others need each contact's extreme time.
 */
function firstLastSql(ctx: CompileContext, conds: RawBuilder<unknown>[], agg: 'min' | 'max', t: TimeTest): RawBuilder<unknown> {
  const one = (cond: RawBuilder<unknown>) => eventCountSql(ctx, [...conds, cond], { gte: 1 });
  if (agg === 'max' && 'within_last' in t) return one(sql`e.ts >= ${since(ctx.now, t.within_last)}`);
  if (agg === 'max' && 'after' in t) return one(sql`e.ts > ${new Date(t.after)}`);
  if (agg === 'min' && 'before' in t) return one(sql`e.ts < ${new Date(t.before)}`);
  const extreme = sql`${sql.raw(agg)}(e.ts)`;
  const test =
    'within_last' in t
      ? sql`${extreme} >= ${since(ctx.now, t.within_last)}`
      : 'before' in t
        ? sql`${extreme} < ${new Date(t.before)}`
        : sql`${extreme} > ${new Date(t.after)}`;
  return groupedSql(ctx, conds, test, false);
}

/**
 * The contacts with an event matching `conds` whose time a `days` window's start passed, read
 * through `events_ws_event_ts_idx` (workspace, type, event, time).
 */
function eventsEdge(ctx: CompileContext, conds: RawBuilder<unknown>[], days: number): EdgeQuery {
  return (from, to) => {
    const { lo, hi } = crossed(from, to, days);
    return sql`select p.contact_id from events e join profiles p on p.id = e.profile_id
      where e.workspace_id = ${ctx.workspaceId} and ${sql.join(conds, sql` and `)} and e.ts >= ${lo} and e.ts <= ${hi}`;
  };
}

/** A wildcard pattern (`*` = anything) as an ILIKE pattern: everything else is literal. */
export function wildcardToLike(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (ch) => `\\${ch}`).replace(/\*/g, '%');
}

function pageSql(ctx: CompileContext, c: PageCondition): RawBuilder<unknown> {
  const conds = [sql`e.type = 'page'`, sql`coalesce(e.properties->>'url', e.context->'page'->>'url') ilike ${wildcardToLike(c.page.url)}`];
  if (ctx.asOf) conds.push(sql`e.ts < ${ctx.now}`);
  if (c.within) {
    // Page views have no event name: `event is null` keeps the scan on the index's page range.
    timeEdge(ctx, eventsEdge(ctx, [sql`e.event is null`, ...conds], c.within.days));
    conds.push(sql`e.ts >= ${since(ctx.now, c.within)}`);
  }
  return eventCountSql(ctx, conds, c.count ?? { gte: 1 });
}

/** A touchpoint test over a touchpoint row `t` (also used by scoring's engagement rules). */
export function touchpointTest(tp: TouchpointCondition['touchpoint']): RawBuilder<unknown> {
  const col = sql.ref(`t.${tp.field}`);
  const v = tp.value;
  const one = () => {
    if (typeof v !== 'string') throw bad(`touchpoint ${tp.field} ${tp.op} needs one value`);
    return v;
  };
  const esc = (x: string) => x.replace(/[\\%_]/g, (ch) => `\\${ch}`);
  switch (tp.op) {
    case 'eq':
      return sql`${col} = ${one()}`;
    case 'neq':
      return sql`${col} is distinct from ${one()}`;
    case 'in':
      return sql`${col} = any(${Array.isArray(v) ? v : [one()]}::text[])`;
    case 'contains':
      return sql`${col} ilike ${`%${esc(one())}%`}`;
    case 'starts_with':
      return sql`${col} ilike ${`${esc(one())}%`}`;
    case 'is_empty':
      return sql`coalesce(${col}, '') = ''`;
    case 'is_not_empty':
      return sql`coalesce(${col}, '') <> ''`;
  }
}

function touchpointSql(ctx: CompileContext, c: TouchpointCondition): RawBuilder<unknown> {
  const test = touchpointTest(c.touchpoint);
  // Which touchpoints count (time bounds), apart from whose they are.
  const filters = [sql`true`];
  if (ctx.asOf) filters.push(sql`t.ts < ${ctx.now}`);
  if (c.within) {
    const days = c.within.days;
    timeEdge(ctx, (from, to) => {
      const { lo, hi } = crossed(from, to, days);
      return sql`select p.contact_id from touchpoints t join profiles p on p.id = t.profile_id
        where t.workspace_id = ${ctx.workspaceId} and t.ts >= ${lo} and t.ts <= ${hi}`;
    });
    filters.push(sql`t.ts >= ${since(ctx.now, c.within)}`);
  }
  const where = sql.join(filters, sql` and `);
  const from = sql`from touchpoints t join profiles p on p.id = t.profile_id where p.contact_id = r.id and ${where}`;
  if (c.which === 'any') return sql`exists (select 1 ${from} and ${test})`;
  // Each contact's first (last) touchpoint for all contacts at once, as the event counts are: a
  // correlated "order by ts limit 1" per contact cost 12 to 13 s for "first touch paid search"
  // over 1M contacts. Under `any`/`not` PostgreSQL still probes it per contact, with the contact id
  // pushed into the DISTINCT ON (it is the distinct column).
  const chunk = chunkProfiles(ctx, sql`t.profile_id`);
  const dir = sql.raw(c.which === 'first' ? 'asc' : 'desc');
  const firsts = sql`select distinct on (p.contact_id) p.contact_id, coalesce(${test}, false) as ok
    from touchpoints t join profiles p on p.id = t.profile_id
    where t.workspace_id = ${ctx.workspaceId} and p.contact_id is not null ${chunk} and ${where}
    order by p.contact_id, t.ts ${dir}, t.id`;
  return sql`exists (select 1 from (${firsts}) g where g.contact_id = r.id and g.ok)`;
}

/** Conditions in one `all` group that can never hold together are refused before saving. */
function checkContradictions(items: SegmentNode[]): void {
  const byField = new Map<string, FieldCondition[]>();
  for (const n of items) {
    if ('field' in n && 'op' in n) byField.set(n.field, [...(byField.get(n.field) ?? []), n]);
  }
  for (const [field, conds] of byField) {
    const eqs = [...new Set(conds.filter((c) => c.op === 'eq').map((c) => String(c.value)))];
    if (eqs.length > 1) throw bad(`${field} cannot equal "${eqs.join('" and "')}" at once (all of these must hold)`);
    const neqs = conds.filter((c) => c.op === 'neq').map((c) => String(c.value));
    const both = eqs.find((e) => neqs.includes(e));
    if (both !== undefined) throw bad(`${field} cannot equal and not equal "${both}" at once`);
    if (conds.some((c) => c.op === 'is_empty') && conds.some((c) => c.op === 'is_not_empty')) {
      throw bad(`${field} cannot be empty and not empty at once`);
    }
  }
}

/**
 * Conditions compiled to SQL that is never NULL (EXISTS tests and groups of them): `not` negates
 * them as they are, so PostgreSQL can plan `not exists (grouped events)` as an anti-join; anything
 * else it negates as `not coalesce(x, false)` (unknown counts as false), which stays a subplan run
 * per contact (16 s for "no sign-in in 30 days" over 1M contacts).
 */
const NEVER_NULL = new WeakSet<RawBuilder<unknown>>();
function sure(x: RawBuilder<unknown>): RawBuilder<unknown> {
  NEVER_NULL.add(x);
  return x;
}

export async function compileNode(ctx: CompileContext, node: SegmentNode, depth = 0): Promise<RawBuilder<unknown>> {
  if (depth > MAX_DEPTH * 4) throw bad('The definition is nested too deeply');
  if ('all' in node) checkContradictions(node.all);
  if ('all' in node || 'any' in node) {
    const items = 'all' in node ? node.all : node.any;
    if (items.length === 0) return sure('all' in node ? sql`true` : sql`false`);
    // The chunk restriction only where the condition must hold (see `contacts`).
    const inner = 'all' in node ? ctx : { ...ctx, contacts: null };
    const parts = [];
    for (const n of items) parts.push(await compileNode(inner, n, depth + 1));
    const group = sql`(${sql.join(parts, 'all' in node ? sql` and ` : sql` or `)})`;
    return parts.every((x) => NEVER_NULL.has(x)) ? sure(group) : group;
  }
  if ('not' in node) {
    // An event or page count is never NULL: negated where it must hold, it is an anti-join, which
    // can keep the chunk restriction; other negations lose it (see `contacts`).
    const leaf = 'event' in node.not || 'page' in node.not;
    const inner = await compileNode({ ...ctx, contacts: leaf ? ctx.contacts : null }, node.not, depth + 1);
    return sure(NEVER_NULL.has(inner) ? sql`not ${inner}` : sql`not coalesce(${inner}, false)`);
  }
  const ext = extensionFor(node);
  if (ext) {
    for (const c of ext.causes) ctx.deps.add(c);
    if (ext.causes.includes('event')) ctx.reads.add('*');
    if (ext.timeDependent?.(node)) {
      const edges = ext.edges;
      timeEdge(ctx, edges ? (from, to) => edges(node, { db: ctx.db, workspaceId: ctx.workspaceId, from, to }) : null);
    }
    return ext.compile(node, { db: ctx.db, workspaceId: ctx.workspaceId, now: ctx.now });
  }
  if ('account' in node) {
    ctx.deps.add('account');
    if (node.account.op === 'within_last') {
      const c = node.account;
      timeEdge(
        ctx,
        (from, to) => sql`select x.id as contact_id from contacts x
          where x.workspace_id = ${ctx.workspaceId} and x.deleted_at is null and x.account_id in (
            select r.id from accounts r where r.workspace_id = ${ctx.workspaceId} and r.deleted_at is null
            and ${fieldEdge(accountDef, ctx.accountFields, c, from, to)})`,
      );
    }
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
    ctx.refs.segments.add(node.segment);
    return compileNode({ ...ctx, path: [...ctx.path, node.segment] }, ref.definition as SegmentNode, depth + 1);
  }
  if ('list' in node) {
    const list = await ctx.db
      .selectFrom('lists')
      .select('id')
      .where('workspace_id', '=', ctx.workspaceId)
      .where('id', '=', node.list)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!list) throw bad(`No list ${node.list}`);
    ctx.deps.add('list');
    ctx.refs.lists.add(node.list);
    return sure(sql`exists (select 1 from list_members lm where lm.list_id = ${node.list} and lm.contact_id = r.id)`);
  }
  if ('event' in node) {
    ctx.deps.add('event');
    ctx.reads.add(`track:${node.event}`);
    return sure(eventSql(ctx, node));
  }
  if ('page' in node) {
    ctx.deps.add('event');
    ctx.reads.add('page');
    return sure(pageSql(ctx, node));
  }
  if ('touchpoint' in node) {
    ctx.deps.add('event');
    ctx.reads.add('touchpoint');
    return sure(touchpointSql(ctx, node));
  }
  if (node.op === 'within_last') {
    timeEdge(
      ctx,
      (from, to) => sql`select r.id as contact_id from contacts r
        where r.workspace_id = ${ctx.workspaceId} and r.deleted_at is null
        and ${fieldEdge(contactDef, ctx.contactFields, node, from, to)}`,
    );
  }
  return fieldSql(contactDef, ctx.contactFields, node, ctx.now);
}
