import type { fieldOps, touchpointFields } from '../../../../src/modules/segments/segments.schema.js';
import type { FieldCatalog, FieldKind } from '../records/fields.js';

export type FieldOp = (typeof fieldOps)[number];

/** What a condition's value looks like for an operator: none, one, a list, a range or a number of days. */
export type ValueShape = 'none' | 'one' | 'many' | 'range' | 'days';

/**
 * One field a segment condition can test, keyed as the definition names it: a core key (`email`),
 * a custom field's bare key (`seats`), `createdAt`/`updatedAt`, or `traits.<key>` (free text).
 */
export interface SegmentField {
  key: string;
  label: string;
  kind: FieldKind;
  options: readonly string[];
  currency: string | null;
  group: 'Fields' | 'Custom fields' | 'Record';
}

export interface SegmentFieldCatalog {
  fields: SegmentField[];
  get: (key: string) => SegmentField | undefined;
}

/** The record screens' catalog, re-keyed the way a segment definition names fields. */
export function segmentCatalog(c: FieldCatalog): SegmentFieldCatalog {
  const fields: SegmentField[] = [
    ...c.core.map((f) => ({ ...pick(f), group: 'Fields' as const })),
    ...c.custom.map((f) => ({ ...pick(f), key: f.custom?.key ?? f.key.replace(/^custom\./, ''), group: 'Custom fields' as const })),
    ...c.system.map((f) => ({ ...pick(f), group: 'Record' as const })),
  ];
  const byKey = new Map(fields.map((f) => [f.key, f]));
  return {
    fields,
    get: (key) => {
      if (key.startsWith('traits.')) return traitField(key);
      return byKey.get(key) ?? byKey.get(key.replace(/^custom\./, ''));
    },
  };
}

function pick(f: { key: string; label: string; kind: FieldKind; options: readonly string[]; currency: string | null }) {
  return { key: f.key, label: f.label, kind: f.kind, options: f.options, currency: f.currency };
}

/** A trait is whatever tracking sent: compared as text. */
export function traitField(key: string): SegmentField {
  return { key, label: `Trait ${key.slice(7)}`, kind: 'text', options: [], currency: null, group: 'Fields' };
}

const text: FieldOp[] = ['eq', 'neq', 'in', 'nin', 'contains', 'starts_with', 'is_empty', 'is_not_empty'];
const number: FieldOp[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'is_empty'];
const date: FieldOp[] = ['before', 'after', 'between', 'within_last', 'is_empty'];
const ref: FieldOp[] = ['eq', 'neq', 'is_empty', 'is_not_empty'];

const opsByKind: Record<FieldKind, FieldOp[]> = {
  text,
  email: text,
  url: text,
  phone: text,
  number,
  currency: number,
  date,
  datetime: date,
  timestamp: date.filter((o) => o !== 'is_empty'),
  boolean: ['eq'],
  select: ['eq', 'neq', 'in', 'nin'],
  multiselect: ['in', 'nin'],
  owner: ref,
  account: ref,
};

export function opsFor(f: SegmentField | undefined): FieldOp[] {
  return f ? opsByKind[f.kind] : text;
}

const labels: Record<FieldOp, string> = {
  eq: 'is',
  neq: 'is not',
  in: 'is any of',
  nin: 'is none of',
  contains: 'contains',
  starts_with: 'starts with',
  gt: 'is more than',
  gte: 'is at least',
  lt: 'is less than',
  lte: 'is at most',
  between: 'is between',
  is_empty: 'is empty',
  is_not_empty: 'is not empty',
  within_last: 'is in the last',
  before: 'is before',
  after: 'is after',
};

export function opLabel(op: FieldOp, f: SegmentField | undefined): string {
  if (f?.kind === 'multiselect') return op === 'in' ? 'has any of' : op === 'nin' ? 'has none of' : labels[op];
  return labels[op];
}

export function valueShape(op: FieldOp): ValueShape {
  switch (op) {
    case 'is_empty':
    case 'is_not_empty':
      return 'none';
    case 'in':
    case 'nin':
      return 'many';
    case 'between':
      return 'range';
    case 'within_last':
      return 'days';
    default:
      return 'one';
  }
}

export const isDateKind = (k: FieldKind) => k === 'date' || k === 'datetime' || k === 'timestamp';

/** How many times an event must have happened. */
export const countOps = ['gte', 'eq', 'gt', 'lte', 'lt'] as const;
export type CountOp = (typeof countOps)[number];
export const countOpLabels: Record<CountOp, string> = {
  gte: 'at least',
  eq: 'exactly',
  gt: 'more than',
  lte: 'at most',
  lt: 'fewer than',
};

/** Operators on an event's properties. */
export const whereOps = ['eq', 'neq', 'in', 'contains', 'gt', 'gte', 'lt', 'lte'] as const;
export type WhereOp = (typeof whereOps)[number];
export const whereOpLabels: Record<WhereOp, string> = {
  eq: 'is',
  neq: 'is not',
  in: 'is any of',
  contains: 'contains',
  gt: 'is more than',
  gte: 'is at least',
  lt: 'is less than',
  lte: 'is at most',
};

/** A touchpoint's source fields (UTM and channel) and the operators on them. */
export type TouchpointField = (typeof touchpointFields)[number];
export const touchpointFieldLabels: Record<TouchpointField, string> = {
  channel: 'channel',
  source: 'source (utm_source)',
  medium: 'medium (utm_medium)',
  campaign: 'campaign (utm_campaign)',
  term: 'term (utm_term)',
  content: 'content (utm_content)',
};
export const touchpointOps = ['eq', 'neq', 'in', 'contains', 'starts_with', 'is_empty', 'is_not_empty'] as const;
export type TouchpointOp = (typeof touchpointOps)[number];
export const touchpointOpLabels: Record<TouchpointOp, string> = {
  eq: 'is',
  neq: 'is not',
  in: 'is any of',
  contains: 'contains',
  starts_with: 'starts with',
  is_empty: 'is empty',
  is_not_empty: 'is not empty',
};
