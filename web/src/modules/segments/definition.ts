import { consentConditionSchema, purposeSchema } from '../../../../src/modules/consent/consent.schema.js';
import { fieldOps, touchpointFields } from '../../../../src/modules/segments/segments.schema.js';
import { minorToInput, parseMoney } from '../records/money.js';
import {
  countOps,
  isDateKind,
  opsFor,
  valueShape,
  whereOps,
  type CountOp,
  type FieldOp,
  type SegmentField,
  type SegmentFieldCatalog,
  touchpointOps,
  type TouchpointField,
  type TouchpointOp,
  type WhereOp,
} from './segment-fields.js';

/**
 * The visual builder's model of a segment definition. The API's JSON tree (`{"all": [...]}`,
 * `{"not": {...}}`, conditions) is what is saved; the builder edits this richer form instead:
 * every node has an id (stable React keys while nodes move), `not` is a flag on the node it
 * negates, and values are kept as the text people typed until the definition is built, so a
 * half-typed number never jumps or disappears.
 */
interface NodeBase {
  id: string;
  negated: boolean;
}

export interface GroupNode extends NodeBase {
  kind: 'group';
  mode: 'all' | 'any';
  children: BuilderNode[];
}

export interface ValueDraft {
  one: string;
  /** Free-typed list values, comma separated. */
  many: string;
  /** Values ticked from a select field's options. */
  picked: string[];
  from: string;
  to: string;
  days: string;
}

export interface FieldNode extends NodeBase {
  kind: 'field';
  /** A contact field, or a field of the contact's account (`{"account": {...}}`). */
  target: 'contact' | 'account';
  field: string;
  op: FieldOp;
  value: ValueDraft;
}

export interface WhereDraft {
  id: string;
  property: string;
  op: WhereOp;
  value: string;
}

export interface EventNode extends NodeBase {
  kind: 'event';
  event: string;
  countOp: CountOp;
  count: string;
  /** Empty for "ever". */
  withinDays: string;
  where: WhereDraft[];
}

export interface RefNode extends NodeBase {
  kind: 'segment' | 'list';
  ref: string;
}

/** Page visits whose URL matches a wildcard pattern. */
export interface PageNode extends NodeBase {
  kind: 'page';
  url: string;
  countOp: CountOp;
  count: string;
  withinDays: string;
}

/** Where the contact's visits came from: any touchpoint, or the first or last one. */
export interface TouchpointNode extends NodeBase {
  kind: 'touchpoint';
  which: 'any' | 'first' | 'last';
  field: TouchpointField;
  op: TouchpointOp;
  value: string;
  withinDays: string;
}

/** The consent states a segment can test, as the API names them (`granted` means effective). */
export const consentStates = consentConditionSchema.shape.consent.shape.state.options;
export type ConsentState = (typeof consentStates)[number];

/** A contact's consent for one purpose (`{"consent": {"purpose", "state"}}`). */
export interface ConsentNode extends NodeBase {
  kind: 'consent';
  /** A lower-case key: email_marketing, tracking, profiling or one of the workspace's own. */
  purpose: string;
  state: ConsentState;
}

export type BuilderNode = GroupNode | FieldNode | EventNode | PageNode | TouchpointNode | RefNode | ConsentNode;
export type ConditionKind = 'field' | 'account' | 'event' | 'page' | 'touchpoint' | 'consent' | 'segment' | 'list';

let seq = 0;
export const newId = (): string => `n${++seq}`;

export const emptyValue = (): ValueDraft => ({ one: '', many: '', picked: [], from: '', to: '', days: '' });

export function newGroup(mode: 'all' | 'any' = 'all', children: BuilderNode[] = []): GroupNode {
  return { id: newId(), kind: 'group', mode, negated: false, children };
}

