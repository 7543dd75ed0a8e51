import type { Filter } from '../../../../src/modules/crm/records.schema.js';
import type { FieldInfo, FieldKind } from './fields.js';

export type FilterOp = Filter['op'];

/** How an operator reads in a sentence ("Country is Germany"), and what value it needs. */
interface OpInfo {
  label: string;
  value: 'one' | 'many' | 'none';
}

const text: FilterOp[] = ['contains', 'eq', 'neq', 'starts_with', 'not_contains', 'is_set', 'is_not_set'];
const ordered: FilterOp[] = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'is_set', 'is_not_set'];
const when: FilterOp[] = ['gte', 'lt', 'is_set', 'is_not_set'];

const opsByKind: Record<FieldKind, FilterOp[]> = {
  text,
  email: text,
  url: text,
  phone: text,
  number: ordered,
  currency: ordered,
  date: ['eq', 'gte', 'lt', 'is_set', 'is_not_set'],
  datetime: when,
  timestamp: ['gte', 'lt'],
  boolean: ['eq', 'is_set', 'is_not_set'],
  select: ['in', 'not_in', 'is_set', 'is_not_set'],
  multiselect: ['has_any', 'has_all', 'has_none', 'is_set', 'is_not_set'],
  owner: ['eq', 'neq', 'is_set', 'is_not_set'],
  account: ['eq', 'neq', 'is_set', 'is_not_set'],
};

const dateLike = new Set<FieldKind>(['date', 'datetime', 'timestamp']);

export function opsFor(f: FieldInfo): FilterOp[] {
  return opsByKind[f.kind];
}

export function opInfo(op: FilterOp, f: FieldInfo | undefined): OpInfo {
  const isDate = f ? dateLike.has(f.kind) : false;
  switch (op) {
    case 'eq':
      return { label: isDate ? 'is on' : 'is', value: 'one' };
    case 'neq':
      return { label: 'is not', value: 'one' };
    case 'contains':
      return { label: 'contains', value: 'one' };
    case 'not_contains':
      return { label: 'does not contain', value: 'one' };
    case 'starts_with':
      return { label: 'starts with', value: 'one' };
    case 'in':
      return { label: 'is any of', value: 'many' };
    case 'not_in':
      return { label: 'is none of', value: 'many' };
    case 'gt':
      return { label: isDate ? 'is after' : 'is more than', value: 'one' };
    case 'gte':
      return { label: isDate ? 'is on or after' : 'is at least', value: 'one' };
    case 'lt':
      return { label: isDate ? 'is before' : 'is less than', value: 'one' };
    case 'lte':
      return { label: isDate ? 'is on or before' : 'is at most', value: 'one' };
    case 'is_set':
      return { label: 'is known', value: 'none' };
    case 'is_not_set':
      return { label: 'is empty', value: 'none' };
    case 'has_any':
      return { label: 'has any of', value: 'many' };
    case 'has_all':
      return { label: 'has all of', value: 'many' };
    case 'has_none':
      return { label: 'has none of', value: 'many' };
  }
}
