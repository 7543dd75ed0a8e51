import { jaroWinkler } from '@skyra/jaro-winkler';
import { doubleMetaphone } from 'double-metaphone';
import { distance as levenshtein } from 'fastest-levenshtein';
import { isFreeMailDomain } from '../quality/normalise.js';
import { doubled, oneSlip } from './edits.js';
import { canonicalFirstName, inNicknameTable, nicknamesAgree, nicknamesNear } from './nicknames.js';

/**
 * Record linkage in the Fellegi-Sunter style: blocking keys pick candidate pairs, field
 * comparators give each field an agreement level, and each level carries a weight
 * log2(m/u) (m: how often true duplicates agree at that level; u: how often other candidate pairs
 * do). The sum plus the prior log-odds is the match log-odds. Pure functions: no database here.
 */

export type MatchObject = 'contact' | 'account';

/** What matching reads of a contact or an account (accounts use name/domain/city/country). */
export interface MatchRecord {
  id: string;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  title?: string | null;
  company?: string | null;
  city?: string | null;
  country?: string | null;
  name?: string | null;
  domain?: string | null;
}

export type Level = 'exact' | 'close' | 'partial' | 'diff';
/** m and u per agreement level of one field; a level missing from m is not produced for it. */
export interface FieldModel {
  m: Partial<Record<Level, number>>;
  u: Partial<Record<Level, number>>;
}
export interface MatchModel {
  /** Prior probability that a candidate pair (sharing a blocking key) is a duplicate. */
  prior: number;
  fields: Record<string, FieldModel>;
}

export interface Reason {
  field: string;
  level: Level | 'missing';
  /** log2(m/u): what this field added to (or took from) the match log-odds. */
  weight: number;
}

export const DEFAULT_MODELS: Record<MatchObject, MatchModel> = {
  contact: {
    prior: 0.05,
    fields: {
      // exact: same address; partial: same mailbox at another domain; close: a typo. Two live
      // contacts never share an address (one live contact per email), so duplicates in the
      // review queue always differ in it: diff carries a large m (it was 0.15, exact 0.55).
      email: { m: { exact: 0.35, partial: 0.2, close: 0.1, diff: 0.35 }, u: { exact: 0.0005, partial: 0.002, close: 0.0005, diff: 0.997 } },
      // Same company email domain, or one a typo of the other (free-mail domains tell nothing and count as missing).
      emailDomain: { m: { exact: 0.6, close: 0.05, diff: 0.35 }, u: { exact: 0.03, close: 0.002, diff: 0.968 } },
      // diff: two mailboxes at one company domain that a company gives namesakes: the same names
      // with another number, initial or tag (robert.thomas@ and robert.thomas2@, anna.k.berg@ and
      // anna.berg@). Only diff is produced (see `namesakeMailboxes`).
      mailboxTag: { m: { diff: 0.002 }, u: { diff: 0.25 } },
      // partial: one is the other's initial.
      firstName: { m: { exact: 0.82, close: 0.1, partial: 0.03, diff: 0.05 }, u: { exact: 0.05, close: 0.02, partial: 0.02, diff: 0.91 } },
      lastName: { m: { exact: 0.85, close: 0.11, diff: 0.04 }, u: { exact: 0.2, close: 0.05, diff: 0.75 } },
      phone: { m: { exact: 0.7, diff: 0.3 }, u: { exact: 0.001, diff: 0.999 } },
      // The job title as written (folded). People's records repeat it about half the time (the other
      // half: promoted, or written another way by another source); two candidates who are not one
      // person share one by chance about one time in twenty. Common titles weigh less (frequencies).
      title: { m: { exact: 0.5, diff: 0.5 }, u: { exact: 0.1, diff: 0.9 } },
      company: { m: { exact: 0.7, close: 0.15, diff: 0.15 }, u: { exact: 0.05, close: 0.02, diff: 0.93 } },
      city: { m: { exact: 0.85, diff: 0.15 }, u: { exact: 0.1, diff: 0.9 } },
      country: { m: { exact: 0.95, diff: 0.05 }, u: { exact: 0.4, diff: 0.6 } },
    },
  },
  account: {
    prior: 0.05,
    fields: {
      name: { m: { exact: 0.75, close: 0.2, diff: 0.05 }, u: { exact: 0.05, close: 0.05, diff: 0.9 } },
      domain: { m: { exact: 0.7, partial: 0.1, diff: 0.2 }, u: { exact: 0.001, partial: 0.01, diff: 0.989 } },
      city: { m: { exact: 0.85, diff: 0.15 }, u: { exact: 0.1, diff: 0.9 } },
      country: { m: { exact: 0.95, diff: 0.05 }, u: { exact: 0.4, diff: 0.6 } },
    },
  },
};

// ---- normalising for comparison ----------------------------------------------------------------

/**
 * Memoises a string function. Names, cities, companies and domains repeat across records, so a
 * full scan computes each once, and records share the one result string (less memory: a scan keeps
 * every record prepared). The cache starts over at `max` entries.
 */
function memo(f: (s: string) => string, max = 200_000): (s: string) => string {
  const cache = new Map<string, string>();
  return (s) => {
    let v = cache.get(s);
    if (v === undefined) {
      v = f(s);
      if (cache.size >= max) cache.clear();
      cache.set(s, v);
    }
    return v;
  };
}

const foldText = memo((s) =>
  s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ''),
);

/** Lower case, accents off, letters and digits only (any script: CJK and Arabic names stay). */
export function fold(s: string | null | undefined): string {
  return s ? foldText(s) : '';
}

const intern = memo((s) => s);

const LEGAL = new Set([
  'inc',
  'incorporated',
  'ltd',
  'limited',
  'llc',
  'llp',
  'lp',
  'plc',
  'corp',
  'corporation',
  'co',
  'company',
  'gmbh',
  'ag',
  'kg',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'bv',
  'nv',
  'oy',
  'ab',
  'as',
  'aps',
  'pty',
  'pte',
  'kk',
  'group',
  'holdings',
  'the',
]);