export function newCondition(kind: ConditionKind, catalogs: Catalogs): BuilderNode {
  switch (kind) {
    case 'field':
    case 'account': {
      const target = kind === 'account' ? 'account' : 'contact';
      const first = catalogs[target].fields[0];
      return {
        id: newId(),
        kind: 'field',
        target,
        negated: false,
        field: first?.key ?? '',
        op: opsFor(first)[0] ?? 'eq',
        value: emptyValue(),
      };
    }
    case 'event':
      return { id: newId(), kind: 'event', negated: false, event: '', countOp: 'gte', count: '1', withinDays: '30', where: [] };
    case 'page':
      return { id: newId(), kind: 'page', negated: false, url: '', countOp: 'gte', count: '1', withinDays: '30' };
    case 'touchpoint':
      return { id: newId(), kind: 'touchpoint', negated: false, which: 'any', field: 'source', op: 'eq', value: '', withinDays: '' };
    case 'consent':
      return { id: newId(), kind: 'consent', negated: false, purpose: 'email_marketing', state: 'granted' };
    case 'segment':
    case 'list':
      return { id: newId(), kind, negated: false, ref: '' };
  }
}

export interface Catalogs {
  contact: SegmentFieldCatalog;
  account: SegmentFieldCatalog;
}

export function fieldOf(node: FieldNode, catalogs: Catalogs): SegmentField | undefined {
  return catalogs[node.target].get(node.field);
}

// ---------- Tree edits (immutable) ----------

export function updateNode(root: GroupNode, id: string, fn: (n: BuilderNode) => BuilderNode | null): GroupNode {
  const walk = (n: BuilderNode): BuilderNode | null => {
    if (n.id === id) return fn(n);
    if (n.kind !== 'group') return n;
    const children = n.children.map(walk).filter((c): c is BuilderNode => c !== null);
    return { ...n, children };
  };
  const next = walk(root);
  return next && next.kind === 'group' ? next : newGroup();
}

export function countConditions(n: BuilderNode): number {
  return n.kind === 'group' ? n.children.reduce((s, c) => s + countConditions(c), 0) : 1;
}

// ---------- Builder -> definition ----------

export type Definition = unknown;

export interface BuildResult {
  definition: Definition;
  /** What is missing or wrong, by node id; the definition is not sent while any remain. */
  problems: Map<string, string>;
}

function toNumber(s: string): number | null {
  const n = Number(s.trim().replace(/[\s,]/g, ''));
  return s.trim() !== '' && Number.isFinite(n) ? n : null;
}

type Scalar = string | number | boolean;

/** One typed value for a field, or an error message. */
function scalarFor(raw: string, field: SegmentField | undefined): { value: Scalar } | { error: string } {
  const s = raw.trim();
  if (!s) return { error: 'Enter a value' };
  switch (field?.kind) {
    case 'number': {
      const n = toNumber(s);
      return n === null ? { error: 'Enter a number' } : { value: n };
    }
    case 'currency': {
      const m = parseMoney(s, field.currency);
      return 'minor' in m ? { value: m.minor } : { error: m.error };
    }
    case 'boolean':
      return s === 'true' || s === 'false' ? { value: s === 'true' } : { error: 'Choose yes or no' };
    default:
      return { value: s };
  }
}

function splitList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function fieldValue(node: FieldNode, field: SegmentField | undefined): { value?: unknown } | { error: string } {
  const v = node.value;
  switch (valueShape(node.op)) {
    case 'none':
      return {};
    case 'one':
      return scalarFor(v.one, field);
    case 'many': {
      const items = field?.options.length ? v.picked : splitList(v.many);
      if (items.length === 0) return { error: field?.options.length ? 'Choose at least one value' : 'Enter one or more values' };
      const out: Scalar[] = [];
      for (const item of items) {
        const r = scalarFor(item, field);
        if ('error' in r) return { error: `${item}: ${r.error.toLowerCase()}` };
        out.push(r.value);
      }
      return { value: out };
    }
    case 'range': {
      const a = scalarFor(v.from, field);
      const b = scalarFor(v.to, field);
      if ('error' in a) return { error: `From: ${a.error.toLowerCase()}` };
      if ('error' in b) return { error: `To: ${b.error.toLowerCase()}` };
      return { value: [a.value, b.value] };
    }
    case 'days': {
      const n = toNumber(v.days);
      return n === null || !Number.isInteger(n) || n < 1 ? { error: 'Enter a number of days' } : { value: { days: n } };
    }
  }
}

