import type { ObjectName } from '../../../../src/modules/crm/field-types.js';
import { ACCOUNT_HEADER_SYNONYMS, CONTACT_HEADER_SYNONYMS, normaliseHeader } from '../../../../src/modules/imports/header-mapping.js';
import type { ImportTarget } from './import-queries.js';

export type Confidence = 'exact' | 'synonym' | 'fuzzy';

export const confidenceLabels: Record<Confidence, { label: string; hint: string; tone: 'success' | 'accent' | 'warning' }> = {
  exact: { label: 'Exact match', hint: 'The header is the field’s name or key.', tone: 'success' },
  synonym: { label: 'Known header', hint: 'The header a CRM or marketing tool exports for this field.', tone: 'accent' },
  fuzzy: { label: 'Close match', hint: 'The header only resembles the field’s name: check the sample values.', tone: 'warning' },
};

/** The synonym table's entry for a target: traits and external ids are listed there by a short name. */
function synonymKey(key: string): string {
  if (key.startsWith('traits.')) return key.slice('traits.'.length);
  if (key.startsWith('externalIds.')) return key.slice('externalIds.'.length).replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return key;
}

/**
 * How sure the server's suggestion is, told the way the server decides it (header-mapping.ts):
 * the field's own key or label is an exact match, a header from the CRM export tables is a
 * synonym, and anything else it can only have matched by spelling (fuzzy).
 */
export function suggestionConfidence(object: ObjectName, header: string, target: ImportTarget): Confidence {
  const name = normaliseHeader(header);
  const label = target.group === 'custom' ? target.label : target.label.replace(/ \(.*\)$/, '');
  if (header.trim() === target.key || name === normaliseHeader(target.key) || name === normaliseHeader(label)) return 'exact';
  const table = object === 'contact' ? CONTACT_HEADER_SYNONYMS : ACCOUNT_HEADER_SYNONYMS;
  const synonyms = table[synonymKey(target.key)] ?? [];
  if (synonyms.some((s) => normaliseHeader(s) === name)) return 'synonym';
  return 'fuzzy';
}

/** A trait name for a column kept as a trait: "Fav Colour" -> favColour (what the API accepts). */
export function traitName(header: string): string {
  const words = header
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  const camel = words.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1))).join('');
  const name = /^[A-Za-z]/.test(camel) ? camel : `column${camel}`;
  return name.slice(0, 63);
}
