import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_HEADER_SYNONYMS,
  CONTACT_HEADER_SYNONYMS,
  levenshtein,
  normaliseHeader,
  suggestMapping,
  type MappableField,
} from './header-mapping.js';

const CONTACT_LABELS: Record<string, string> = {
  email: 'Email',
  firstName: 'First name',
  lastName: 'Last name',
  phone: 'Phone',
  mobilePhone: 'Mobile phone',
  title: 'Title',
  company: 'Company',
  country: 'Country',
  city: 'City',
  state: 'State',
  lifecycleStage: 'Lifecycle stage',
  source: 'Source',
  ownerEmail: 'Owner',
  website: 'Website',
  crmId: 'CRM ID',
  mapId: 'MAP ID',
};

const contactFields: MappableField[] = [
  ...Object.entries(CONTACT_LABELS).map(([key, label]) => ({ key, label, synonyms: CONTACT_HEADER_SYNONYMS[key] })),
  { key: 'industry_segment', label: 'Industry Segment' },
  { key: 'annual_budget', label: 'Annual Budget' },
];

const fieldsOf = (headers: readonly string[], fields = contactFields) => suggestMapping(headers, fields).map((s) => s.field);

describe('normaliseHeader', () => {
  it('makes the usual spellings of a header equal', () => {
    for (const h of ['First Name', 'FirstName', 'first_name', 'firstname', ' FIRST-NAME ', 'First.Name']) {
      expect(normaliseHeader(h)).toBe('firstname');
    }
    expect(normaliseHeader('Prénom Élève')).toBe('prenomeleve');
    expect(normaliseHeader('Country/Region')).toBe('countryregion');
    expect(normaliseHeader('日本')).toBe('');
  });

  it('is idempotent and yields only a-z0-9', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (h) => {
        const n = normaliseHeader(h);
        expect(n).toMatch(/^[a-z0-9]*$/);
        expect(normaliseHeader(n)).toBe(n);
      }),
    );
  });
});

describe('header synonyms', () => {
  it('never lists one header under two fields', () => {
    for (const table of [CONTACT_HEADER_SYNONYMS, ACCOUNT_HEADER_SYNONYMS]) {
      const owner = new Map<string, string>();
      for (const [field, names] of Object.entries(table)) {
        for (const name of names) {
          const n = normaliseHeader(name);
          expect(owner.get(n) ?? field, `${name} is under ${owner.get(n)} and ${field}`).toBe(field);
          owner.set(n, field);
        }
      }
    }
  });

  it('covers the contact and account fields the import maps', () => {
    expect(Object.keys(CONTACT_HEADER_SYNONYMS).sort()).toEqual(Object.keys(CONTACT_LABELS).sort());
    expect(Object.keys(ACCOUNT_HEADER_SYNONYMS).sort()).toEqual(
      ['name', 'domain', 'industry', 'size', 'revenue', 'country', 'city', 'ownerEmail', 'crmId'].sort(),
    );
  });
});