/** A company name without legal suffixes and punctuation: "The Acme Corp., Inc." -> "acme". */
export function companyKey(s: string | null | undefined): string {
  return s ? companyKeyText(s) : '';
}

const companyKeyText = memo((s) =>
  s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w && !LEGAL.has(w))
    .join(''),
);

/** The distinct letters of a string, sorted ("happyjames" -> "aehjmpsy"): a-z as a bit mask, others as written. */
function letterSet(s: string): string {
  let mask = 0;
  let other = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 97;
    if (c >= 0 && c < 26) mask |= 1 << c;
    else if (!other.includes(s.charAt(i))) other += s.charAt(i);
  }
  return `${mask.toString(36)}${other ? `:${[...other].sort().join('')}` : ''}`;
}

/** A company domain's name part as a company key: "slate-rock.co.uk" -> "slaterock". */
const domainCompany = memo((domain) => (domain.split('.')[0] ?? '').replace(/[^a-z0-9]+/g, ''));

/**
 * The last eight digits of a phone: "+1 (415) 555-0132" and "4155550132" agree, and so do a short number
 * written nationally and internationally ("(01) 927 3325", "+353 1 927 3325"; nine digits kept the trunk 0).
 */
export function phoneKey(s: string | null | undefined): string {
  if (!s) return '';
  const d = s.replace(/\D+/g, '');
  return d.length >= 7 ? d.slice(-8) : '';
}

const ROLE_MAILBOXES = new Set([
  'info',
  'sales',
  'admin',
  'contact',
  'hello',
  'support',
  'marketing',
  'office',
  'noreply',
  'no-reply',
  'team',
  'mail',
  'help',
  'billing',
  'accounts',
  'hr',
  'jobs',
  'careers',
  'enquiries',
  'inquiries',
  'webmaster',
  'postmaster',
  'test',
  'user',
]);

export function emailParts(e: string | null | undefined): { local: string; domain: string } | null {
  if (!e) return null;
  const at = e.lastIndexOf('@');
  if (at < 1) return null;
  return { local: e.slice(0, at).toLowerCase().split('+')[0] ?? '', domain: intern(e.slice(at + 1).toLowerCase()) };
}

function metaphone(s: string): string {
  return s ? metaphoneText(s) : '';
}

const metaphoneText = memo((s) => {
  // Double metaphone reads Latin letters; other scripts block on the folded name itself.
  if (!/^[a-z]+$/.test(s)) return s;
  return doubleMetaphone(s)[0] || s;
});

/**
 * An address as compared, with what comparing asks of each side worked out once per record (a
 * full scan compares each record with several others).
 */
export interface PreparedEmail {
  local: string;
  domain: string;
  /** Whether the domain is a free-mail provider's. */
  free: boolean;
  /** Whether the mailbox is only the record's own names (`mailboxOfNames`). */
  names: boolean;
}

/** A record with its values folded once for blocking and comparing. */
export interface Prepared {
  email: PreparedEmail | null;
  first: string;
  /** The first name folded, before the nickname table (for comparing swapped names). */
  firstFolded: string;
  last: string;
  phone: string;
  title: string;
  company: string;
  city: string;
  country: string;
  name: string;
  /** The account name as written (its first words give the metaphone key). */
  rawName: string;
  domain: string;
}

/**
 * The other name in a mailbox made of two names, given one of them (`known`, possibly mistyped in
 * the record: one slip apart), or '' when the mailbox does not hold it that way. One-word
 * mailboxes are read as the two names run together, either way round.
 */
function missingName(local: string, known: string): string {
  const words = local
    .split(/[._-]+/)
    .map((w) => w.replace(/\d+/g, ''))
    .filter((w) => w);
  const is = (w: string) => w === known || (known.length >= 4 && oneSlip(w, known));
  if (words.length === 2 && words.every((w) => w.length >= 2)) {
    const [x, y] = words as [string, string];
    if (x !== y && is(x)) return y;
    if (x !== y && is(y)) return x;
    return '';
  }
  const w = words.length === 1 ? (words[0] as string) : '';
  if (w.length < known.length + 2 || !/^[a-z]+$/.test(known)) return '';
  if (w.endsWith(known)) return w.slice(0, w.length - known.length);
  if (w.startsWith(known)) return w.slice(known.length);
  return '';
}

export function prepare(r: MatchRecord): Prepared {
  const e = emailParts(r.email);
  let firstFolded = fold(r.firstName);
  let last = fold(r.lastName);
  // A record with one name field empty and a mailbox of two names, one of them the name it has
  // (∅ Chen, maria.chen84@; ∅ Looez, carlos.lopez@; ∅ Allen, samuelallen@):
  // the rest is the missing name. Compared as if given, so the record matches Maria Chen's other
  // records on the name rather than on the last name alone.
  if (e && !firstFolded !== !last) {
    const missing = missingName(e.local, firstFolded || last);
    if (missing && !firstFolded) firstFolded = missing;
    else if (missing) last = missing;
  }
  const email: PreparedEmail | null = e && {
    local: e.local,
    domain: e.domain,
    free: isFreeMailDomain(e.domain),
    names: mailboxOfNames(e.local, firstFolded, last),
  };
  return {
    email,
    first: canonicalFirstName(firstFolded),
    firstFolded,
    last,
    phone: phoneKey(r.phone),
    title: fold(r.title),
    company: companyKey(r.company),
    city: fold(r.city),
    country: fold(r.country),
    name: companyKey(r.name),
    rawName: r.name ?? '',
    domain: (r.domain ?? '').toLowerCase().replace(/^www\./, ''),
  };
}

// ---- blocking ------------------------------------------------------------------------------------

