import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emailFacts, normaliseCountry, normaliseDomain, normaliseName, normalisePhone } from './normalise.js';
import { normaliseRecordInput } from './record-normalise.js';

describe('normalisation', () => {
  it('reads countries from codes and names in several languages', () => {
    for (const [raw, code] of [
      ['United States', 'US'],
      ['USA', 'US'],
      ['U.S.A.', 'US'],
      ['us', 'US'],
      ['DEU', 'DE'],
      ['Deutschland', 'DE'],
      ['Allemagne', 'DE'],
      ['Alemania', 'DE'],
      ['  germany ', 'DE'],
      ['UK', 'GB'],
      ['Royaume-Uni', 'GB'],
      ['España', 'ES'],
      ['Espana', 'ES'],
      ['Österreich', 'AT'],
      ['Schweiz', 'CH'],
      ['日本', 'JP'],
      ['Россия', 'RU'],
      ["Côte d'Ivoire", 'CI'],
    ] as const) {
      expect(normaliseCountry(raw).value, raw).toBe(code);
    }
    expect(normaliseCountry('DE')).toEqual({ value: 'DE', changed: false });
    expect(normaliseCountry('Atlantis')).toMatchObject({ value: 'Atlantis', problem: 'unknown country' });
  });

  it('writes phones in E.164 using the contact country, and keeps what it cannot read', () => {
    expect(normalisePhone('(415) 555-0132', 'US')).toMatchObject({ value: '+14155550132', changed: true });
    expect(normalisePhone('+44 20 7946 0958', null).value).toBe('+442079460958');
    expect(normalisePhone('030 1234567', 'DE').value).toBe('+49301234567');
    expect(normalisePhone('0044 20 7946 0958', 'DE').value).toBe('+442079460958');
    expect(normalisePhone('555 0132', null)).toMatchObject({ value: '555 0132', problem: 'no country to read it in' });
    expect(normalisePhone('call me', 'US')).toMatchObject({ value: 'call me', problem: 'not a phone number' });
  });

  it('puts names in title case only when typed in one case, leaving other scripts alone', () => {
    expect(normaliseName('  anna   SCHMIDT ').value).toBe('anna SCHMIDT');
    expect(normaliseName('  anna   schmidt ').value).toBe('Anna Schmidt');
    expect(normaliseName('ANNA-LENA').value).toBe('Anna-Lena');
    expect(normaliseName("o'neil").value).toBe("O'Neil");
    expect(normaliseName('ludwig van beethoven').value).toBe('Ludwig van Beethoven');
    expect(normaliseName('McDonald').value).toBe('McDonald');
    expect(normaliseName('田中 太郎').value).toBe('田中 太郎');
    expect(normaliseName('محمد').value).toBe('محمد');
    expect(normaliseName('ÉLODIE').value).toBe('Élodie');
    expect(normaliseName('e\u0301lodie').value).toBe('Élodie');
  });

  it('reduces domains and URLs to the registrable domain', () => {
    expect(normaliseDomain('https://www.Acme.co.uk/about').value).toBe('acme.co.uk');
    expect(normaliseDomain('shop.acme.com').value).toBe('acme.com');
    expect(normaliseDomain('acme.com')).toEqual({ value: 'acme.com', changed: false });
  });

  it('flags typo, free-mail and disposable domains', () => {
    expect(emailFacts('ann@gmial.com')).toMatchObject({ suggestion: 'ann@gmail.com', disposable: false });
    expect(emailFacts('ann@gmail.com')).toEqual({ suggestion: null, free: true, disposable: false });
    expect(emailFacts('ann@mailinator.com')).toMatchObject({ disposable: true });
    expect(emailFacts('ann@acme-robotics.de')).toEqual({ suggestion: null, free: false, disposable: false });
    expect(emailFacts('grace.hopper@navy.test').suggestion).toBeNull();
    // Real domains two edits from a popular one are left alone; one slip is caught.
    expect(emailFacts('ann@acme.com').suggestion).toBeNull();
    expect(emailFacts('ann@yaho.com').suggestion).toBe('ann@yahoo.com');
    expect(emailFacts('ann@hotmial.com').suggestion).toBe('ann@hotmail.com');
  });

  it('never throws and is idempotent, whatever the text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('US', 'DE', null), (s, c) => {
        for (const f of [normaliseCountry, normaliseName, normaliseDomain]) {
          const once = f(s).value;
          expect(f(once).value).toBe(once);
        }
        const p = normalisePhone(s, c).value;
        expect(normalisePhone(p, c).value).toBe(p);
      }),
      { numRuns: 500 },
    );
  });
});

describe('job titles', () => {
  it('read seniority and department from the documented rule table, in several languages', async () => {
    const { classifyTitle } = await import('./title-rules.js');
    for (const [title, seniority, department] of [
      ['VP of Marketing', 'vp', 'marketing'],
      ['Chief Technology Officer', 'c_level', 'engineering'],
      ['Head of Demand Generation', 'director', 'marketing'],
      ['Marketing Operations Manager', 'manager', 'marketing'],
      ['Leiter Vertrieb', 'director', 'sales'],
      ['Directeur Marketing', 'director', 'marketing'],
      ['Gerente de Ventas', 'manager', 'sales'],
      ['Marketing Intern', 'intern', 'marketing'],
      ['CEO & Co-Founder', 'c_level', 'executive'],
      ['Data Analyst', 'individual', 'data'],
      ['Barista', null, null],
    ] as const) {
      expect(classifyTitle(title), title).toEqual({ seniority, department });
    }
  });
});

describe('lifecycle stages as other tools export them', () => {
  it('maps keys, labels and HubSpot, Salesforce, Marketo names to stage keys, keeping the raw value', () => {
    const cases: Array<[string, string]> = [
      ['mql', 'mql'],
      ['MQL', 'mql'],
      ['marketingqualifiedlead', 'mql'],
      ['Marketing Qualified Lead', 'mql'],
      ['Sales Accepted Lead', 'sal'],
      ['salesqualifiedlead', 'sql'],
      [' Opportunity ', 'opportunity'],
      ['Closed Won', 'customer'],
      ['Recycled', 'recycle'],
      ['subscriber', 'subscriber'],
    ];
    for (const [given, key] of cases) {
      const n = normaliseRecordInput('contact', { email: 'a@example.com', lifecycleStage: given });
      expect(n.input.lifecycleStage, given).toBe(key);
      expect(n.raw.lifecycleStage, given).toBe(given === key ? null : given);
      expect(n.quality.stageProblem, given).toBeNull();
    }
  });

  it('stores a value that names no stage as given, flagged; clearing the stage clears the flag', () => {
    const n = normaliseRecordInput('contact', { email: 'a@example.com', lifecycleStage: 'Hot prospect!' });
    expect(n.input.lifecycleStage).toBe('Hot prospect!');
    expect(n.quality.stageProblem).toBe('"Hot prospect!" is not a lifecycle stage');
    expect(normaliseRecordInput('contact', { lifecycleStage: null }).quality.stageProblem).toBeNull();
    expect(normaliseRecordInput('account', { name: 'Acme', lifecycleStage: 'MQL' }).input.lifecycleStage).toBe('MQL');
  });
});
