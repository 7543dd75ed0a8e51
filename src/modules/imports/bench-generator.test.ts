// The benchmark's CSV generator lives in bench/lib; vitest only runs src/**/*.test.ts, so its
// test is here, where it also checks the file against the import's own parsers.
import { readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { describe, expect, it } from 'vitest';
import { CONTACTS_CSV_CUSTOM_FIELDS, contactCsvLines, writeContactsCsv } from '../../../bench/lib/contacts-csv.js';
import { normaliseHeader } from './header-mapping.js';
import {
  parseBooleanCell,
  parseCurrencyCell,
  parseDateCell,
  parseEmailCell,
  parseNumberCell,
  parsePhoneCell,
  parseSelectCell,
} from './value-parsers.js';

const HEADER = [
  'Email',
  'First Name',
  'Last Name',
  'Phone Number',
  'Job Title',
  'Company Name',
  'Country',
  'City',
  'Industry Segment',
  'Employees',
  'Newsletter Opt In',
  'Signup Date',
  'Annual Budget',
];

async function records(lines: Iterable<string>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const record of Readable.from(lines).pipe(parse())) out.push(record as string[]);
  return out;
}

/** Rows repeating an earlier email in any case, and rows whose email does not parse. */
function emailStats(rows: readonly string[][]): { duplicates: number; invalid: number } {
  const seen = new Set<string>();
  let duplicates = 0;
  let invalid = 0;
  for (const [email = ''] of rows) {
    if (!parseEmailCell(email).ok) invalid++;
    else if (seen.has(email.toLowerCase())) duplicates++;
    else seen.add(email.toLowerCase());
  }
  return { duplicates, invalid };
}

describe('contactCsvLines', () => {
  it('is deterministic for a seed, and differs between seeds', () => {
    const a = [...contactCsvLines({ rows: 500, seed: 42 })];
    expect([...contactCsvLines({ rows: 500, seed: 42 })]).toEqual(a);
    expect([...contactCsvLines({ rows: 500, seed: 43 })]).not.toEqual(a);
    // A longer file starts with the same rows.
    expect([...contactCsvLines({ rows: 600, seed: 42 })].slice(0, 501)).toEqual(a);
  });

  it('yields the header, then one line per row', () => {
    const lines = [...contactCsvLines({ rows: 1000, seed: 1 })];
    expect(lines).toHaveLength(1001);
    expect(lines[0]).toBe(`${HEADER.join(',')}\n`);
    for (const line of lines) expect(line.endsWith('\n')).toBe(true);
    expect([...contactCsvLines({ rows: 0, seed: 1 })]).toEqual([lines[0]]);
    expect(() => [...contactCsvLines({ rows: -1, seed: 1 })]).toThrow(RangeError);
  });

  it('parses into 13 columns a row, with about 2% repeated and 1% broken emails', async () => {
    const [header, ...rows] = await records(contactCsvLines({ rows: 10_000, seed: 7 }));
    expect(header).toEqual(HEADER);
    expect(rows).toHaveLength(10_000);
    for (const row of rows) expect(row).toHaveLength(13);
    const { duplicates, invalid } = emailStats(rows);
    expect(duplicates).toBeGreaterThan(150);
    expect(duplicates).toBeLessThan(250);
    expect(invalid).toBeGreaterThan(60);
    expect(invalid).toBeLessThan(140);
    // Names and companies that need quoting do occur.
    expect(rows.some((r) => r[2]?.includes(', '))).toBe(true);
    expect(rows.some((r) => r[1]?.includes('"'))).toBe(true);
    expect(rows.some((r) => r[5]?.includes(','))).toBe(true);
  });

  it('holds values the import parsers accept, phones included', async () => {
    const [, ...rows] = await records(contactCsvLines({ rows: 5_000, seed: 3 }));
    const segment = CONTACTS_CSV_CUSTOM_FIELDS.find((f) => f.key === 'industry_segment');
    const failures: string[] = [];
    const check = (cell: string, result: { ok: boolean }) => {
      if (cell !== '' && !result.ok) failures.push(cell);
    };
    for (const [, , , phone = '', , , , , seg = '', employees = '', optIn = '', signup = '', budget = ''] of rows) {
      check(phone, parsePhoneCell(phone, 'US'));
      check(seg, parseSelectCell(seg, segment?.options ?? []));
      check(employees, parseNumberCell(employees));
      check(optIn, parseBooleanCell(optIn));
      check(signup, parseDateCell(signup, 'iso'));
      check(budget, parseCurrencyCell(budget));
    }
    expect(failures).toEqual([]);
    expect(rows.filter((r) => r[3] !== '' && !r[3]?.startsWith('+')).length).toBeGreaterThan(100);
  });

  it('describes its custom fields by the header they fill', () => {
    expect(CONTACTS_CSV_CUSTOM_FIELDS.map((f) => f.label)).toEqual(HEADER.slice(8));
    for (const f of CONTACTS_CSV_CUSTOM_FIELDS) expect(normaliseHeader(f.key)).toBe(normaliseHeader(f.label));
  });
});

describe('writeContactsCsv', () => {
  it('writes the same lines to disk and counts them', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'keel-contacts-csv-'));
    try {
      const file = path.join(dir, 'contacts.csv');
      const stats = await writeContactsCsv(file, { rows: 20_000, seed: 11 });
      const text = await readFile(file, 'utf8');
      expect(text).toBe([...contactCsvLines({ rows: 20_000, seed: 11 })].join(''));
      expect(stats.rows).toBe(20_000);
      expect(stats.bytes).toBe(Buffer.byteLength(text));
      const [, ...rows] = await records([text]);
      expect({ duplicates: stats.duplicates, invalid: stats.invalid }).toEqual(emailStats(rows));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