/**
 * Blocking keys of a record: two records become a candidate pair when they share one. Texts,
 * hashed to 64 bits before they are stored.
 */
export function blockingKeys(object: MatchObject, r: MatchRecord): string[] {
  return blockingKeysPrepared(object, prepare(r));
}

/** `blockingKeys` of a record already prepared. */
export function blockingKeysPrepared(object: MatchObject, p: Prepared): string[] {
  const keys: string[] = [];
  if (object === 'contact') {
    if (p.email) keys.push(`e:${p.email.local}@${p.email.domain}`);
    if (p.email && p.email.local.length >= 4 && !ROLE_MAILBOXES.has(p.email.local)) {
      keys.push(`l:${p.email.local.replace(/\./g, '')}`);
      // The mailbox without digits and separators: maria.garcia84@ and mariagarcia@ share it.
      const bare = p.email.local.replace(/[._\-\d]+/g, '');
      if (bare.length >= 4) keys.push(`l:${bare}`);
      // Its distinct letters, sorted, at its domain: a mailbox with a letter doubled, dropped where it
      // repeats, or two swapped (happyyjames38@, flauretn20@) keeps the key. Not for mailboxes of the
      // record's names: the name keys cover those (and each key costs the scan's write at 1M).
      if (bare.length >= 6 && !p.email.names) keys.push(`s:${letterSet(bare)}@${p.email.domain}`);
    }
    if (p.phone) keys.push(`p:${p.phone}`);
    const mf = metaphone(p.first);
    const ml = metaphone(p.last);
    // Sorted, so swapped first and last names share the key.
    if (mf && ml) keys.push(`n:${[mf, ml].sort().join(':')}`);
    // A mailbox written as two names (maria.garcia84@) gives the same key: it links a record
    // whose name fields are missing or mistyped to one that has them.
    const words = (p.email?.local ?? '')
      .split(/[._-]+/)
      .map((w) => w.replace(/\d+/g, ''))
      .filter((w) => w.length >= 2);
    if (words.length === 2)
      keys.push(
        `n:${words
          .map((w) => metaphone(canonicalFirstName(w)))
          .sort()
          .join(':')}`,
      );
    // The employer: the company field, or else a work address's domain (slaterock.com for Slaterock
    // Technologies: the two usually start alike), so a record without a company still meets its
    // colleagues' records and its own.
    const employer = p.company || (p.email && !p.email.free ? domainCompany(p.email.domain) : '');
    if (ml && employer) keys.push(`c:${ml}:${employer.slice(0, 6)}`);
    if (mf && employer && p.email) keys.push(`f:${mf}:${employer.slice(0, 6)}`);
  } else {
    if (p.domain) keys.push(`d:${p.domain}`);
    if (p.name) keys.push(`n:${p.name}`);
    const words = p.rawName
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w && !LEGAL.has(w));
    const m = words.slice(0, 2).map((w) => metaphone(fold(w)));
    if (m.length) keys.push(`m:${m.join(':')}`);
  }
  return [...new Set(keys)];
}

// ---- comparing -----------------------------------------------------------------------------------

/**
 * Names: as strLevel, and also close when one slip apart past the first letter (hugo, huho; mia,
 * mai): Jaro-Winkler alone leaves short names with a typo far apart.
 */
function nameLevel(a: string, b: string, closeAt: number): Level {
  if (a === b) return 'exact';
  if (a.charCodeAt(0) !== b.charCodeAt(0)) return strLevel(a, b, closeAt);
  if (jaroWinkler(a, b) >= closeAt) return 'close';
  // A letter doubled, or a double written once (Lee, Le; 伊藤, 伊藤藤), also in short names.
  if (doubled(a, b) || doubled(b, a)) return 'close';
  if (a.length < 3 || b.length < 3) return 'diff';
  // One slip (this includes strLevel's one edit in names of five letters or more).
  if (oneSlip(a, b)) return 'close';
  // Long names with a slip on each side (Serggei, Seegei for Sergei): two edits apart.
  return a.length >= 6 && b.length >= 6 && Math.abs(a.length - b.length) <= 2 && levenshtein(a, b) <= 2 ? 'close' : 'diff';
}

function strLevel(a: string, b: string, closeAt: number): Level {
  if (a === b) return 'exact';
  if (jaroWinkler(a, b) >= closeAt || (Math.min(a.length, b.length) >= 5 && Math.abs(a.length - b.length) <= 1 && levenshtein(a, b) <= 1))
    return 'close';
  return 'diff';
}

/**
 * Whether a mailbox is only the person's names (maria.garcia, mgarcia, garcia.maria, maria): the
 * same such mailbox at another domain says no more than the names do, and namesakes share it.
 */
function mailboxOfNames(local: string, f: string, l: string): boolean {
  if (!f && !l) return false;
  const bare = local.replace(/[._-]+/g, '');
  // Names in another script (שרה אברהם, Ελένη): a mailbox of letters only is their transliteration.
  if (!/^[\p{Script=Latin}\p{N}]*$/u.test(f + l)) return /^[a-z]+$/.test(bare);
  return [f + l, l + f, f.charAt(0) + l, f + l.charAt(0), l + f.charAt(0), f, l].some((x) => x.length >= 2 && x === bare);
}

/**
 * Email levels. exact: the same address. partial: the same mailbox at another domain (dots
 * aside), unless the mailbox is just the names, at another domain or at one free-mail provider
 * (then no evidence: the name fields count, and namesakes share such mailboxes). close: a
 * typo (Levenshtein <= 2 over the address, at most one edit per four characters of the mailbox) —
 * but not mailboxes that differ only in digits, in their first or last letter, or by one extending the
 * other (maria@, mariak@ and mariaw@, jsmith@ and jsmith2@ are the numbered or initialled
 * mailboxes companies give namesakes).
 */
