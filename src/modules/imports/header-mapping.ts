// Suggests which field each column of an uploaded CSV fills, so a file exported from HubSpot,
// Salesforce, Marketo, Mautic or Pipedrive maps itself; the user reviews and corrects it.

export interface MappableField {
  key: string;
  label: string;
  synonyms?: readonly string[];
}

export type MappingConfidence = 'exact' | 'synonym' | 'fuzzy' | 'none';

export interface MappingSuggestion {
  column: string;
  field: string | null;
  confidence: MappingConfidence;
}

/** "First Name", "FirstName", "first_name" and "firstname" all become "firstname". */
export function normaliseHeader(h: string): string {
  return h
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9]/g, '');
}

// Header names as the tools export them (UI exports and API/field names alike). Pipedrive
// prefixes the entity ("Person - Email - Work") when a file holds more than one.
// A name sits under one field only: the same header under two fields would map at random.
export const CONTACT_HEADER_SYNONYMS: Record<string, readonly string[]> = {
  email: [
    'Email',
    'Email Address',
    'E-mail',
    'E-mail Address',
    'Emails',
    'Email - Work',
    'Email - Home',
    'Email - Other',
    'Person - Email',
    'Person - Email - Work',
    'Work Email',
    'Business Email',
    'Primary Email',
  ],
  firstName: ['First Name', 'FirstName', 'firstname', 'Given Name', 'Forename', 'Person - First name'],
  lastName: ['Last Name', 'LastName', 'lastname', 'Surname', 'Family Name', 'Person - Last name'],
  phone: ['Phone Number', 'Phone', 'Business Phone', 'Work Phone', 'Telephone', 'Phone - Work', 'Person - Phone', 'Person - Phone - Work'],
  mobilePhone: ['Mobile Phone Number', 'Mobile Phone', 'Mobile', 'Cell Phone', 'Cell', 'Phone - Mobile', 'Person - Phone - Mobile'],
  title: ['Job Title', 'Title', 'Position', 'Person - Job title'],
  company: ['Company Name', 'Company', 'Account Name', 'Organization', 'Organisation', 'Organization - Name', 'Person - Organization'],
  country: ['Country', 'Country/Region', 'Mailing Country', 'Country Name'],
  city: ['City', 'Mailing City', 'Town'],
  state: ['State/Region', 'State', 'Mailing State/Province', 'State/Province', 'Province', 'Region'],
  lifecycleStage: ['Lifecycle Stage', 'Lead Status', 'Lead Stage', 'Stage'],
  source: ['Original Source', 'Lead Source', 'Source', 'Original Source Type'],
  ownerEmail: ['Contact owner', 'Owner Email', 'Lead Owner', 'Owner', 'Contact Owner Email', 'Lead Owner Email Address', 'Person - Owner'],
  website: ['Website URL', 'Website', 'Web Site', 'URL', 'Company Website'],
  crmId: [
    'Salesforce Contact ID',
    'Salesforce Lead ID',
    'Salesforce ID',
    'SFDC ID',
    'SFDC Contact ID',
    'SFDC Lead ID',
    'Contact ID',
    'Record ID',
    'Person - ID',
  ],
  mapId: ['Marketo ID', 'Marketo Lead ID', 'Mautic ID', 'Lead ID', 'HubSpot ID'],
};

export const ACCOUNT_HEADER_SYNONYMS: Record<string, readonly string[]> = {
  name: ['Company Name', 'Account Name', 'Organization - Name', 'Organization Name', 'Name'],
  domain: ['Company Domain Name', 'Domain', 'Website', 'Website URL', 'Company Domain'],
  industry: ['Industry', 'Organization - Industry'],
  size: ['Number of Employees', 'Employees', 'Company size', 'NumberOfEmployees', 'Employee Count', 'Organization - Employees'],
  revenue: ['Annual Revenue', 'Revenue', 'AnnualRevenue'],
  country: ['Country', 'Country/Region', 'Billing Country', 'Organization - Country'],
  city: ['City', 'Billing City', 'Organization - City'],
  ownerEmail: ['Company owner', 'Account Owner', 'Owner Email', 'Owner', 'Organization - Owner'],
  crmId: ['Salesforce Account ID', 'SFDC Account ID', 'Account ID', 'Record ID', 'Organization - ID'],
};

// Below five characters one edit turns a word into a different one ("state" / "stage" is
// already too close, which is why an exact or synonym match always wins first).
const FUZZY_MIN_LENGTH = 5;

function fuzzyLimit(length: number): number {
  return length >= 10 ? 2 : 1;
}

export function suggestMapping(headers: readonly string[], fields: readonly MappableField[]): MappingSuggestion[] {
  const names = headers.map(normaliseHeader);
  const result: MappingSuggestion[] = headers.map((column) => ({ column, field: null, confidence: 'none' }));
  const used = new Set<string>();
  const exactNames = fields.map((f) => new Set([normaliseHeader(f.key), normaliseHeader(f.label)]));
  const synonymNames = fields.map((f) => new Set((f.synonyms ?? []).map(normaliseHeader)));

  // Exact matches are placed for every column before any synonym, so "Email" (exact) is not
  // beaten to its field by an earlier "E-mail Address" (synonym).
  const passes: Array<[Exclude<MappingConfidence, 'fuzzy' | 'none'>, Array<Set<string>>]> = [
    ['exact', exactNames],
    ['synonym', synonymNames],
  ];
  for (const [confidence, sets] of passes) {
    names.forEach((name, i) => {
      const entry = result[i];
      if (!entry || entry.field !== null || name === '') return;
      const index = fields.findIndex((f, k) => !used.has(f.key) && sets[k]?.has(name));
      const field = fields[index];
      if (!field) return;
      used.add(field.key);
      entry.field = field.key;
      entry.confidence = confidence;
    });
  }

  // Fuzzy: take the closest (column, field) pairs first, so a near-perfect match elsewhere in
  // the file is not lost to a worse one in an earlier column.
  const candidates: Array<{ column: number; field: number; distance: number }> = [];
  names.forEach((name, column) => {
    if (result[column]?.field !== null || name.length < FUZZY_MIN_LENGTH) return;
    fields.forEach((f, field) => {
      if (used.has(f.key)) return;
      let best = Infinity;
      for (const target of [...(exactNames[field] ?? []), ...(synonymNames[field] ?? [])]) {
        if (target.length < FUZZY_MIN_LENGTH) continue;
        const limit = fuzzyLimit(Math.min(name.length, target.length));
        const d = levenshtein(name, target, limit);
        if (d <= limit && d < best) best = d;
      }
      if (best !== Infinity) candidates.push({ column, field, distance: best });
    });
  });
  candidates.sort((a, b) => a.distance - b.distance || a.column - b.column || a.field - b.field);
  for (const c of candidates) {
    const entry = result[c.column];
    const field = fields[c.field];
    if (!entry || !field || entry.field !== null || used.has(field.key)) continue;
    used.add(field.key);
    entry.field = field.key;
    entry.confidence = 'fuzzy';
  }
  return result;
}

/** Edit distance, giving up (returning limit + 1) as soon as it must exceed `limit`. */
export function levenshtein(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  const distance = previous[b.length] ?? 0;
  return distance > limit ? limit + 1 : distance;
}
