// A deterministic, realistic contacts CSV for the import benchmark: HubSpot-style headers, five
// custom fields, names that need quoting, phones in mixed formats, ~2% repeated emails (in another
// case) and ~1% broken ones. Every row is computed from (seed, row number) alone, so a file of any
// size streams out in constant memory and a repeated email is found again without remembering it.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type ContactsCsvFieldType = 'select' | 'number' | 'boolean' | 'date' | 'currency';

export interface ContactsCsvCustomField {
  key: string;
  label: string;
  type: ContactsCsvFieldType;
  options?: readonly string[];
}

export const CONTACTS_CSV_CUSTOM_FIELDS: readonly ContactsCsvCustomField[] = [
  {
    key: 'industry_segment',
    label: 'Industry Segment',
    type: 'select',
    options: ['SaaS', 'Retail', 'Healthcare', 'Finance', 'Manufacturing', 'Education'],
  },
  { key: 'employees', label: 'Employees', type: 'number' },
  { key: 'newsletter_opt_in', label: 'Newsletter Opt In', type: 'boolean' },
  { key: 'signup_date', label: 'Signup Date', type: 'date' },
  { key: 'annual_budget', label: 'Annual Budget', type: 'currency' },
];

const HEADERS = ['Email', 'First Name', 'Last Name', 'Phone Number', 'Job Title', 'Company Name', 'Country', 'City'];
const HEADER_LINE = `${[...HEADERS, ...CONTACTS_CSV_CUSTOM_FIELDS.map((f) => f.label)].join(',')}\n`;

const DUPLICATE_SHARE = 0.02;
const INVALID_SHARE = 0.01;

// prettier-ignore
const FIRST_NAMES = [
  'Maya', 'José', 'Zoë', 'Liam', 'Olivia', 'Noah', 'Amara', 'Chen', 'Priya', 'Mohammed', 'Sofia', 'Lukas', 'Aoife', 'Kenji',
  'Fatima', 'Mateo', 'Ingrid', 'Oluwaseun', 'Hannah', 'Björn', 'Chloé', 'Dmitri', 'Leila', 'Raj', 'Emma', 'Lucas', 'Yuki', 'Ana',
  'Tomás', 'Grace', 'Ethan', 'Nadia', 'Omar', 'Isabel', 'Jonas', 'Mei', 'Kwame', 'Elena', 'Seán', 'Aisha',
];

// prettier-ignore
const LAST_NAMES = [
  'Smith', "O'Brien", 'García', 'Müller', 'Nguyen', 'Okafor', 'Kowalski', 'Rossi', 'Johansson', 'Patel', 'Kim', 'Dubois', 'Silva',
  'Andersen', 'Cohen', 'Tanaka', 'Ivanova', 'Murphy', 'Hernández', 'Schmidt', 'Lindqvist', 'Raman', 'Alvarez', 'Moreau', 'Brown',
  'Wilson', 'Fischer', 'da Costa', 'van der Berg', 'MacDonald', 'Novak', 'Haddad', 'Mensah', 'Santos', 'Larsen', 'Jensen', 'Weber',
  'Ali', 'Nakamura', 'Ó Súilleabháin',
];

const COMPANIES: ReadonlyArray<{ name: string; domain: string }> = [
  { name: 'Northwind Traders', domain: 'northwind-traders.com' },
  { name: 'Contoso Ltd', domain: 'contoso.co.uk' },
  { name: 'Globex Corporation', domain: 'globex.com' },
  { name: 'Initech', domain: 'initech.io' },
  { name: 'Umbrella Health', domain: 'umbrella-health.com' },
  { name: 'Stark Manufacturing', domain: 'stark-mfg.com' },
  { name: 'Wayne Financial', domain: 'waynefinancial.com' },
  { name: 'Acme, Inc.', domain: 'acme.com' },
  { name: 'Smith, Jones & Co.', domain: 'smithjones.co.uk' },
  { name: 'Blue Harbor Analytics', domain: 'blueharbor.ai' },
  { name: 'Lumen Learning', domain: 'lumenlearning.org' },
  { name: 'Fjord Retail AB', domain: 'fjordretail.se' },
  { name: 'Brightwave Media', domain: 'brightwave.media' },
  { name: 'Kestrel Logistics', domain: 'kestrel-logistics.de' },
  { name: 'Maple & Pine Outfitters', domain: 'mapleandpine.ca' },
  { name: 'Sakura Systems', domain: 'sakura-systems.jp' },
  { name: 'Tidewater Bank', domain: 'tidewaterbank.com' },
  { name: 'Helios Energy', domain: 'helios-energy.es' },
  { name: 'Quantum Leap Software', domain: 'quantumleap.dev' },
  { name: 'Ridgeback Security', domain: 'ridgeback.co.za' },
  { name: 'Orchard Foods', domain: 'orchardfoods.ie' },
  { name: 'Atlas "Prime" Holdings', domain: 'atlasprime.com' },
  { name: 'Nimbus Cloud', domain: 'nimbuscloud.io' },
  { name: 'Verde Farms', domain: 'verdefarms.com.br' },
  { name: 'Polaris Education', domain: 'polaris.edu.au' },
  { name: 'Copperleaf Clinics', domain: 'copperleaf.health' },
  { name: 'Aurora Labs', domain: 'auroralabs.nl' },
  { name: 'Saffron Retail', domain: 'saffron-retail.in' },
  { name: 'Lagos Fintech Hub', domain: 'lagosfintech.ng' },
  { name: 'Merlion Trading', domain: 'merlion.sg' },
];