function emailLevel(a: Prepared, b: Prepared): Level | 'missing' {
  const ea = a.email;
  const eb = b.email;
  if (!ea || !eb) return 'missing';
  if (ea.local === eb.local && ea.domain === eb.domain) return 'exact';
  const la = ea.local;
  const lb = eb.local;
  // The same mailbox at a domain one slip off (gmail.com and gnail.com, hotmial.com, .co and .com):
  // one address mistyped, not a names mailbox at another provider.
  if (la === lb && la.length >= 3 && !ROLE_MAILBOXES.has(la) && oneSlip(ea.domain, eb.domain)) return 'close';
  if (equalWithoutSeparators(la, lb) && la.length >= 3 && !ROLE_MAILBOXES.has(la)) {
    // A mailbox that is only the person's names (maria.garcia@) at another domain says no more
    // than the name fields do: namesakes have such mailboxes at their employers and at every
    // free-mail provider. Measured: counting it as partial made most false pairs at 100k.
    // The same goes for the names with other separators at one free-mail provider (two accounts:
    // elizabeth.thompson@ and elizabeth_thompson@ are not one mistyped).
    if ((ea.names || eb.names) && (ea.domain !== eb.domain || ea.free)) return 'missing';
    return 'partial';
  }
  // More than two edits apart (the length difference alone can tell, without the distance).
  if (
    Math.abs(la.length + ea.domain.length - lb.length - eb.domain.length) > 2 ||
    // At one domain the distance is the mailboxes' (no address strings built).
    (ea.domain === eb.domain ? levenshtein(la, lb) : levenshtein(`${la}@${ea.domain}`, `${lb}@${eb.domain}`)) > 2
  )
    return 'diff';
  // Two mailboxes that are each their own record's names (james.baker@, james.bakker@): the typo is
  // the names' own, already counted by the name fields.
  // Unless the names themselves differ (kimberlym@ and kimberlyt@ for Kimberly Marez and Kimberly
  // Takahashi): then the mailboxes are two colleagues' and say so.
  if (la !== lb && ea.names && eb.names) return namesDiffer(a, b) ? 'diff' : 'missing';
  if (la !== lb) {
    const sa = la.replace(SEPARATORS, '');
    const sb = lb.replace(SEPARATORS, '');
    const da = sa.replace(/\d+/g, '');
    const db = sb.replace(/\d+/g, '');
    // Also mailboxes that differ only in their first letter: tperez@ and jperez@ are two colleagues' initials.
    // And a number on one side with letters changed too (alexander2@, alexandra@): a typo is one slip, not two.
    const numberedOrInitialled =
      da === db ||
      da.startsWith(db) ||
      db.startsWith(da) ||
      da.slice(0, -1) === db.slice(0, -1) ||
      da.slice(1) === db.slice(1) ||
      sa.replace(/\D+/g, '') !== sb.replace(/\D+/g, '');
    if (numberedOrInitialled || levenshtein(la, lb) * 4 > Math.min(la.length, lb.length)) return 'diff';
  }
  return 'close';
}

/**
 * Whether two addresses at one company domain are the mailboxes a company gives two namesakes:
 * the same letters with another number (robert.thomas@, robert.thomas2@), or each record's own
 * names with another mark: a middle initial, a number or a tag (anna.k.berg@, anna.berg.uk@,
 * annakberg@ against anna.berg@ or aberg@), or each mailbox made of its own record's names where
 * those names differ (elizabeth.schulz@ and enielsen@ for two Elizabeths). One person's aliases at a company are the plain forms
 * of their names (anna.berg@, aberg@, anna@), which are not told apart here. Free-mail providers
 * are left out: one person holds several accounts there.
 */
function namesakeMailboxes(a: Prepared, b: Prepared): boolean {
  const ea = a.email;
  const eb = b.email;
  if (!ea || !eb || ea.free || eb.free || ea.local === eb.local) return false;
  // One company domain, or one mistyped (eberest.com for everest.com).
  if (ea.domain !== eb.domain && !oneSlip(ea.domain, eb.domain)) return false;
  if (equalWithoutSeparators(ea.local, eb.local)) return false;
  const sa = ea.local.replace(SEPARATORS, '');
  const sb = eb.local.replace(SEPARATORS, '');
  if (sa.replace(/\d+/g, '') === sb.replace(/\d+/g, '')) return namesakeNumber(sa) !== namesakeNumber(sb);
  const ma = mailboxMark(ea.local, a.firstFolded, a.last);
  const mb = mailboxMark(eb.local, b.firstFolded, b.last);
  if (ma === null || mb === null) return false;
  // Each mailbox its own record's names, and the names differ (elizabeth_schulz@, enielsen@): two colleagues.
  return ma !== mb || namesDiffer(a, b);
}

/**
 * The number a company adds to a namesake's mailbox (robert.thomas2@): one digit. Longer numbers
 * (a birth year, digits added to make an address unique) are not read as one: '' for them.
 */
function namesakeNumber(local: string): string {
  const d = local.replace(/\D+/g, '');
  return d.length === 1 ? d : '';
}

/**
 * What a mailbox adds to its record's names: '' for the names alone (anna.berg, aberg, berg.anna,
 * anna), the rest for the names with a mark (anna.k.berg: 'k'; anna.berg2: '2'; anna.berg.uk: 'uk';
 * annakberg: 'k'), null when the mailbox is not made of the names (or the names are not in Latin
 * letters: a transliteration cannot be taken apart).
 */
