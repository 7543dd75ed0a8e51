import { createRequire } from 'node:module';
import emailSpellChecker from '@zootools/email-spell-checker';
import countries from 'i18n-iso-countries';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { distance as levenshtein } from 'fastest-levenshtein';
import { getDomain, getHostname } from 'tldts';

/**
 * Normalisation of the values people and systems send: one function per kind, pure and fast,
 * used by every write path (API, import, tracking). Each returns the stored value and whether it
 * changed, so callers can keep the raw value next to it.
 */
const require = createRequire(import.meta.url);

/** Languages whose country names are understood ("Deutschland", "Allemagne", "Alemania"...). */
const LANGS = ['en', 'de', 'fr', 'es', 'it', 'nl', 'pt', 'sv', 'da', 'nb', 'fi', 'pl', 'cs', 'tr', 'ru', 'ja', 'zh', 'ko', 'ar'] as const;

/** Names and abbreviations the ISO lists do not carry. */
const COUNTRY_ALIASES: Record<string, string> = {
  usa: 'US',
  us: 'US',
  'united states of america': 'US',
  america: 'US',
  uk: 'GB',
  'great britain': 'GB',
  britain: 'GB',
  england: 'GB',
  scotland: 'GB',
  wales: 'GB',
  'northern ireland': 'GB',
  holland: 'NL',
  'the netherlands': 'NL',
  'south korea': 'KR',
  korea: 'KR',
  russia: 'RU',
  uae: 'AE',
  'czech republic': 'CZ',
  'ivory coast': 'CI',
  vietnam: 'VN',
  'hong kong sar': 'HK',
};

let countryIndex: Map<string, string> | null = null;

/** Lower case, no accents, no dots, single spaces: "U.S.A." and "u s a" both become "usa". */
function countryKey(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[.]/g, '')
    .replace(/[\s_-]+/g, ' ')
    .trim();
}

function index(): Map<string, string> {
  if (countryIndex) return countryIndex;
  const m = new Map<string, string>();
  for (const lang of LANGS) {
    countries.registerLocale(require(`i18n-iso-countries/langs/${lang}.json`) as Parameters<typeof countries.registerLocale>[0]);
    for (const [code, names] of Object.entries(countries.getNames(lang, { select: 'all' }))) {
      for (const n of names) if (!m.has(countryKey(n))) m.set(countryKey(n), code);
    }
  }
  for (const [code] of Object.entries(countries.getAlpha2Codes())) m.set(code.toLowerCase(), code);
  for (const [a3, a2] of Object.entries(countries.getAlpha3Codes())) m.set(a3.toLowerCase(), a2);
  for (const [alias, code] of Object.entries(COUNTRY_ALIASES)) m.set(alias, code);
  countryIndex = m;
  return m;
}

export interface Normalised<T> {
  value: T;
  changed: boolean;
  /** Set when the value could not be understood (kept as given). */
  problem?: string;
}

/** A country from an ISO code (alpha-2 or alpha-3) or a name in one of several languages, to ISO alpha-2. */
export function normaliseCountry(raw: string): Normalised<string> {
  const trimmed = raw.trim();
  const code = index().get(countryKey(trimmed));
  if (code) return { value: code, changed: code !== raw };
  return { value: trimmed, changed: trimmed !== raw, problem: 'unknown country' };
}

/**
 * A phone number to E.164 (+14155550132), read in the contact's country when it has no
 * international prefix. Without a country such a number cannot be read: it is kept as given.
 */
export function normalisePhone(raw: string, country: string | null | undefined): Normalised<string> {
  const trimmed = raw.trim().replace(/\s+/g, ' ');
  const region = country && /^[A-Z]{2}$/.test(country) ? (country as CountryCode) : undefined;
  const p = parsePhoneNumberFromString(trimmed, region);
  if (p && p.isPossible()) return { value: p.number, changed: p.number !== raw, ...(!p.isValid() && { problem: 'not a valid number' }) };
  const problem = !region && !trimmed.startsWith('+') ? 'no country to read it in' : 'not a phone number';
  return { value: trimmed, changed: trimmed !== raw, problem };
}

const PARTICLES = new Set([
  'van',
  'von',
  'der',
  'den',
  'de',
  'del',
  'della',
  'di',
  'da',
  'du',
  'la',
  'le',
  'dos',
  'das',
  'ter',
  'ten',
  'bin',
  'al',
]);