// prettier-ignore
const TITLES = [
  'Marketing Manager', 'VP of Sales', 'Head of Growth', 'CMO', 'Demand Generation Manager', 'Marketing Operations Specialist',
  'Director, Marketing', 'Product Manager', 'Software Engineer', 'CEO', 'Founder & CEO', 'Content Strategist', 'SEO Specialist',
  'Account Executive', 'Sales Development Representative', 'Customer Success Manager', 'CFO', 'Head of People', 'Data Analyst',
  'Revenue Operations Lead', 'Brand Manager', 'Events Coordinator', 'IT Director', 'Procurement Manager', 'Office Manager',
];

type Rng = () => number;
type PhoneFormat = (rng: Rng) => string;

const digits = (rng: Rng, n: number): string => Array.from({ length: n }, () => Math.floor(rng() * 10)).join('');
// Subscriber numbers starting 0 or 1 are unassigned in several numbering plans.
const subscriber = (rng: Rng, n: number): string => `${2 + Math.floor(rng() * 8)}${digits(rng, n - 1)}`;

function northAmerican(areaCodes: readonly string[], national: boolean): PhoneFormat {
  return (rng) => {
    const area = pick(rng, areaCodes);
    // An exchange ending in 11 is a service code (411, 911), never a subscriber's.
    let exchange = subscriber(rng, 3);
    if (exchange.endsWith('11')) exchange = `${exchange.slice(0, 2)}2`;
    const line = digits(rng, 4);
    const formats = [`+1 ${area} ${exchange} ${line}`, `+1${area}${exchange}${line}`, `+1-${area}-${exchange}-${line}`];
    if (national)
      formats.push(
        `(${area}) ${exchange}-${line}`,
        `${area}-${exchange}-${line}`,
        `${area}.${exchange}.${line}`,
        `${area}${exchange}${line}`,
      );
    return pick(rng, formats);
  };
}