function mailboxMark(local: string, f: string, l: string): string | null {
  if (!f || !l || !/^[a-z]+$/.test(f + l)) return null;
  const digits = namesakeNumber(local);
  const words = local.split(/[._\-\d]+/).filter((w) => w);
  if (words.length === 1) {
    const w = words[0] as string;
    if (w === f || w === l) return digits;
    for (const [x, y] of [
      [f, l],
      [l, f],
      [f.charAt(0), l],
    ] as const) {
      // The names run together with at most two letters between them (annakberg, akberg).
      if (w.length >= x.length + y.length && w.length <= x.length + y.length + 2 && w.startsWith(x) && w.endsWith(y))
        return w.slice(x.length, w.length - y.length) + digits;
    }
    if (w === f + l.charAt(0)) return digits;
    return null;
  }
  const rest = [...words];
  const take = (x: string) => {
    const i = rest.indexOf(x);
    if (i < 0) return false;
    rest.splice(i, 1);
    return true;
  };
  if (!take(l)) return null;
  if (!take(f) && !take(f.charAt(0))) return null;
  return rest.join('.') + digits;
}

/** Whether two records' first or last names differ outright (not a typo, nickname or initial), also crosswise. */
function namesDiffer(a: Prepared, b: Prepared): boolean {
  const direct =
    (!!a.last && !!b.last && nameLevel(a.last, b.last, 0.92) === 'diff') ||
    (!!a.first && !!b.first && givenLevel(a.firstFolded, b.firstFolded) === 'diff');
  if (!direct || !a.first || !a.last || !b.first || !b.last) return direct;
  return nameLevel(a.firstFolded, b.last, 0.92) === 'diff' || givenLevel(a.last, b.firstFolded) === 'diff';
}

const better = (x: Level | 'missing', y: Level | 'missing'): Level | 'missing' => (AGREEMENT[y] > AGREEMENT[x] ? y : x);

/**
 * Given names as folded: through the nickname table, or as written when that agrees better (a
 * typo in a name the table knows, Hannnah, misses its canonical form, Hannah -> johanna, but not
 * the name as written); a short form of two names (alex: alexander, alexandra) agrees with both;
 * a mistyped short form is close to its full name.
 */
function givenLevel(a: string, b: string, ca = canonicalFirstName(a), cb = canonicalFirstName(b)): Level | 'missing' {
  let level = firstLevel(ca, cb);
  if (level !== 'exact' && (ca !== a || cb !== b)) level = better(level, firstLevel(a, b));
  if (level === 'exact') return level;
  // Both lookups need a name in the table (most surnames and many given names are not).
  const ta = inNicknameTable(a);
  const tb = inNicknameTable(b);
  if (ta && tb && nicknamesAgree(a, b)) return 'exact';
  // A short form with a slip in it (Vikcy for Vicky: Victoria; Tny for Tony: Anthony): the slip
  // takes the name out of the table, so one side is in it and the other is not.
  if (level === 'diff' && ta !== tb && nicknamesNear(a, b)) level = 'close';
  return level;
}

/** First names (after the nickname table): partial when one is the other's initial. */
function firstLevel(a: string, b: string): Level | 'missing' {
  if (!a || !b) return 'missing';
  if (a === b) return 'exact';
  if ((a.length === 1 && b.startsWith(a)) || (b.length === 1 && a.startsWith(b))) return 'partial';
  return nameLevel(a, b, 0.9);
}

const AGREEMENT: Record<Level | 'missing', number> = { exact: 3, close: 2, partial: 1, missing: 0, diff: -1 };

const SEPARATORS = /[._-]+/g;
/** Whether a character code is a mailbox separator: `.`, `_` or `-`. */
const isSeparator = (c: number): boolean => c === 46 || c === 95 || c === 45;

/** Whether two mailboxes are the same once separators (`.`, `_`, `-`) are left out (without building either). */
function equalWithoutSeparators(a: string, b: string): boolean {
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && isSeparator(a.charCodeAt(i))) i++;
    while (j < b.length && isSeparator(b.charCodeAt(j))) j++;
    if (i === a.length || j === b.length) return i === a.length && j === b.length;
    if (a.charCodeAt(i) !== b.charCodeAt(j)) return false;
    i++;
    j++;
  }
}

/** Agreement level per field; missing when either side has no value. */
export function compare(object: MatchObject, x: MatchRecord, y: MatchRecord): Record<string, Level | 'missing'> {
  const a = prepare(x);
  const b = prepare(y);
  return comparePrepared(object, a, b);
}

/**
 * `into`: an object to fill instead of a new one (a full scan reuses one for millions of pairs; every
 * field is set on every call, so it never holds a previous pair's level).
 */
export function comparePrepared(
  object: MatchObject,
  a: Prepared,
  b: Prepared,
  into?: Record<string, Level | 'missing'>,
): Record<string, Level | 'missing'> {
  const out: Record<string, Level | 'missing'> = into ?? {};
  const eq = (f: string, s: string, t: string) => (out[f] = !s || !t ? 'missing' : s === t ? 'exact' : 'diff');
  if (object === 'contact') {
    out.email = emailLevel(a, b);
    if (!a.email || !b.email || a.email.free || b.email.free) out.emailDomain = 'missing';
    else if (a.email.domain === b.email.domain) out.emailDomain = 'exact';
    else out.emailDomain = oneSlip(a.email.domain, b.email.domain) ? 'close' : 'diff';
    out.mailboxTag = namesakeMailboxes(a, b) ? 'diff' : 'missing';
    // Namesakes' mailboxes one letter apart (jsmith@, jasmith@) are not a typo of one address.
    if (out.mailboxTag === 'diff' && out.email === 'close') out.email = 'diff';
    // Swapped names (first in the last-name field and back): compared crosswise when that agrees
    // better, also with a typo in one of them.
    let first = givenLevel(a.firstFolded, b.firstFolded, a.first, b.first);
    let last: Level | 'missing' = !a.last || !b.last ? 'missing' : nameLevel(a.last, b.last, 0.92);
    // Both records with names swapped: given names in the last-name fields (Karlsson Ben, Karlsson Benjamin).
    if (last === 'diff' && inNicknameTable(a.last) && inNicknameTable(b.last) && givenLevel(a.last, b.last) === 'exact') last = 'close';
    if (a.first && a.last && b.first && b.last && (first !== 'exact' || last !== 'exact')) {
      const crossFirst = givenLevel(a.last, b.firstFolded);
      // Crosswise can only win when its best (last exact) beats the names as they are.
      if (AGREEMENT[crossFirst] + AGREEMENT.exact > AGREEMENT[first] + AGREEMENT[last]) {
        const written = nameLevel(a.firstFolded, b.last, 0.92);
        const crossLast = written === 'exact' ? written : better(written, givenLevel(a.firstFolded, b.last));
        if (AGREEMENT[crossFirst] + AGREEMENT[crossLast] > AGREEMENT[first] + AGREEMENT[last]) [first, last] = [crossFirst, crossLast];
      }
    }
    out.firstName = first;
    out.lastName = last;
    eq('phone', a.phone, b.phone);
    eq('title', a.title, b.title);
    out.company = !a.company || !b.company ? 'missing' : strLevel(a.company, b.company, 0.9);
    eq('city', a.city, b.city);
    eq('country', a.country, b.country);
  } else {
    out.name = !a.name || !b.name ? 'missing' : strLevel(a.name, b.name, 0.92);
    if (!a.domain || !b.domain) out.domain = 'missing';
    else if (a.domain === b.domain) out.domain = 'exact';
    else if (a.domain.split('.')[0] === b.domain.split('.')[0]) out.domain = 'partial';
    else out.domain = 'diff';
    eq('city', a.city, b.city);
    eq('country', a.country, b.country);
  }
  return out;
}

