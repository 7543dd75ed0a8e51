import { z } from 'zod';

/**
 * The value types a field (core or custom) can have, and the zod schema that validates a value
 * of each type as the API, the web forms and the importer receive it. Shared with the web app,
 * so no Node imports here.
 */
export const fieldTypes = [
  'text',
  'number',
  'boolean',
  'date',
  'datetime',
  'select',
  'multiselect',
  'url',
  'email',
  'phone',
  'currency',
] as const;
export const fieldTypeSchema = z.enum(fieldTypes);
export type FieldType = z.infer<typeof fieldTypeSchema>;

export const fieldTypeLabels: Record<FieldType, string> = {
  text: 'Text',
  number: 'Number',
  boolean: 'Yes / no',
  date: 'Date',
  datetime: 'Date and time',
  select: 'Single select',
  multiselect: 'Multi select',
  url: 'URL',
  email: 'Email',
  phone: 'Phone',
  currency: 'Currency',
};

export const objectNames = ['contact', 'account'] as const;
export const objectNameSchema = z.enum(objectNames);
export type ObjectName = z.infer<typeof objectNameSchema>;

const LOCAL_ATOM = /^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]|[^\p{C}\p{Z}\p{ASCII}])+$/u;
const DOMAIN_CHARS = /^(?:[a-z0-9.-]|[^\p{C}\p{Z}\p{ASCII}])+$/u;
const ASCII_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const PLAIN_DOMAIN = /^[a-z0-9.-]+$/;
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** The one normal form of an email: trimmed, lower-cased, NFC. */
export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase().normalize('NFC');
}

/**
 * An address people really use (RFC 5321 dot-atoms, plus-addressing, unicode local parts and
 * internationalised domains per RFC 6531), without quoted local parts or IP literals. The domain
 * goes through the WHATWG URL parser's IDNA step, in Node and in the browser alike.
 */
export function isValidEmail(email: string): boolean {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (at <= 0 || email.length > 254 || local.length > 64 || !local.split('.').every((a) => LOCAL_ATOM.test(a))) return false;
  if (!DOMAIN_CHARS.test(domain) || domain.split('.').includes('')) return false;
  let ascii = domain;
  // Plain ASCII names need no IDNA step (most addresses: a URL per address was a measured import cost).
  if (!PLAIN_DOMAIN.test(domain) || domain.includes('xn--')) {
    try {
      ascii = new URL(`http://${domain}`).hostname;
    } catch {
      return false;
    }
  }
  const labels = ascii.split('.');
  return ascii.length <= 253 && labels.length >= 2 && labels.every((l) => ASCII_LABEL.test(l)) && TLD.test(labels.at(-1) ?? '');
}

/** Trimmed, lower-cased email; the one normal form stored and compared. */
export const recordEmailSchema = z
  .string()
  .max(300, 'Email is too long')
  .transform(normaliseEmail)
  .refine(isValidEmail, 'Enter a valid email address');

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isCalendarDate(v: string): boolean {
  const m = ISO_DATE.exec(v);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** Digits, spaces and the punctuation phone numbers are written with; normalising is data quality's job. */
export const PHONE_RE = /^\+?[0-9 ().\-/]{3,30}(\s*(x|ext\.?)\s*[0-9]{1,6})?$/i;

export interface FieldShape {
  type: FieldType;
  label: string;
  options?: readonly string[];
}

/** The schema for one value of a field, as JSON. `null` is allowed: it clears the value. */
export function valueSchema(f: FieldShape): z.ZodType<unknown> {
  const label = f.label;
  switch (f.type) {
    case 'text':
      return z.string().trim().max(10_000, `${label} is too long (10,000 characters at most)`);
    case 'number':
      return z.number({ error: `${label} must be a number` }).finite();
    case 'boolean':
      return z.boolean({ error: `${label} must be true or false` });
    case 'date':
      return z
        .string({ error: `${label} must be a date (YYYY-MM-DD)` })
        .refine(isCalendarDate, `${label} must be a real date as YYYY-MM-DD`);
    case 'datetime':
      return z
        .string({ error: `${label} must be a date and time` })
        .pipe(z.iso.datetime({ offset: true, error: `${label} must be an ISO 8601 date and time` }))
        .transform((v) => new Date(v).toISOString());
    case 'select': {
      const options = f.options ?? [];
      return z.string().refine((v) => options.includes(v), { message: `${label} must be one of: ${options.join(', ')}` });
    }
    case 'multiselect': {
      const options = f.options ?? [];
      return z
        .array(z.string())
        .max(100)
        .refine((vs) => vs.every((v) => options.includes(v)), { message: `${label} values must be among: ${options.join(', ')}` })
        .transform((vs) => [...new Set(vs)]);
    }
    case 'url':
      return z
        .string()
        .trim()
        .max(2048, `${label} is too long`)
        .pipe(z.url({ protocol: /^https?$/, error: `${label} must be an http(s) URL` }));
    case 'email':
      return recordEmailSchema;
    case 'phone':
      return z.string().trim().regex(PHONE_RE, `${label} must be a phone number`);
    case 'currency':
      return z
        .number({ error: `${label} must be an amount in minor units (cents)` })
        .int(`${label} must be a whole number of minor units (cents)`)
        .refine((v) => Number.isSafeInteger(v), `${label} is too large`);
  }
}