function capitalise(word: string): string {
  // A letter whose capital is more than one character (Greek ᾲ -> ᾺΙ) is left as it is.
  return word.replace(/(^|[-'’])(\p{L})/gu, (_m, sep: string, ch: string) => {
    const up = ch.toUpperCase();
    return sep + (up.length === ch.length ? up : ch);
  });
}

/**
 * A personal name: whitespace trimmed and collapsed; written all in upper or all in lower case,
 * it is put in title case (particles such as "van", "de" stay lower case after the first word).
 * Mixed case ("McDonald", "DeShawn") and scripts without case (CJK, Arabic) are left as typed.
 */
export function normaliseName(raw: string): Normalised<string> {
  const spaced = raw.normalize('NFC').trim().replace(/\s+/g, ' ');
  const hasCase = spaced.toLowerCase() !== spaced.toUpperCase();
  const allOne = spaced === spaced.toLowerCase() || spaced === spaced.toUpperCase();
  if (!hasCase || !allOne) return { value: spaced, changed: spaced !== raw };
  const value = spaced
    .toLowerCase()
    .split(' ')
    .map((w, i) => (i > 0 && PARTICLES.has(w) ? w : capitalise(w)))
    .join(' ');
  return { value, changed: value !== raw };
}

/** A company domain from whatever was typed: "https://www.Acme.co.uk/about" -> "acme.co.uk". */
export function normaliseDomain(raw: string): Normalised<string> {
  const trimmed = raw.trim().toLowerCase();
  const host = getHostname(trimmed.includes('://') ? trimmed : `http://${trimmed}`) ?? trimmed;
  const domain = getDomain(host) ?? host.replace(/^www\./, '');
  return { value: domain, changed: domain !== raw, ...(!getDomain(host) && { problem: 'not a registrable domain' }) };
}

const FREE = new Set<string>(require('email-providers/all.json') as string[]);
const DISPOSABLE = new Set<string>(require('disposable-email-domains') as string[]);

/** Whether a (lower-case) domain is a free-mail provider's (gmail.com, yahoo.co.uk...). */
export function isFreeMailDomain(domain: string): boolean {
  return FREE.has(domain);
}

export interface EmailFacts {
  /** A likely intended address when the domain looks mistyped (gmial.com -> gmail.com). */
  suggestion: string | null;
  free: boolean;
  disposable: boolean;
}

/** What an (already normalised) address tells: a likely typo, a free-mail or a disposable domain. */
export function emailFacts(email: string): EmailFacts {
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1);
  const free = FREE.has(domain);
  const disposable = DISPOSABLE.has(domain);
  // Reserved names (RFC 2606/6761: .test, .example, .invalid, .localhost) are meant as they are.
  const better = RESERVED.test(domain) ? null : suggestedDomain(domain);
  return { suggestion: better ? `${email.slice(0, at)}@${better}` : null, free, disposable };
}

const RESERVED = /(^|\.)(test|example|invalid|localhost)$|(^|\.)example\.(com|net|org)$/;

/** Whether b is a one-letter slip of a: one substitution, insertion or deletion, or two neighbours swapped. */
function oneSlipApart(a: string, b: string): boolean {
  if (levenshtein(a, b) <= 1) return true;
  if (a.length !== b.length) return false;
  const diff = [...a].flatMap((c, i) => (c === b[i] ? [] : [i]));
  const [i, j] = diff;
  return diff.length === 2 && i !== undefined && j === i + 1 && a[i] === b[j] && a[j] === b[i];
}

/** Domain -> the domain it was probably meant to be (or null); many contacts share a domain. */
const suggestions = new Map<string, string | null>();
function suggestedDomain(domain: string): string | null {
  const hit = suggestions.get(domain);
  if (hit !== undefined) return hit;
  // The free-mail list holds common misspellings too (gmial.com): the checker is asked anyway.
  const s = emailSpellChecker.run({ email: `x@${domain}` });
  // One slip only (a letter wrong, missing, extra, or two swapped): the checker alone also turns
  // real domains into popular ones two edits away (acme.com -> me.com).
  const better = s && s.domain !== domain && oneSlipApart(domain, s.domain) ? s.domain : null;
  if (suggestions.size >= 100_000) suggestions.clear();
  suggestions.set(domain, better);
  return better;
}