const log2 = (x: number) => Math.log(x) / Math.LN2;

export function levelWeight(model: MatchModel, field: string, level: Level | 'missing'): number {
  if (level === 'missing') return 0;
  return weightTable(model)[field]?.[level] ?? 0;
}

const LEVELS: readonly Level[] = ['exact', 'close', 'partial', 'diff'];
const WEIGHT_TABLES = new WeakMap<MatchModel, Record<string, Partial<Record<Level, number>>>>();

/** log2(m/u) of every field's levels, worked out once per model (a full scan weighs millions of pairs). */
function weightTable(model: MatchModel): Record<string, Partial<Record<Level, number>>> {
  let table = WEIGHT_TABLES.get(model);
  if (table) return table;
  table = {};
  for (const [field, f] of Object.entries(model.fields)) {
    const row: Partial<Record<Level, number>> = {};
    for (const level of LEVELS) {
      const m = f.m[level];
      const u = f.u[level];
      row[level] = m && u ? log2(m / u) : 0;
    }
    table[field] = row;
  }
  WEIGHT_TABLES.set(model, table);
  return table;
}

/**
 * Fields that tell the same thing when both agree: the same company email domain means the same
 * company, the same city the same country. Fellegi-Sunter adds the weights of fields as if they
 * were independent evidence; for these pairs only the stronger of two agreeing weights counts (the
 * other is listed with weight 0), so colleagues sharing a first name are not a match on the
 * strength of their employer counted twice (or four times, with its city and country).
 */
const OVERLAPPING: ReadonlyArray<readonly [string, string]> = [
  ['emailDomain', 'company'],
  ['emailDomain', 'city'],
  ['company', 'city'],
  ['city', 'country'],
  ['emailDomain', 'country'],
  ['company', 'country'],
];

const overlapCache = new Map<string, { fields: readonly string[]; pairs: Array<readonly [number, number]> }>();

/** OVERLAPPING as index pairs into `fields` (the same few field lists come back for every pair). */
function overlappingIndexes(fields: readonly string[]): Array<readonly [number, number]> {
  const key = `${fields.length}:${fields[0] ?? ''}:${fields[fields.length - 1] ?? ''}`;
  const hit = overlapCache.get(key);
  if (hit && hit.fields.length === fields.length && hit.fields.every((f, i) => f === fields[i])) return hit.pairs;
  const pairs: Array<readonly [number, number]> = [];
  for (const [x, y] of OVERLAPPING) {
    const ix = fields.indexOf(x);
    const iy = fields.indexOf(y);
    if (ix >= 0 && iy >= 0) pairs.push([ix, iy]);
  }
  overlapCache.set(key, { fields: [...fields], pairs });
  return pairs;
}

/** The match probability and why: each field's level and weight (with `extra`, see `frequencyBonus`). */
export function score(
  model: MatchModel,
  levels: Record<string, Level | 'missing'>,
  extra?: Readonly<Record<string, number>>,
): { probability: number; reasons: Reason[] } {
  const fields = Object.keys(levels);
  const weights = fieldWeights(model, fields, levels, extra);
  let w = log2(model.prior / (1 - model.prior));
  const reasons: Reason[] = [];
  for (let i = 0; i < fields.length; i++) {
    const weight = weights[i] as number;
    w += weight;
    reasons.push({
      field: fields[i] as string,
      level: levels[fields[i] as string] as Level | 'missing',
      weight: Math.round(weight * 100) / 100,
    });
  }
  return { probability: 1 / (1 + Math.pow(2, -w)), reasons };
}

/** The match probability alone (what `score` gives, without building the reasons): a full scan's inner loop. */
export function probability(
  model: MatchModel,
  levels: Record<string, Level | 'missing'>,
  extra?: Readonly<Record<string, number>>,
  fields: readonly string[] = Object.keys(levels),
): number {
  const weights = fieldWeights(model, fields, levels, extra);
  let w = log2(model.prior / (1 - model.prior));
  for (const x of weights) w += x;
  return 1 / (1 + Math.pow(2, -w));
}