describe('suggestMapping', () => {
  it('maps a HubSpot contacts export', () => {
    const headers = [
      'Record ID',
      'First Name',
      'Last Name',
      'Email',
      'Phone Number',
      'Mobile Phone Number',
      'Job Title',
      'Company Name',
      'Country/Region',
      'City',
      'State/Region',
      'Lifecycle Stage',
      'Original Source',
      'Contact owner',
      'Website URL',
      'Industry Segment',
      'Create Date',
    ];
    expect(suggestMapping(headers, contactFields)).toEqual([
      { column: 'Record ID', field: 'crmId', confidence: 'synonym' },
      { column: 'First Name', field: 'firstName', confidence: 'exact' },
      { column: 'Last Name', field: 'lastName', confidence: 'exact' },
      { column: 'Email', field: 'email', confidence: 'exact' },
      { column: 'Phone Number', field: 'phone', confidence: 'synonym' },
      { column: 'Mobile Phone Number', field: 'mobilePhone', confidence: 'synonym' },
      { column: 'Job Title', field: 'title', confidence: 'synonym' },
      { column: 'Company Name', field: 'company', confidence: 'synonym' },
      { column: 'Country/Region', field: 'country', confidence: 'synonym' },
      { column: 'City', field: 'city', confidence: 'exact' },
      { column: 'State/Region', field: 'state', confidence: 'synonym' },
      { column: 'Lifecycle Stage', field: 'lifecycleStage', confidence: 'exact' },
      { column: 'Original Source', field: 'source', confidence: 'synonym' },
      { column: 'Contact owner', field: 'ownerEmail', confidence: 'synonym' },
      { column: 'Website URL', field: 'website', confidence: 'synonym' },
      { column: 'Industry Segment', field: 'industry_segment', confidence: 'exact' },
      { column: 'Create Date', field: null, confidence: 'none' },
    ]);
  });

  it('maps Salesforce, Marketo, Mautic and Pipedrive exports', () => {
    expect(
      fieldsOf(['Contact ID', 'FirstName', 'LastName', 'Email', 'Phone', 'MobilePhone', 'Title', 'Account Name', 'Mailing Country']),
    ).toEqual(['crmId', 'firstName', 'lastName', 'email', 'phone', 'mobilePhone', 'title', 'company', 'country']);
    expect(fieldsOf(['Marketo ID', 'Email Address', 'First Name', 'Lead Source', 'Lead Status', 'SFDC ID', 'Lead Owner'])).toEqual([
      'mapId',
      'email',
      'firstName',
      'source',
      'lifecycleStage',
      'crmId',
      'ownerEmail',
    ]);
    expect(fieldsOf(['firstname', 'lastname', 'email', 'position', 'company', 'mobile', 'Mautic ID'])).toEqual([
      'firstName',
      'lastName',
      'email',
      'title',
      'company',
      'mobilePhone',
      'mapId',
    ]);
    expect(
      fieldsOf(['Person - First name', 'Person - Last name', 'Person - Email - Work', 'Person - Phone - Work', 'Organization - Name']),
    ).toEqual(['firstName', 'lastName', 'email', 'phone', 'company']);
  });

  it('uses each field once: exact beats synonym, and the first column wins a tie', () => {
    expect(suggestMapping(['E-mail Address', 'Email', 'email'], contactFields)).toEqual([
      { column: 'E-mail Address', field: null, confidence: 'none' },
      { column: 'Email', field: 'email', confidence: 'exact' },
      { column: 'email', field: null, confidence: 'none' },
    ]);
    expect(fieldsOf(['Phone', 'Work Phone'])).toEqual(['phone', null]);
  });

  it('suggests a field for a near miss of five or more characters', () => {
    expect(suggestMapping(['Emial Address', 'First Nme', 'Industry Segmnt', 'Citty', 'Cty'], contactFields)).toEqual([
      { column: 'Emial Address', field: 'email', confidence: 'fuzzy' },
      { column: 'First Nme', field: 'firstName', confidence: 'fuzzy' },
      { column: 'Industry Segmnt', field: 'industry_segment', confidence: 'fuzzy' },
      { column: 'Citty', field: null, confidence: 'none' },
      { column: 'Cty', field: null, confidence: 'none' },
    ]);
  });

  it('gives the fuzzy field to the closest column, not the first', () => {
    const fields: MappableField[] = [{ key: 'annual_budget', label: 'Annual Budget' }];
    expect(fieldsOf(['Anual Budgt', 'Annual Budgt'], fields)).toEqual([null, 'annual_budget']);
  });

  it('maps an accounts export', () => {
    const fields = Object.entries(ACCOUNT_HEADER_SYNONYMS).map(([key, synonyms]) => ({ key, label: key, synonyms }));
    expect(
      fieldsOf(['Record ID', 'Company name', 'Company Domain Name', 'Industry', 'Number of Employees', 'Annual Revenue'], fields),
    ).toEqual(['crmId', 'name', 'domain', 'industry', 'size', 'revenue']);
  });

  it('returns one entry per header, in order, never reusing a field', () => {
    const header = fc.oneof(
      fc.string(),
      fc.constantFrom(...Object.values(CONTACT_HEADER_SYNONYMS).flat(), ...Object.values(CONTACT_LABELS)),
    );
    fc.assert(
      fc.property(fc.array(header, { maxLength: 30 }), (headers) => {
        const suggestion = suggestMapping(headers, contactFields);
        expect(suggestion.map((s) => s.column)).toEqual(headers);
        const mapped = suggestion.flatMap((s) => (s.field === null ? [] : [s.field]));
        expect(new Set(mapped).size).toBe(mapped.length);
        for (const s of suggestion) expect(s.field === null).toBe(s.confidence === 'none');
      }),
    );
  });
});

describe('levenshtein', () => {
  it('counts edits', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
    expect(levenshtein('kitten', 'sitting', 1)).toBe(2);
  });

  it('is symmetric, and a limit only caps the answer', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), fc.nat(5), (a, b, limit) => {
        const d = levenshtein(a, b);
        expect(levenshtein(b, a)).toBe(d);
        expect(levenshtein(a, b, limit)).toBe(d <= limit ? d : limit + 1);
      }),
    );
  });
});