function withinOf(n: { id: string; withinDays: string }, out: Record<string, unknown>, problems: Map<string, string>): void {
  if (!n.withinDays.trim()) return;
  const days = toNumber(n.withinDays);
  if (days === null || !Number.isInteger(days) || days < 1) problems.set(n.id, 'Enter a number of days, or leave it empty for all time');
  else out.within = { days };
}

function countAndWithin(n: EventNode | PageNode, out: Record<string, unknown>, problems: Map<string, string>): void {
  const count = toNumber(n.count);
  if (count === null || !Number.isInteger(count) || count < 0) problems.set(n.id, 'Enter how many times, 0 or more');
  // "at least once" is what the condition means without a count: leave it out.
  else if (!(n.countOp === 'gte' && count === 1)) out.count = { [n.countOp]: count };
  withinOf(n, out, problems);
}

export function buildDefinition(root: GroupNode, catalogs: Catalogs): BuildResult {
  const problems = new Map<string, string>();
  const wrap = (n: BuilderNode, d: Definition): Definition => (n.negated ? { not: d } : d);

  const build = (n: BuilderNode): Definition => {
    switch (n.kind) {
      case 'group':
        return wrap(n, { [n.mode]: n.children.map(build) });
      case 'field': {
        const field = fieldOf(n, catalogs);
        if (!n.field || n.field === 'traits.') problems.set(n.id, 'Choose a field');
        const r = fieldValue(n, field);
        if ('error' in r) problems.set(n.id, r.error);
        const cond = { field: n.field, op: n.op, ...('value' in r && r.value !== undefined && { value: r.value }) };
        return wrap(n, n.target === 'account' ? { account: cond } : cond);
      }
      case 'page': {
        const out: Record<string, unknown> = { page: { url: n.url.trim() } };
        if (!n.url.trim()) problems.set(n.id, 'Enter a URL or a pattern such as */pricing*');
        countAndWithin(n, out, problems);
        return wrap(n, out);
      }
      case 'touchpoint': {
        const tp: Record<string, unknown> = { field: n.field, op: n.op };
        if (n.op === 'in') {
          const items = splitList(n.value);
          if (!items.length) problems.set(n.id, 'Enter one or more values');
          tp.value = items;
        } else if (n.op !== 'is_empty' && n.op !== 'is_not_empty') {
          if (!n.value.trim()) problems.set(n.id, 'Enter a value');
          tp.value = n.value.trim();
        }
        const out: Record<string, unknown> = { touchpoint: tp };
        if (n.which !== 'any') out.which = n.which;
        withinOf(n, out, problems);
        return wrap(n, out);
      }
      case 'event': {
        const out: Record<string, unknown> = { event: n.event.trim() };
        if (!n.event.trim()) problems.set(n.id, 'Enter an event name');
        countAndWithin(n, out, problems);
        if (n.where.length) {
          out.where = n.where.map((w) => {
            if (!w.property.trim()) problems.set(n.id, 'Name the property');
            let value: Scalar | Scalar[] = w.value.trim();
            if (w.op === 'in') value = splitList(w.value);
            else if (['gt', 'gte', 'lt', 'lte'].includes(w.op)) {
              const num = toNumber(w.value);
              if (num === null) problems.set(n.id, `${w.property || 'The property'} ${w.op}: enter a number`);
              value = num ?? 0;
            } else if (!value) problems.set(n.id, `Enter a value for ${w.property || 'the property'}`);
            return { property: w.property.trim(), op: w.op, value };
          });
        }
        return wrap(n, out);
      }
      case 'consent': {
        const purpose = n.purpose.trim();
        if (!purpose) problems.set(n.id, 'Name the purpose');
        else {
          const check = purposeSchema.safeParse(purpose);
          if (!check.success) problems.set(n.id, check.error.issues[0]?.message ?? 'Not a purpose key');
        }
        return wrap(n, { consent: { purpose, state: n.state } });
      }
      case 'segment':
      case 'list':
        if (!n.ref) problems.set(n.id, n.kind === 'segment' ? 'Choose a segment' : 'Choose a list');
        return wrap(n, { [n.kind]: n.ref });
    }
  };
  return { definition: build(root), problems };
}