// Number ranges are the assigned ones (valid under libphonenumber's full metadata, not only by
// length), so the generated phones are errors only when the import has a bug.
const COUNTRIES: ReadonlyArray<{ name: string; weight: number; cities: readonly string[]; phones: readonly PhoneFormat[] }> = [
  {
    name: 'United States',
    weight: 40,
    cities: ['New York', 'San Francisco', 'Austin', 'Chicago', 'Boston', 'Seattle', 'Denver', 'Atlanta'],
    // US files are the ones whose phones come without a country code: the import's default country.
    phones: [northAmerican(['212', '415', '512', '312', '617', '206', '303', '404'], true)],
  },
  { name: 'Canada', weight: 6, cities: ['Toronto', 'Vancouver', 'Montréal'], phones: [northAmerican(['416', '604', '514'], false)] },
  {
    name: 'United Kingdom',
    weight: 10,
    cities: ['London', 'Manchester', 'Edinburgh', 'Bristol'],
    phones: [(r) => `+44 20 7${digits(r, 3)} ${digits(r, 4)}`, (r) => `+44 7400 ${digits(r, 6)}`],
  },
  {
    name: 'Germany',
    weight: 8,
    cities: ['Berlin', 'München', 'Hamburg', 'Köln'],
    phones: [(r) => `+49 30 ${subscriber(r, 8)}`, (r) => `+49 151 ${digits(r, 8)}`],
  },
  {
    name: 'France',
    weight: 6,
    cities: ['Paris', 'Lyon', 'Marseille'],
    phones: [
      (r) => `+33 1 ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)}`,
      (r) => `+33 6 ${1 + Math.floor(r() * 2)}${digits(r, 7)}`,
    ],
  },
  {
    name: 'Spain',
    weight: 4,
    cities: ['Madrid', 'Barcelona', 'A Coruña'],
    phones: [(r) => `+34 91${digits(r, 1)} ${digits(r, 3)} ${digits(r, 3)}`],
  },
  {
    name: 'Netherlands',
    weight: 3,
    cities: ['Amsterdam', 'Rotterdam', 'Utrecht'],
    phones: [(r) => `+31 20 ${subscriber(r, 3)} ${digits(r, 4)}`],
  },
  {
    name: 'Sweden',
    weight: 3,
    cities: ['Stockholm', 'Göteborg', 'Malmö'],
    phones: [(r) => `+46 8 ${subscriber(r, 3)} ${digits(r, 3)} ${digits(r, 2)}`],
  },
  { name: 'Ireland', weight: 3, cities: ['Dublin', 'Cork', 'Galway'], phones: [(r) => `+353 1 ${subscriber(r, 3)} ${digits(r, 4)}`] },
  {
    name: 'Australia',
    weight: 4,
    cities: ['Sydney', 'Melbourne', 'Brisbane'],
    phones: [(r) => `+61 2 9${digits(r, 3)} ${digits(r, 4)}`, (r) => `+61 41${digits(r, 1)} ${digits(r, 3)} ${digits(r, 3)}`],
  },
  { name: 'Japan', weight: 3, cities: ['Tokyo', 'Osaka', 'Yokohama'], phones: [(r) => `+81 3 ${subscriber(r, 4)} ${digits(r, 4)}`] },
  { name: 'India', weight: 4, cities: ['Bengaluru', 'Mumbai', 'Pune'], phones: [(r) => `+91 98${digits(r, 3)} ${digits(r, 5)}`] },
  { name: 'Brazil', weight: 3, cities: ['São Paulo', 'Rio de Janeiro'], phones: [(r) => `+55 11 9${digits(r, 4)} ${digits(r, 4)}`] },
  {
    name: 'Singapore',
    weight: 2,
    cities: ['Singapore'],
    phones: [
      (r) => `+65 6${1 + Math.floor(r() * 5)}${digits(r, 2)} ${digits(r, 4)}`,
      (r) => `+65 9${Math.floor(r() * 9)}${digits(r, 2)} ${digits(r, 4)}`,
    ],
  },
  { name: 'Nigeria', weight: 1, cities: ['Lagos', 'Abuja'], phones: [(r) => `+234 803 ${digits(r, 3)} ${digits(r, 4)}`] },
];
const COUNTRY_WEIGHT = COUNTRIES.reduce((sum, c) => sum + c.weight, 0);

