import { parse } from 'tldts';
import { normaliseCountry } from '../quality/normalise.js';

/**
 * Company names and domains: pure functions shared by the offline provider and lead-to-account
 * matching.
 */

/**
 * Legal-form words dropped from the end of a name before comparing ("Acme GmbH" = "ACME Inc."):
 * common forms in English, German, French, Spanish, Italian, Dutch, Nordic and Asian registers.
 * Dots are removed before this list is read, so "S.A." is "sa" and "B.V." is "bv".
 */
export const LEGAL_SUFFIXES: ReadonlySet<string> = new Set([
  'inc',
  'incorporated',
  'corp',
  'corporation',
  'co',
  'company',
  'ltd',
  'limited',
  'llc',
  'llp',
  'lp',
  'plc',
  'pty',
  'pte',
  'pvt',
  'gmbh',
  'mbh',
  'ag',
  'kg',
  'kgaa',
  'ug',
  'ev',
  'se',
  'sa',
  'sas',
  'sasu',
  'sarl',
  'sca',
  'sl',
  'slu',
  'srl',
  'spa',
  'sc',
  'bv',
  'nv',
  'vof',
  'ab',
  'as',
  'asa',
  'aps',
  'oy',
  'oyj',
  'kk',
  'kft',
  'zrt',
  'sp',
  'zoo',
  'sro',
  'doo',
]);

/**
 * A company name reduced to what identifies it: accents removed, lower case, dots and apostrophes
 * dropped ("S.A.", "McDonald's"), "&" read as "and", other punctuation as spaces, a leading "the"
 * and trailing legal forms removed ("The Acme Company, Inc." -> "acme"). A name that is nothing
 * but legal forms ("Company Ltd") keeps them, so it never becomes empty.
 */
export function normaliseCompanyName(name: string): string {
  const words = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[.'’]/g, '')
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
  let end = words.length;
  while (end > 1 && LEGAL_SUFFIXES.has(words[end - 1] ?? '')) end -= 1;
  let start = 0;
  if (end - start > 1 && words[0] === 'the') start = 1;
  const kept = words.slice(start, end);
  if (kept.length === 1 && LEGAL_SUFFIXES.has(kept[0] ?? '')) return words.join(' ');
  return kept.join(' ');
}

/**
 * A readable company name from a corporate domain: the registrable label, split on hyphens and
 * underscores, each word capitalised ("acme-corp.co.uk" -> "Acme Corp"). A single word of two or
 * three letters is an acronym ("hp.com" -> "HP", "ibm.com" -> "IBM"). Null for what is not a
 * registrable domain (an IP address, "localhost", a bare public suffix).
 */
export function companyNameFromDomain(domain: string): string | null {
  const p = parse(domain.trim().toLowerCase());
  const label = p.domainWithoutSuffix;
  if (p.isIp || !p.domain || !label) return null;
  const words = label.split(/[-_]+/).filter(Boolean);
  if (words.length === 0) return null;
  const [only] = words;
  if (words.length === 1 && only && only.length <= 3 && /^[a-z]+$/.test(only)) return only.toUpperCase();
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

/**
 * Country-code top-level domains that are sold as generic names and say nothing about where a
 * company is (Google treats these as generic: "Generic country-code top-level domains" in its
 * Search Central documentation; plus .ai, .gg, .ly, .sh, .to, .vc, .im and others used the same way).
 */
const GENERIC_CC_TLDS: ReadonlySet<string> = new Set([
  'ac',
  'ad',
  'ai',
  'am',
  'as',
  'bz',
  'cc',
  'cd',
  'co',
  'cx',
  'dj',
  'fm',
  'gg',
  'gl',
  'im',
  'io',
  'la',
  'ly',
  'me',
  'ms',
  'nu',
  'sc',
  'sh',
  'so',
  'sr',
  'st',
  'su',
  'to',
  'tk',
  'tv',
  'vc',
  'ws',
]);

/** The ISO 3166-1 alpha-2 country a domain's country-code TLD names ("acme.co.uk" -> GB), or null. */
export function countryFromDomain(domain: string): string | null {
  const suffix = parse(domain.trim().toLowerCase()).publicSuffix;
  if (!suffix) return null;
  const tld = suffix.slice(suffix.lastIndexOf('.') + 1);
  if (tld.length !== 2 || GENERIC_CC_TLDS.has(tld)) return null;
  const c = normaliseCountry(tld);
  return c.problem ? null : c.value;
}

/** The registrable domain of an email address or host ("jo@uk.acme.com" -> "acme.com"), or null. */
export function registrableDomain(emailOrHost: string): string | null {
  const host = emailOrHost.slice(emailOrHost.lastIndexOf('@') + 1).toLowerCase();
  return parse(host).domain ?? null;
}