// ---------- Definition -> builder ----------

/** Thrown for JSON the visual builder has no way to show (it stays editable as JSON). */
export class NotVisual extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const keysAre = (o: Record<string, unknown>, allowed: string[]) => Object.keys(o).every((k) => allowed.includes(k));

function draftScalar(v: unknown, field: SegmentField | undefined): string {
  if (field?.kind === 'currency' && typeof v === 'number') return minorToInput(v, field.currency);
  if (field && isDateKind(field.kind) && typeof v === 'string') return v.slice(0, 10);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new NotVisual(`The value ${JSON.stringify(v)} cannot be shown in the visual builder`);
}

function fieldNodeFrom(c: Record<string, unknown>, target: 'contact' | 'account', catalogs: Catalogs, negated: boolean): FieldNode {
  if (!keysAre(c, ['field', 'op', 'value']) || typeof c.field !== 'string' || typeof c.op !== 'string') {
    throw new NotVisual('A condition needs "field" and "op"');
  }
  if (!(fieldOps as readonly string[]).includes(c.op)) throw new NotVisual(`"${c.op}" is not an operator`);
  const field = catalogs[target].get(c.field);
  const op = c.op as FieldOp;
  const value = emptyValue();
  const v = c.value;
  switch (valueShape(op)) {
    case 'one':
      value.one = v === undefined ? '' : draftScalar(v, field);
      break;
    case 'many': {
      const items = (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => draftScalar(x, field));
      if (field?.options.length) value.picked = items;
      else value.many = items.join(', ');
      break;
    }
    case 'range':
      if (Array.isArray(v)) {
        value.from = v[0] === undefined ? '' : draftScalar(v[0], field);
        value.to = v[1] === undefined ? '' : draftScalar(v[1], field);
      }
      break;
    case 'days':
      if (isObj(v) && typeof v.days === 'number') value.days = String(v.days);
      break;
    case 'none':
      break;
  }
  // A custom field may be written `custom.seats` or `seats`: the builder uses the bare key.
  const key = field && !c.field.startsWith('traits.') ? field.key : c.field;
  return { id: newId(), kind: 'field', target, negated, field: key, op, value };
}

function countFrom(c: Record<string, unknown>): { countOp: CountOp; count: string } {
  if (c.count === undefined) return { countOp: 'gte', count: '1' };
  if (!isObj(c.count)) throw new NotVisual('"count" must be an object such as {"gte": 2}');
  const entries = Object.entries(c.count);
  const only = entries[0];
  if (entries.length !== 1 || !only || !countOps.includes(only[0] as CountOp)) {
    throw new NotVisual('The visual builder shows one count condition (such as {"gte": 2})');
  }
  return { countOp: only[0] as CountOp, count: String(only[1]) };
}

const withinFrom = (c: Record<string, unknown>) => (isObj(c.within) && typeof c.within.days === 'number' ? String(c.within.days) : '');

function pageNodeFrom(c: Record<string, unknown>, negated: boolean): PageNode {
  if (!keysAre(c, ['page', 'count', 'within']) || !isObj(c.page) || !keysAre(c.page, ['url']) || typeof c.page.url !== 'string') {
    throw new NotVisual('A page condition is {"page": {"url": "..."}}, with "count" and "within" if needed');
  }
  return { id: newId(), kind: 'page', negated, url: c.page.url, ...countFrom(c), withinDays: withinFrom(c) };
}