/** mulberry32: a tiny, fast 32-bit PRNG; plenty for test data, and the same on every platform. */
function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A row's own PRNG: the murmur3 finaliser spreads neighbouring (seed, row) pairs far apart. */
function rowRng(seed: number, row: number): Rng {
  let h = (seed ^ Math.imul(row + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return mulberry32((h ^ (h >>> 16)) >>> 0);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

const slug = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replaceAll('"', '""')}"` : value;
}

type RowKind = 'unique' | 'duplicate' | 'invalid';

interface Person {
  first: string;
  last: string;
  company: { name: string; domain: string };
  email: string;
}

/** The first draws of a row's PRNG: what kind of row it is, and who it is about. */
function personAt(seed: number, row: number): { rng: Rng; kind: RowKind; person: Person } {
  const rng = rowRng(seed, row);
  const roll = rng();
  const kind: RowKind = roll < DUPLICATE_SHARE && row > 0 ? 'duplicate' : roll < DUPLICATE_SHARE + INVALID_SHARE ? 'invalid' : 'unique';
  const first = pick(rng, FIRST_NAMES);
  const last = pick(rng, LAST_NAMES);
  const company = pick(rng, COMPANIES);
  // The row number makes every generated address unique.
  const email = `${slug(first)}.${slug(last)}${row}@${company.domain}`;
  return { rng, kind, person: { first, last, company, email } };
}

/** The person of an earlier unique row; at worst (no unique row before) null. */
function earlierUnique(seed: number, before: number, rng: Rng): Person | null {
  for (let row = Math.floor(rng() * before); row >= 0; row--) {
    const earlier = personAt(seed, row);
    if (earlier.kind === 'unique') return earlier.person;
  }
  return null;
}

function changeCase(rng: Rng, email: string): string {
  const [local = '', domain = ''] = email.split('@');
  const variants = [
    email.toUpperCase(),
    `${local}@${domain.toUpperCase()}`,
    `${local.replace(/(^|\.)([a-z])/g, (_, dot: string, c: string) => dot + c.toUpperCase())}@${domain}`,
    `${local[0]?.toUpperCase() ?? ''}${local.slice(1)}@${domain[0]?.toUpperCase() ?? ''}${domain.slice(1)}`,
  ];
  return pick(rng, variants);
}

function breakEmail(rng: Rng, email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return pick(rng, [
    `${local}${domain}`,
    `${local}@@${domain}`,
    `${local.replace('.', ' ')}@${domain}`,
    `${local} @${domain}`,
    `${local.replace('.', '..')}@${domain}`,
    `${local}@${domain.replace('.', '..')}`,
    `${local}@${domain}.`,
  ]);
}

function isoDay(rng: Rng): string {
  const from = Date.UTC(2018, 0, 1);
  const days = Math.floor(rng() * 8 * 365);
  return new Date(from + days * 86_400_000).toISOString().slice(0, 10);
}

function contactRow(seed: number, row: number): { line: string; kind: RowKind } {
  const { rng, kind: drawn, person: own } = personAt(seed, row);
  let kind = drawn;
  let person = own;
  let email = own.email;
  if (kind === 'duplicate') {
    const earlier = earlierUnique(seed, row, rng);
    if (earlier) {
      person = earlier;
      email = changeCase(rng, earlier.email);
    } else {
      kind = 'unique';
    }
  } else if (kind === 'invalid') {
    email = breakEmail(rng, own.email);
  }

  const chance = (p: number) => rng() < p;
  let first = person.first;
  let last = person.last;
  if (chance(0.01)) last = `${last}, ${pick(rng, ['Jr.', 'Sr.', 'III'])}`;
  if (chance(0.005)) first = `${first} "${first.slice(0, 3)}"`;
  let weight = rng() * COUNTRY_WEIGHT;
  const country = COUNTRIES.find((c) => (weight -= c.weight) < 0) ?? COUNTRIES[0];
  if (!country) throw new RangeError('no countries');
  const segment = pick(rng, CONTACTS_CSV_CUSTOM_FIELDS[0]?.options ?? []);
  const employees = Math.max(1, Math.round(Math.exp(rng() * Math.log(100_000))));
  const budgetMinor = Math.round(rng() * 10_000) * 5_000 + (chance(0.2) ? Math.floor(rng() * 100) : 0);

  const cells = [
    email,
    first,
    last,
    chance(0.08) ? '' : pick(rng, country.phones)(rng),
    chance(0.05) ? '' : pick(rng, TITLES),
    person.company.name,
    country.name,
    chance(0.03) ? '' : pick(rng, country.cities),
    chance(0.05) ? '' : chance(0.1) ? segment.toLowerCase() : segment,
    chance(0.05) ? '' : chance(0.1) ? employees.toLocaleString('en-US') : String(employees),
    chance(0.05) ? '' : pick(rng, ['yes', 'no', 'Yes', 'No']),
    chance(0.05) ? '' : isoDay(rng),
    chance(0.05) ? '' : `${Math.floor(budgetMinor / 100)}.${String(budgetMinor % 100).padStart(2, '0')}`,
  ];
  return { line: `${cells.map(csvField).join(',')}\n`, kind };
}

function checkOptions(opts: { rows: number; seed: number }): void {
  if (!Number.isSafeInteger(opts.rows) || opts.rows < 0) throw new RangeError(`rows must be a whole number >= 0, not ${opts.rows}`);
  if (!Number.isSafeInteger(opts.seed)) throw new RangeError(`seed must be a whole number, not ${opts.seed}`);
}

/** The header line, then one line per row; each ends with `\n`. */
export function* contactCsvLines(opts: { rows: number; seed: number }): Generator<string> {
  checkOptions(opts);
  yield HEADER_LINE;
  for (let row = 0; row < opts.rows; row++) yield contactRow(opts.seed, row).line;
}

/**
 * Streams the CSV to `path`, pulling rows only as fast as the disk takes them. `duplicates` counts
 * rows repeating an earlier row's email (in another case), `invalid` rows with a broken email.
 */
export async function writeContactsCsv(
  path: string,
  opts: { rows: number; seed: number },
): Promise<{ rows: number; bytes: number; duplicates: number; invalid: number }> {
  checkOptions(opts);
  const stats = { rows: opts.rows, bytes: 0, duplicates: 0, invalid: 0 };
  // Lines go out in ~64 KiB batches: one write per line would cost more than making the line.
  function* batches(): Generator<string> {
    let batch = HEADER_LINE;
    for (let row = 0; row < opts.rows; row++) {
      const { line, kind } = contactRow(opts.seed, row);
      if (kind === 'duplicate') stats.duplicates++;
      if (kind === 'invalid') stats.invalid++;
      batch += line;
      if (batch.length >= 65_536) {
        stats.bytes += Buffer.byteLength(batch);
        yield batch;
        batch = '';
      }
    }
    stats.bytes += Buffer.byteLength(batch);
    if (batch !== '') yield batch;
  }
  await pipeline(Readable.from(batches()), createWriteStream(path));
  return stats;
}
