// Turns one CSV cell into a typed value, or into a short reason the importer writes to the error
// CSV next to the row. Blank cells are the caller's business (they mean "no value"); here a
// blank is simply not a valid value. No parser throws on any input.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { isValidEmail, normaliseEmail } from '../crm/field-types.js';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export type DateFormat = 'iso' | 'us' | 'eu';

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = (reason: string): ParseResult<never> => ({ ok: false, reason });

/** The cell as shown in a reason, cut short so one huge cell cannot swamp the error CSV. */
function quote(raw: string): string {
  const s = raw.trim();
  return `"${s.length > 40 ? `${cutAt(s, 40)}…` : s}"`;
}

/** The first `n` UTF-16 units of `s`, one less where the cut would split a surrogate pair (an emoji). */
export function cutAt(s: string, n: number): string {
  const code = s.charCodeAt(n - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

// ---------------------------------------------------------------------------------------------
// Dates

const MONTHS: Record<string, number> = {
  jan: 1,
  january: 1,
  feb: 2,
  february: 2,
  mar: 3,
  march: 3,
  apr: 4,
  april: 4,
  may: 5,
  jun: 6,
  june: 6,
  jul: 7,
  july: 7,
  aug: 8,
  august: 8,
  sep: 9,
  sept: 9,
  september: 9,
  oct: 10,
  october: 10,
  nov: 11,
  november: 11,
  dec: 12,
  december: 12,
};

const WEEKDAY = String.raw`(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?`;
const YEAR_FIRST = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;
const NUMERIC = /^(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})$/;
const NAME_DAY_YEAR = new RegExp(String.raw`^${WEEKDAY}([a-z]+)\.?[\s\-/]*(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/]+(\d{4}|\d{2})$`, 'i');
const DAY_NAME_YEAR = new RegExp(String.raw`^${WEEKDAY}(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]*([a-z]+)\.?,?[\s\-/.]+(\d{4}|\d{2})$`, 'i');
const YEAR_NAME_DAY = /^(\d{4})[\s\-/]+([a-z]+)\.?[\s\-/]+(\d{1,2})$/i;

// A time after the date: "T10:15", " 10:15:30.123", " 3:05 PM", "T10:15:00+02:00", " 10:15 UTC".
const TIME_SUFFIX = /(?:,?\s+|T)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([ap]\.?m\.?)?\s*(z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?$/i;

// The longest real date-time is about 40 characters ("Wednesday, September 24th, 2024 10:15:30.123
// PM +02:00"); refusing longer cells up front keeps the regular expressions linear.
const MAX_DATE_LENGTH = 64;

interface Ymd {
  y: number;
  m: number;
  d: number;
}

/** What a date looks like before a format is applied: fully known, or day and month in some order. */
type DateShape = { kind: 'ymd'; date: Ymd } | { kind: 'numeric'; first: number; second: number; y: number };

// Two-digit years: 00-69 are this century, 70-99 the last (the POSIX strptime %y pivot).
function fullYear(digits: string): number {
  const n = Number(digits);
  if (digits.length > 2) return n;
  return n < 70 ? 2000 + n : 1900 + n;
}

function shapeOf(s: string): DateShape | null {
  if (s.length > MAX_DATE_LENGTH) return null;
  let m = YEAR_FIRST.exec(s) ?? COMPACT.exec(s);
  if (m) {
    const [y, mo, d] = m.length === 5 ? [m[1], m[3], m[4]] : [m[1], m[2], m[3]];
    return { kind: 'ymd', date: { y: Number(y), m: Number(mo), d: Number(d) } };
  }
  m = NUMERIC.exec(s);
  if (m) return { kind: 'numeric', first: Number(m[1]), second: Number(m[3]), y: fullYear(m[4] ?? '') };
  const named: Array<[RegExpExecArray | null, number, number, number]> = [
    [NAME_DAY_YEAR.exec(s), 1, 2, 3],
    [DAY_NAME_YEAR.exec(s), 2, 1, 3],
    [YEAR_NAME_DAY.exec(s), 2, 3, 1],
  ];
  for (const [match, month, day, year] of named) {
    const monthNumber = match ? MONTHS[(match[month] ?? '').toLowerCase()] : undefined;
    if (match && monthNumber !== undefined) {
      return { kind: 'ymd', date: { y: fullYear(match[year] ?? ''), m: monthNumber, d: Number(match[day]) } };
    }
  }
  return null;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

function resolveDate(raw: string, shape: DateShape, format: DateFormat | 'auto'): ParseResult<Ymd> {
  let date: Ymd;
  if (shape.kind === 'ymd') {
    date = shape.date;
  } else {
    const { first, second, y } = shape;
    const us = { y, m: first, d: second };
    const eu = { y, m: second, d: first };
    if (format === 'iso') return fail(`${quote(raw)} is not a YYYY-MM-DD date`);
    if (format === 'us') date = us;
    else if (format === 'eu') date = eu;
    else if (first === second || second > 12) date = us;
    else if (first > 12) date = eu;
    else return fail(`ambiguous date ${quote(raw)}: choose US or EU date format`);
    if (date.m > 12 && format !== 'auto') {
      return fail(`${quote(raw)} is not a valid ${format === 'us' ? 'US date (MM/DD/YYYY)' : 'EU date (DD/MM/YYYY)'}`);
    }
  }
  const { y, m, d } = date;
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return fail(`${quote(raw)} is not a real calendar date`);
  return ok(date);
}

function isoDate({ y, m, d }: Ymd): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** A date cell as `YYYY-MM-DD`. Year-first and month-name dates read the same in every format. */
export function parseDateCell(raw: string, format: DateFormat | 'auto'): ParseResult<string> {
  const shape = shapeOf(raw.trim());
  if (!shape) return fail(`${quote(raw)} is not a valid date`);
  const date = resolveDate(raw, shape, format);
  return date.ok ? ok(isoDate(date.value)) : date;
}

/**
 * Which date format a column is in, judged from many of its values: a first part above 12 can
 * only be a day (EU), a second part above 12 only a day (US). A column showing both is mixed, and
 * one where every day and month is 12 or less cannot be told: the user chooses ('ambiguous').
 */
export function detectDateFormat(samples: readonly string[]): DateFormat | 'ambiguous' | null {
  let dateLike = false;
  let eu = false;
  let us = false;
  let undecided = false;
  for (const sample of samples) {
    const s = sample.trim();
    if (s.length > MAX_DATE_LENGTH) continue;
    const time = TIME_SUFFIX.exec(s);
    const shape = shapeOf(time && time.index > 0 ? s.slice(0, time.index) : s);
    if (!shape) continue;
    if (shape.kind === 'ymd') {
      dateLike = true;
    } else if (shape.first <= 31 && shape.second <= 31 && (shape.first <= 12 || shape.second <= 12)) {
      dateLike = true;
      if (shape.first > 12) eu = true;
      else if (shape.second > 12) us = true;
      else undecided = true;
    }
  }
  if (!dateLike) return null;
  if (eu && us) return 'ambiguous';
  if (eu) return 'eu';
  if (us) return 'us';
  return undecided ? 'ambiguous' : 'iso';
}

/**
 * A date-time cell as an ISO 8601 UTC string. A time without an offset is taken as UTC, and a
 * date alone as midnight UTC. Ten digits are Unix seconds, thirteen Unix milliseconds.
 */
export function parseDateTimeCell(raw: string, format: DateFormat | 'auto'): ParseResult<string> {
  const s = raw.trim();
  if (/^\d{10}$/.test(s)) return fromEpoch(Number(s) * 1000);
  if (/^\d{13}$/.test(s)) return fromEpoch(Number(s));

  if (s.length > MAX_DATE_LENGTH) return fail(`${quote(raw)} is not a valid date and time`);
  const time = TIME_SUFFIX.exec(s);
  const datePart = time && time.index > 0 ? s.slice(0, time.index) : s;
  const shape = shapeOf(datePart);
  if (!shape) return fail(`${quote(raw)} is not a valid date and time`);
  const date = resolveDate(raw, shape, format);
  if (!date.ok) return date;

  let [hours, minutes, seconds, millis, offsetMinutes] = [0, 0, 0, 0, 0];
  if (time && time.index > 0) {
    const [, h = '', mi = '', sec = '0', fraction = '', meridiem, zone] = time;
    hours = Number(h);
    minutes = Number(mi);
    seconds = Number(sec);
    millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
    if (meridiem) {
      if (hours < 1 || hours > 12) return fail(`${quote(raw)} is not a valid time`);
      hours = (hours % 12) + (meridiem[0]?.toLowerCase() === 'p' ? 12 : 0);
    }
    if (hours > 23 || minutes > 59 || seconds > 59) return fail(`${quote(raw)} is not a valid time`);
    const offset = zone ? /^([+-])(\d{2}):?(\d{2})?$/.exec(zone) : null;
    if (offset) {
      const [, sign, oh = '0', om = '0'] = offset;
      if (Number(oh) > 14 || Number(om) > 59) return fail(`${quote(raw)} has an invalid time zone offset`);
      offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
    }
  }
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  const at = new Date(0);
  at.setUTCFullYear(date.value.y, date.value.m - 1, date.value.d);
  at.setUTCHours(hours, minutes, seconds, millis);
  return fromEpoch(at.getTime() - offsetMinutes * 60_000, raw);
}

function fromEpoch(ms: number, raw?: string): ParseResult<string> {
  const at = new Date(ms);
  const year = at.getUTCFullYear();
  if (!Number.isFinite(ms) || year < 1 || year > 9999) return fail(`${quote(raw ?? String(ms))} is out of range`);
  return ok(at.toISOString());
}

// ---------------------------------------------------------------------------------------------
// Numbers and money
//
// A number is read in one of two conventions, tried in this order:
//   1. `.` decimal point, optional `,` / space / `'` thousands groups: 1234.5  1,234.5  1 234.5
//   2. `,` decimal comma, optional `.` / space / `'` thousands groups: 12,5  1.234,50  1.234.567
// So "1,234" is one thousand two hundred and thirty-four and "1.234" is one point two three four:
// a lone separator followed by exactly three digits always reads the first way.

const GROUP = String.raw`[ '\u00a0\u202f]`;
const POINT_DECIMAL = new RegExp(String.raw`^(\d{1,3}([,]|${GROUP})\d{3}(?:\2\d{3})*|\d*)(?:\.(\d+))?$`);
const COMMA_DECIMAL = new RegExp(String.raw`^(\d{1,3}([.]|${GROUP})\d{3}(?:\2\d{3})*|\d*)(?:,(\d+))?$`);

// Longer than any amount a person types; keeps the patterns below from scanning huge cells.
const MAX_NUMBER_LENGTH = 64;
const SIGN = /^([+\-\u2212]?)\s*(.*)$/s;

/** The digits before and after the decimal separator of an unsigned number, or null. */
function readUnsigned(s: string): { int: string; frac: string } | null {
  const m = POINT_DECIMAL.exec(s) ?? COMMA_DECIMAL.exec(s);
  if (!m) return null;
  const int = (m[1] ?? '').replace(/\D/g, '');
  const frac = m[3] ?? '';
  return int === '' && frac === '' ? null : { int, frac };
}

export function parseNumberCell(raw: string): ParseResult<number> {
  const s = raw.trim();
  if (s.length > MAX_NUMBER_LENGTH) return fail(`${quote(raw)} is not a number`);
  let value: number;
  // Spreadsheets write large or tiny numbers in scientific notation (1.5E+12).
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)e[+-]?\d+$/i.test(s)) {
    value = Number(s);
  } else {
    const [, sign = '', body = ''] = SIGN.exec(s) ?? [];
    const n = readUnsigned(body);
    if (!n) return fail(`${quote(raw)} is not a number`);
    value = Number(`${sign === '' || sign === '+' ? '' : '-'}${n.int || '0'}.${n.frac || '0'}`);
  }
  if (!Number.isFinite(value)) return fail(`${quote(raw)} is not a number`);
  return ok(value === 0 ? 0 : value);
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'on', 'checked']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', 'off', 'unchecked']);

export function parseBooleanCell(raw: string): ParseResult<boolean> {
  const s = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(s)) return ok(true);
  if (FALSE_WORDS.has(s)) return ok(false);
  return fail(`${quote(raw)} is not yes or no`);
}