/** Each field's weight plus its `extra` bits, overlapping fields counted once (see OVERLAPPING). */
function fieldWeights(
  model: MatchModel,
  fields: readonly string[],
  levels: Record<string, Level | 'missing'>,
  extra?: Readonly<Record<string, number>>,
): number[] {
  const table = weightTable(model);
  const weights = new Array<number>(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as string;
    const level = levels[f] ?? 'missing';
    weights[i] = (level === 'missing' ? 0 : (table[f]?.[level] ?? 0)) + (extra?.[f] ?? 0);
  }
  for (const [ix, iy] of overlappingIndexes(fields)) {
    const wx = weights[ix] as number;
    const wy = weights[iy] as number;
    if (wx > 0 && wy > 0) weights[wx >= wy ? iy : ix] = 0;
  }
  return weights;
}

// ---- how common a value is (term frequencies) ----------------------------------------------------

/**
 * How often each value of a field occurs among a workspace's live records. Agreement on a common
 * value says less than on a rare one: two "Maria Rossi"s in San Francisco are often two people.
 * This is the term-frequency adjustment of Fellegi-Sunter as in Splink and fastLink (Enamorado,
 * Fifield & Imai 2019): for exact agreement on value v, u becomes the share of records with v
 * instead of the field's average, so the weight moves by log2(average / share(v)), the average
 * being Σ share², how often two random records agree on the field. Counted by the full scan from
 * the workspace's own records (`countFrequencies`); only values of two or more records are kept.
 *
 * Only the downward half is applied (common values count less; rare ones keep the built-in
 * weight): names cluster by country and script, so a name rare in the whole workspace is often
 * common among the records it is compared with (blocking brings those together). Measured at 100k
 * (BENCHMARKS.md, dedupe): bonuses up to +4 bits for rare names made false pairs triple.
 */
export interface ValueFrequencies {
  /** Records with a value in this field. */
  total: number;
  /** Records per value (as compared: folded, first names through the nickname table); two or more only. */
  counts: Map<string, number>;
  /** Σ share²: how often two random records with values agree on this field. */
  agree: number;
}
export type Frequencies = Partial<Record<string, ValueFrequencies>>;

/**
 * The fields weighed by how common their value is, and the value compared. `fullName` is not a
 * field of its own: when first and last name both agree exactly, the full name's frequency is used
 * in place of each part's (a common given name with a common surname is not twice as weak when
 * the two go together: people named for their country have both).
 */
const FREQUENCY_FIELDS: Record<MatchObject, Record<string, (p: Prepared) => string>> = {
  contact: {
    firstName: (p) => p.first,
    lastName: (p) => p.last,
    city: (p) => p.city,
    title: (p) => p.title,
    fullName: (p) => (p.first && p.last ? `${p.first} ${p.last}` : ''),
  },
  account: { name: (p) => p.name, city: (p) => p.city },
};

const FREQUENCY_ENTRIES = {
  contact: Object.entries(FREQUENCY_FIELDS.contact),
  account: Object.entries(FREQUENCY_FIELDS.account),
};

/** The strongest adjustment, in bits: the commonest values keep some weight. */
export const FREQUENCY_WEIGHT_MIN = -4;
/** Fewer records with a value than this in a field and its frequencies are not used (too few to tell common from rare). */
export const FREQUENCY_MIN_RECORDS = 1000;

/** The fields `countFrequencies` counts for an object. */
export function frequencyFields(object: MatchObject): string[] {
  return Object.keys(FREQUENCY_FIELDS[object]);
}

/** Each frequency field's values of prepared records (for loading their counts). */
export function frequencyValues(object: MatchObject, records: Iterable<Prepared>): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const p of records)
    for (const [field, get] of Object.entries(FREQUENCY_FIELDS[object])) {
      const v = get(p);
      if (v) (out[field] ??= new Set()).add(v);
    }
  return Object.fromEntries(Object.entries(out).map(([f, vs]) => [f, [...vs]]));
}

/** Counts each frequency field's values over prepared records (a full scan's: the whole workspace). */
export function countFrequencies(object: MatchObject, records: Iterable<Prepared>): Frequencies {
  const fields = Object.entries(FREQUENCY_FIELDS[object]);
  const all = fields.map(() => new Map<string, number>());
  const totals = fields.map(() => 0);
  for (const p of records)
    for (let k = 0; k < fields.length; k++) {
      const v = (fields[k] as [string, (p: Prepared) => string])[1](p);
      if (!v) continue;
      totals[k] = (totals[k] as number) + 1;
      const m = all[k] as Map<string, number>;
      m.set(v, (m.get(v) ?? 0) + 1);
    }
  const out: Frequencies = {};
  for (let k = 0; k < fields.length; k++) {
    const total = totals[k] as number;
    if (total < FREQUENCY_MIN_RECORDS) continue;
    const counts = new Map<string, number>();
    let agree = 0;
    for (const [v, n] of all[k] as Map<string, number>) {
      agree += (n / total) ** 2;
      if (n >= 2) counts.set(v, n);
    }
    out[(fields[k] as [string, unknown])[0]] = { total, counts, agree };
  }
  return out;
}

/** The adjustment, in bits, for exact agreement on `value`: 0 for values no commoner than average, down to FREQUENCY_WEIGHT_MIN. */
export function frequencyWeight(f: ValueFrequencies, value: string): number {
  // Two records agree on it, so at least two have it.
  const share = Math.max(2, f.counts.get(value) ?? 2) / f.total;
  return Math.min(0, Math.max(FREQUENCY_WEIGHT_MIN, log2(f.agree / share)));
}

/**
 * Extra bits per field for a compared pair (for `score` and `probability`): the frequency
 * adjustment of each frequency field that agrees exactly; with both names exact, the full name's,
 * split between the two. Undefined when there is nothing to add.
 */
