import type { CoreField } from '../../../../src/modules/crm/crm-objects.js';
import type { CustomField } from '../../../../src/modules/crm/custom-fields.schema.js';
import type { FieldType } from '../../../../src/modules/crm/field-types.js';
import type { CrmRecord, RecordKind } from './record-kinds.js';

/** How a field's values look and are picked: a value type, or a reference to a user or an account. */
export type FieldKind = FieldType | 'owner' | 'account' | 'timestamp';

/**
 * One field of a record as the list, filters, forms and timeline see it: a core field (`email`),
 * a custom field (`custom.<key>`) or a system timestamp (`createdAt`). The key is the one the API
 * takes in `sort`, `filter` and `columns`.
 */
export interface FieldInfo {
  key: string;
  label: string;
  kind: FieldKind;
  options: readonly string[];
  currency: string | null;
  required: boolean;
  core?: CoreField;
  custom?: CustomField;
  /** Created and updated: shown and filterable, never edited. */
  system: boolean;
}

const systemFields: FieldInfo[] = [
  { key: 'createdAt', label: 'Created', kind: 'timestamp', options: [], currency: null, required: false, system: true },
  { key: 'updatedAt', label: 'Updated', kind: 'timestamp', options: [], currency: null, required: false, system: true },
];

function fromCore(kind: RecordKind, f: CoreField): FieldInfo {
  return {
    key: f.key,
    label: f.label,
    kind: f.ref === 'user' ? 'owner' : f.ref === 'account' ? 'account' : f.type,
    options: [],
    currency: null,
    required: kind.def.required.includes(f.key),
    core: f,
    system: false,
  };
}

function fromCustom(f: CustomField): FieldInfo {
  return {
    key: `custom.${f.key}`,
    label: f.label,
    kind: f.type,
    options: f.options,
    currency: f.currency,
    required: f.required,
    custom: f,
    system: false,
  };
}

export interface FieldCatalog {
  all: FieldInfo[];
  core: FieldInfo[];
  custom: FieldInfo[];
  system: FieldInfo[];
  /** Contacts' data-quality facts (`quality.<key>`): filters only, never columns or form fields. */
  quality: FieldInfo[];
  byKey: Map<string, FieldInfo>;
  get: (key: string) => FieldInfo | undefined;
  /** A label even for a field that no longer exists (a deleted custom field in the timeline). */
  label: (key: string) => string;
}

const qualityFact = (key: string, label: string, kind: FieldKind): FieldInfo => ({
  key: `quality.${key}`,
  label,
  kind,
  options: [],
  currency: null,
  required: false,
  system: true,
});

/**
 * The `quality.*` fields a contact list filters on (src/modules/quality/quality-rules.ts
 * qualityField): the Data quality screen's problems open the list with one of these filters.
 */
const qualityFields: FieldInfo[] = [
  qualityFact('score', 'Quality score', 'number'),
  qualityFact('completeness', 'Completeness', 'number'),
  qualityFact('validity', 'Validity', 'number'),
  qualityFact('lastActivityAt', 'Last activity', 'timestamp'),
  qualityFact('jobChangedAt', 'Job changed', 'timestamp'),
  ...[
    ['missingEmail', 'Email missing'],
    ['missingFirstName', 'First name missing'],
    ['missingLastName', 'Last name missing'],
    ['missingPhone', 'Phone missing'],
    ['missingTitle', 'Job title missing'],
    ['missingCompany', 'Company missing'],
    ['missingCountry', 'Country missing'],
    ['noAccount', 'No account'],
    ['noOwner', 'No owner'],
    ['invalidEmail', 'Email not valid'],
    ['emailTypo', 'Email domain mistyped'],
    ['disposableEmail', 'Disposable email'],
    ['phoneUnreadable', 'Phone unreadable'],
    ['countryUnreadable', 'Country unreadable'],
    ['bounced', 'Email bounced'],
  ].map(([key = '', label = '']) => qualityFact(key, label, 'boolean')),
];

export function buildCatalog(kind: RecordKind, customFields: readonly CustomField[]): FieldCatalog {
  const core = kind.def.fields.map((f) => fromCore(kind, f));
  const custom = [...customFields].sort((a, b) => a.position - b.position).map(fromCustom);
  const all = [...core, ...custom, ...systemFields];
  const quality = kind.object === 'contact' ? qualityFields : [];
  const byKey = new Map([...all, ...quality].map((f) => [f.key, f]));
  return {
    all,
    core,
    custom,
    system: systemFields,
    quality,
    byKey,
    get: (key) => byKey.get(key),
    label: (key) => {
      const f = byKey.get(key);
      if (f) return f.label;
      if (key.startsWith('externalIds.')) return key.slice(12);
      if (key.startsWith('custom.')) return humanise(key.slice(7));
      if (key.startsWith('traits.')) return `Trait ${key.slice(7)}`;
      return humanise(key);
    },
  };
}

function humanise(key: string): string {
  const words = key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A record's value for a field key. */
export function valueOf(record: CrmRecord, key: string): unknown {
  if (key.startsWith('custom.')) return record.custom[key.slice(7)] ?? null;
  return record[key] ?? null;
}

/** Whether a value counts as empty (shown as an em dash). */
export function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

/** Multi-select values cannot be sorted; everything else can. */
export function isSortable(f: FieldInfo): boolean {
  return f.kind !== 'multiselect';
}
