import type { ObjectDef } from '../crm/crm-objects.js';
import type { CustomField } from '../crm/custom-fields.schema.js';
import { PHONE_RE, type FieldType } from '../crm/field-types.js';
import { domainSchema } from '../crm/records.schema.js';
import { restoreFormula } from './csv-safety.js';
import {
  ACCOUNT_HEADER_SYNONYMS,
  CONTACT_HEADER_SYNONYMS,
  normaliseHeader,
  suggestMapping,
  type MappingSuggestion,
} from './header-mapping.js';
import {
  cutAt,
  parseBooleanCell,
  parseCurrencyCell,
  parseDateCell,
  parseDateTimeCell,
  parseEmailCell,
  parseMultiSelectCell,
  parseNumberCell,
  parseSelectCell,
  parseUrlCell,
  type DateFormat,
  type ParseResult,
} from './value-parsers.js';

/**
 * Where a CSV column can go: a core field (`email`), a custom field (`custom.<key>`), an external
 * id (`externalIds.<name>`), a trait (`traits.<name>`, contacts), or `ownerEmail` (resolved to a
 * Keel user). These keys are also the headers `keel export` writes, so an export imports back as is.
 */
export interface ImportTarget {
  key: string;
  label: string;
  type: FieldType;
  options?: readonly string[];
  maxLength?: number;
  required: boolean;
  group: 'core' | 'custom' | 'external' | 'trait' | 'owner';
}

const DEFAULT_EXTERNAL = ['crm_id', 'map_id'];
const CONTACT_TRAITS: Array<[string, string]> = [
  ['mobilePhone', 'Mobile phone'],
  ['state', 'State / region'],
  ['website', 'Website'],
];
/** Columns `keel export` writes that an import ignores (ids and times belong to this install). */
export const READ_ONLY_COLUMNS = new Set(['id', 'createdAt', 'updatedAt', 'deletedAt', 'version']);

export function importTargets(def: ObjectDef, fields: readonly CustomField[], externalNames: readonly string[] = []): ImportTarget[] {
  const out: ImportTarget[] = [];
  for (const f of def.fields) {
    if (f.ref) continue;
    out.push({ key: f.key, label: f.label, type: f.type, maxLength: f.maxLength, required: def.required.includes(f.key), group: 'core' });
  }
  out.push({ key: 'ownerEmail', label: 'Owner (email of a Keel user)', type: 'email', required: false, group: 'owner' });
  for (const f of fields) {
    out.push({ key: `custom.${f.key}`, label: f.label, type: f.type, options: f.options, required: f.required, group: 'custom' });
  }
  for (const name of new Set([...DEFAULT_EXTERNAL, ...externalNames])) {
    out.push({
      key: `externalIds.${name}`,
      label: `External id: ${name}`,
      type: 'text',
      maxLength: 200,
      required: false,
      group: 'external',
    });
  }
  if (def.hasTraits) {
    for (const [k, label] of CONTACT_TRAITS)
      out.push({ key: `traits.${k}`, label: `${label} (trait)`, type: 'text', maxLength: 2000, required: false, group: 'trait' });
  }
  return out;
}

/** The synonym table's keys that are not field keys here. */
const SYNONYM_ALIASES: Record<string, string> = {
  crmId: 'externalIds.crm_id',
  mapId: 'externalIds.map_id',
  mobilePhone: 'traits.mobilePhone',
  state: 'traits.state',
  website: 'traits.website',
};

/**
 * Suggested target per column: a header that is exactly a target key (what `keel export` writes)
 * maps to it; read-only export columns map to nothing; the rest go through the synonym tables of
 * HubSpot, Salesforce, Marketo, Mautic and Pipedrive exports and fuzzy matching.
 */
export function suggestTargets(def: ObjectDef, headers: readonly string[], targets: readonly ImportTarget[]): MappingSuggestion[] {
  const table = def.object === 'contact' ? CONTACT_HEADER_SYNONYMS : ACCOUNT_HEADER_SYNONYMS;
  const byTarget = new Map<string, string[]>();
  for (const [k, syns] of Object.entries(table)) {
    const target = SYNONYM_ALIASES[k] ?? (def.object === 'account' && k === 'crmId' ? 'externalIds.crm_id' : k);
    byTarget.set(target, [...syns]);
  }
  const exact = new Map<number, string>();
  const taken = new Set<string>();
  headers.forEach((h, i) => {
    const t = targets.find((x) => x.key === h.trim());
    if (t && !taken.has(t.key)) {
      exact.set(i, t.key);
      taken.add(t.key);
    }
  });
  const rest = headers.map((h, i) => (exact.has(i) || READ_ONLY_COLUMNS.has(h.trim()) ? '\u0000' : h));
  const mappable = targets
    .filter((t) => !taken.has(t.key))
    .map((t) => ({ key: t.key, label: t.group === 'custom' ? t.label : t.label.replace(/ \(.*\)$/, ''), synonyms: byTarget.get(t.key) }));
  const suggested = suggestMapping(rest, mappable);
  return headers.map((h, i) => {
    const e = exact.get(i);
    if (e) return { column: h, field: e, confidence: 'exact' };
    const s = suggested[i];
    return s && rest[i] !== '\u0000' ? { ...s, column: h } : { column: h, field: null, confidence: 'none' };
  });
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const bad = (reason: string): ParseResult<never> => ({ ok: false, reason });

/**
 * One cell to the value stored for a target, or a reason for the error file. A blank cell means
 * "no value here" (it never clears a stored value); the caller skips it before calling this.
 */
export function parseCell(target: ImportTarget, raw: string, dateFormat: DateFormat | 'auto'): ParseResult<unknown> {
  const v = restoreFormula(raw.trim());
  const label = target.label;
  if (target.key === 'domain') {
    const r = domainSchema.safeParse(v);
    return r.success ? ok(r.data) : bad(`${label}: "${clip(v)}" is not a domain like example.com`);
  }
  if (target.key === 'revenue') {
    const r = parseNumberCell(v);
    return r.ok && Number.isSafeInteger(Math.round(r.value)) && r.value >= 0
      ? ok(Math.round(r.value))
      : bad(`${label}: "${clip(v)}" is not an amount`);
  }
  let r: ParseResult<unknown>;
  switch (target.type) {
    case 'text':
      r =
        target.maxLength && v.length > target.maxLength
          ? bad(`is longer than ${target.maxLength} characters`)
          : v.length > 10_000
            ? bad('is longer than 10,000 characters')
            : ok(v);
      break;
    case 'email':
      r = parseEmailCell(v);
      break;
    case 'phone':
      r = PHONE_RE.test(v) ? ok(v) : bad(`"${clip(v)}" is not a phone number`);
      break;
    case 'number':
      r = parseNumberCell(v);
      break;
    case 'boolean':
      r = parseBooleanCell(v);
      break;
    case 'date':
      r = parseDateCell(v, dateFormat);
      break;
    case 'datetime':
      r = parseDateTimeCell(v, dateFormat);
      break;
    case 'select':
      r = parseSelectCell(v, target.options ?? [], label);
      break;
    case 'multiselect':
      r = parseMultiSelectCell(v, target.options ?? [], label);
      break;
    case 'url':
      r = parseUrlCell(v);
      break;
    case 'currency':
      r = parseCurrencyCell(v);
      break;
  }
  if (!r.ok && !r.reason.includes(label)) return bad(`${label}: ${r.reason}`);
  return r;
}

function clip(v: string): string {
  return v.length > 60 ? `${cutAt(v, 57)}...` : v;
}

export { normaliseHeader };