// "-$1,234.50", "$-12", "EUR 1.234,50", "12,50 €", "US$ 5": a sign, then a currency symbol or an
// ISO 4217 code (upper-case, so "12 yrs" is not read as money) on either side of the amount.
const AMOUNT = /^([+\-\u2212]?)\s*(?:[A-Z]{3}|[A-Za-z]{0,2}\p{Sc})?\s*([+\-\u2212]?)\s*(.*?)\s*(?:[A-Z]{3}|\p{Sc})?$/su;

/**
 * An amount as integer minor units (cents), computed from the digits as written, never through a
 * float. More than two decimals is refused rather than rounded.
 */
export function parseCurrencyCell(raw: string): ParseResult<number> {
  const s = raw.trim();
  const [, before = '', after = '', body = ''] = (s.length <= MAX_NUMBER_LENGTH ? AMOUNT.exec(s) : null) ?? [];
  const n = before !== '' && after !== '' ? null : readUnsigned(body);
  if (!n) return fail(`${quote(raw)} is not an amount`);
  if (n.frac.length > 2) return fail(`${quote(raw)} has more than 2 decimal places`);
  const minor = BigInt(n.int || '0') * 100n + BigInt(n.frac.padEnd(2, '0'));
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return fail(`${quote(raw)} is too large an amount`);
  const negative = (before || after) !== '' && (before || after) !== '+';
  return ok(minor === 0n ? 0 : Number(negative ? -minor : minor));
}