function touchpointNodeFrom(c: Record<string, unknown>, negated: boolean): TouchpointNode {
  const t = c.touchpoint;
  if (
    !keysAre(c, ['touchpoint', 'which', 'within']) ||
    !isObj(t) ||
    !keysAre(t, ['field', 'op', 'value']) ||
    !touchpointFields.includes(t.field as TouchpointField) ||
    !touchpointOps.includes(t.op as TouchpointOp)
  ) {
    throw new NotVisual('A touchpoint condition is {"touchpoint": {"field", "op", "value"}}, with "which" and "within" if needed');
  }
  const which = c.which === 'first' || c.which === 'last' ? c.which : 'any';
  const value = Array.isArray(t.value) ? t.value.map(String).join(', ') : t.value === undefined ? '' : String(t.value);
  return {
    id: newId(),
    kind: 'touchpoint',
    negated,
    which,
    field: t.field as TouchpointField,
    op: t.op as TouchpointOp,
    value,
    withinDays: withinFrom(c),
  };
}

function eventNodeFrom(c: Record<string, unknown>, negated: boolean): EventNode {
  if (!keysAre(c, ['event', 'count', 'within', 'where']) || typeof c.event !== 'string') {
    throw new NotVisual('The visual builder shows events with "count", "within" and "where" ("since", "first" and "last" are JSON only)');
  }
  const { countOp, count } = countFrom(c);
  const withinDays = withinFrom(c);
  const where = (Array.isArray(c.where) ? c.where : []).map((w): WhereDraft => {
    if (!isObj(w) || typeof w.property !== 'string' || !whereOps.includes(w.op as WhereOp)) {
      throw new NotVisual('Each "where" needs "property", "op" and "value"');
    }
    const value = Array.isArray(w.value) ? w.value.map(String).join(', ') : w.value === undefined ? '' : String(w.value);
    return { id: newId(), property: w.property, op: w.op as WhereOp, value };
  });
  return { id: newId(), kind: 'event', negated, event: c.event, countOp, count, withinDays, where };
}

function consentNodeFrom(d: Record<string, unknown>, negated: boolean): ConsentNode {
  const parsed = consentConditionSchema.safeParse(d);
  if (!parsed.success) {
    throw new NotVisual(
      'A consent condition is {"consent": {"purpose": "email_marketing", "state": "granted"}}, state one of granted, pending, withdrawn, none',
    );
  }
  return { id: newId(), kind: 'consent', negated, ...parsed.data.consent };
}

export function nodeFrom(d: unknown, catalogs: Catalogs, negated = false): BuilderNode {
  if (!isObj(d)) throw new NotVisual('Each part of a definition is a JSON object');
  if ('not' in d) {
    if (!keysAre(d, ['not'])) throw new NotVisual('"not" stands alone in its object');
    return nodeFrom(d.not, catalogs, !negated);
  }
  if ('all' in d || 'any' in d) {
    const mode = 'all' in d ? 'all' : 'any';
    const items = d[mode];
    if (!keysAre(d, [mode]) || !Array.isArray(items)) throw new NotVisual(`"${mode}" takes a list`);
    return { id: newId(), kind: 'group', mode, negated, children: items.map((c) => nodeFrom(c, catalogs)) };
  }
  if ('account' in d) {
    if (!keysAre(d, ['account']) || !isObj(d.account)) throw new NotVisual('"account" takes a condition');
    return fieldNodeFrom(d.account, 'account', catalogs, negated);
  }
  if ('segment' in d || 'list' in d) {
    const kind = 'segment' in d ? 'segment' : 'list';
    if (!keysAre(d, [kind]) || typeof d[kind] !== 'string') throw new NotVisual(`"${kind}" takes an id`);
    return { id: newId(), kind, negated, ref: d[kind] };
  }
  if ('event' in d) return eventNodeFrom(d, negated);
  if ('page' in d) return pageNodeFrom(d, negated);
  if ('touchpoint' in d) return touchpointNodeFrom(d, negated);
  if ('consent' in d) return consentNodeFrom(d, negated);
  if ('field' in d) return fieldNodeFrom(d, 'contact', catalogs, negated);
  throw new NotVisual(`Not a condition the builder knows: ${JSON.stringify(d).slice(0, 80)}`);
}

/** The builder's root is always a group; a lone condition is shown inside "all". */
export function rootFrom(d: unknown, catalogs: Catalogs): GroupNode {
  const n = nodeFrom(d, catalogs);
  return n.kind === 'group' ? n : newGroup('all', [n]);
}