export function frequencyBonus(
  object: MatchObject,
  freq: Frequencies | undefined,
  a: Prepared,
  b: Prepared,
  levels: Record<string, Level | 'missing'>,
): Record<string, number> | undefined {
  if (!freq) return undefined;
  let out: Record<string, number> | undefined;
  const fields = FREQUENCY_FIELDS[object];
  const fullName = fields.fullName;
  const full = !!fullName && levels.firstName === 'exact' && levels.lastName === 'exact';
  if (fullName && full) {
    const f = freq.fullName;
    const v = fullName(a);
    // Swapped names agree crosswise, not as one full name: no adjustment.
    if (f && v === fullName(b)) {
      const w = frequencyWeight(f, v);
      if (w) out = { firstName: w / 2, lastName: w / 2 };
    }
  }
  for (const [field, get] of FREQUENCY_ENTRIES[object]) {
    if (field === 'fullName' || (full && (field === 'firstName' || field === 'lastName'))) continue;
    const f = freq[field];
    if (!f || levels[field] !== 'exact') continue;
    const va = get(a);
    // A swapped name agrees crosswise: the value is b's.
    const w = frequencyWeight(f, va === get(b) ? va : get(b));
    if (w) (out ??= {})[field] = w;
  }
  return out;
}

// ---- estimating weights from the data (EM) -------------------------------------------------------

/**
 * Estimates m, u and the prior from unlabelled candidate pairs' comparison vectors by
 * expectation-maximisation (Fellegi-Sunter with conditional independence), starting from `start`.
 * Missing fields carry no evidence. Probabilities are kept within [1e-4, 1 - 1e-4].
 */
export function estimateModel(
  vectors: readonly Record<string, Level | 'missing'>[],
  start: MatchModel,
  opts: { iterations?: number } = {},
): MatchModel {
  const iterations = opts.iterations ?? 40;
  let model: MatchModel = structuredClone(start);
  if (vectors.length === 0) return model;
  const clamp = (x: number) => Math.min(1 - 1e-4, Math.max(1e-4, x));
  const seen = new Set(vectors.flatMap((v) => Object.entries(v).map(([f, l]) => `${f}:${l}`)));
  for (let it = 0; it < iterations; it++) {
    const mCount: Record<string, Partial<Record<Level, number>>> = {};
    const uCount: Record<string, Partial<Record<Level, number>>> = {};
    const mTotal: Record<string, number> = {};
    const uTotal: Record<string, number> = {};
    let gSum = 0;
    for (const v of vectors) {
      const g = score(model, v).probability;
      gSum += g;
      for (const [field, level] of Object.entries(v)) {
        if (level === 'missing' || !model.fields[field]) continue;
        (mCount[field] ??= {})[level] = (mCount[field][level] ?? 0) + g;
        (uCount[field] ??= {})[level] = (uCount[field][level] ?? 0) + (1 - g);
        mTotal[field] = (mTotal[field] ?? 0) + g;
        uTotal[field] = (uTotal[field] ?? 0) + (1 - g);
      }
    }
    const next: MatchModel = { prior: clamp(gSum / vectors.length), fields: {} };
    for (const [field, fm] of Object.entries(model.fields)) {
      const levels = Object.keys(fm.m) as Level[];
      const m: Partial<Record<Level, number>> = {};
      const u: Partial<Record<Level, number>> = {};
      for (const l of levels) {
        // A level never seen among these pairs tells nothing: it keeps its starting values.
        if (!seen.has(`${field}:${l}`)) {
          m[l] = fm.m[l];
          u[l] = fm.u[l];
          continue;
        }
        m[l] = mTotal[field] ? clamp(((mCount[field]?.[l] ?? 0) + 0.5) / (mTotal[field] + 0.5 * levels.length)) : fm.m[l];
        u[l] = uTotal[field] ? clamp(((uCount[field]?.[l] ?? 0) + 0.5) / (uTotal[field] + 0.5 * levels.length)) : fm.u[l];
      }
      next.fields[field] = { m, u };
    }
    model = next;
  }
  return orient(model, seen);
}

/**
 * EM's two classes are symmetric: from a poor start, or on a small workspace, it can converge with
 * "duplicates" and "different people" swapped, so exact agreement would count against a match.
 * Duplicates agree exactly more often than other pairs: when the estimated levels say the opposite
 * on balance (the sum over fields of log(m/u) at `exact`), the classes are swapped back: m and u
 * of the levels estimated from these pairs, and the prior. Levels not seen keep their starting
 * values (swapping them would turn the built-in weights upside down).
 */
function orient(model: MatchModel, seen: ReadonlySet<string>): MatchModel {
  let balance = 0;
  for (const [field, fm] of Object.entries(model.fields)) {
    const m = fm.m.exact;
    const u = fm.u.exact;
    if (seen.has(`${field}:exact`) && m !== undefined && u !== undefined) balance += Math.log(m / u);
  }
  if (balance >= 0) return model;
  const fields: Record<string, FieldModel> = {};
  for (const [field, fm] of Object.entries(model.fields)) {
    const m: Partial<Record<Level, number>> = { ...fm.m };
    const u: Partial<Record<Level, number>> = { ...fm.u };
    for (const l of Object.keys(fm.m) as Level[]) {
      if (!seen.has(`${field}:${l}`)) continue;
      m[l] = fm.u[l];
      u[l] = fm.m[l];
    }
    fields[field] = { m, u };
  }
  return { prior: 1 - model.prior, fields };
}

/**
 * Whether a write keyed on an existing email carries another person's name: both first and last
 * names given on both sides, and neither agrees even loosely (nicknames, typos and swapped names
 * count as agreeing). A shared mailbox or a recycled address, not an update of the same person.
 */
export function namesConflict(
  existing: { firstName?: string | null; lastName?: string | null },
  incoming: { firstName?: string | null; lastName?: string | null },
): boolean {
  if (!existing.firstName || !existing.lastName || !incoming.firstName || !incoming.lastName) return false;
  const l = compare('contact', { id: 'a', ...existing }, { id: 'b', ...incoming });
  return l.firstName === 'diff' && l.lastName === 'diff';
}