/** Minor units as `1234.50`, the form parseCurrencyCell reads back exactly. */
export function formatMinorUnits(minor: number): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`formatMinorUnits: ${minor} is not a safe integer`);
  const digits = String(Math.abs(minor)).padStart(3, '0');
  return `${minor < 0 ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

// ---------------------------------------------------------------------------------------------
// Choices

const fold = (s: string) => s.normalize('NFC').toLowerCase();

function matchOption(value: string, options: readonly string[]): string | undefined {
  return options.find((o) => o === value) ?? options.find((o) => fold(o) === fold(value));
}

function notOptions(values: readonly string[], options: readonly string[], label: string | undefined): string {
  const shown = options.length > 10 ? `${options.slice(0, 10).join(', ')}, …` : options.join(', ');
  const subject = values.map(quote).join(', ');
  const verb = values.length === 1 ? 'is not an option' : 'are not options';
  return `${subject} ${verb}${label ? ` of ${label}` : ''} (${shown})`;
}

/** The option the cell names, in the option's own spelling; case does not matter. */
export function parseSelectCell(raw: string, options: readonly string[], label?: string): ParseResult<string> {
  const option = matchOption(raw.trim(), options);
  return option === undefined ? fail(notOptions([raw], options, label)) : ok(option);
}

/**
 * Options separated by `;` (HubSpot's and Salesforce's multi-select separator), or by `|` or `,`
 * when the cell has no `;`. A cell that is exactly one option is that option, commas and all.
 */
export function parseMultiSelectCell(raw: string, options: readonly string[], label?: string): ParseResult<string[]> {
  const s = raw.trim();
  if (s === '') return ok([]);
  const whole = matchOption(s, options);
  if (whole !== undefined) return ok([whole]);
  const parts = (s.includes(';') ? s.split(';') : s.split(/[|,]/)).map((p) => p.trim()).filter((p) => p !== '');
  const chosen: string[] = [];
  const unknown: string[] = [];
  for (const part of parts) {
    const option = matchOption(part, options);
    if (option === undefined) unknown.push(part);
    else if (!chosen.includes(option)) chosen.push(option);
  }
  return unknown.length > 0 ? fail(notOptions(unknown, options, label)) : ok(chosen);
}

// ---------------------------------------------------------------------------------------------
// Links, emails, phones

/** An http(s) URL in the WHATWG URL parser's normal form; a bare `example.com/x` gets https://. */
export function parseUrlCell(raw: string): ParseResult<string> {
  const s = raw.trim();
  if (s === '' || s.length > 2048 || /\s/.test(s)) return fail('not a valid URL');
  // "example.com:8080" also looks like a scheme; a real scheme has no dot.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(s)?.[1];
  let candidate: string;
  if (scheme !== undefined && !scheme.includes('.')) {
    if (!/^https?$/i.test(scheme)) return fail('only http and https links are allowed');
    candidate = s;
  } else {
    candidate = s.startsWith('//') ? `https:${s}` : `https://${s}`;
  }
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return fail('not a valid URL');
  }
  const host = url.hostname;
  const hostOk = host.startsWith('[') || (host.includes('.') && !host.endsWith('.') && !host.split('.').includes(''));
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !hostOk || url.username !== '' || url.password !== '') {
    return fail('not a valid URL');
  }
  return ok(url.href);
}

/**
 * A trimmed, lower-cased address. Quoted local parts and IP-literal domains are valid in
 * RFC 5321 but never seen in marketing lists, so they are refused with the typos.
 */
export function parseEmailCell(raw: string): ParseResult<string> {
  const email = normaliseEmail(raw);
  return isValidEmail(email) ? ok(email) : fail('not a valid email');
}

/** An E.164 number (+14155550132); without a leading + the number is read in `defaultCountry`. */
export function parsePhoneCell(raw: string, defaultCountry?: CountryCode): ParseResult<string> {
  const s = raw.trim();
  // extract: false makes the whole cell the number, not just a number found somewhere in it.
  const phone = s.length > 0 && s.length <= 64 ? parsePhoneNumberFromString(s, { defaultCountry, extract: false }) : undefined;
  return phone?.isValid() ? ok(phone.number) : fail('not a valid phone number');
}
