import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { emailFacts } from '../quality/normalise.js';
import { companyNameFromDomain, countryFromDomain } from './company-names.js';
import { ok, type AccountInput, type ContactInput, type EnrichedValue, type EnrichmentProvider, type ProviderAnswer } from './provider.js';

/**
 * How sure the offline provider is of each kind of guess. A company name read off a domain is a
 * guess at its spelling ("acme-corp" may be "ACME Corp." or "Acme Corporation"); a valid phone
 * number's country is near certain (shared calling codes such as +1 are resolved by area code);
 * a country-code domain is often but not always where the company is.
 */
export const OFFLINE_CONFIDENCE = {
  companyFromDomain: 0.5,
  countryFromValidPhone: 0.9,
  countryFromPossiblePhone: 0.7,
  countryFromDomain: 0.6,
} as const;

/** Fields the offline provider can fill, per object. */
export const OFFLINE_FIELDS = { contact: ['company', 'country'], account: ['name', 'country'] } as const;

function domainOf(email: string | null): string | null {
  if (!email) return null;
  const at = email.lastIndexOf('@');
  return at > 0 ? email.slice(at + 1).toLowerCase() : null;
}

function countryFromPhone(phone: string | null, country: string | null): EnrichedValue | null {
  if (!phone) return null;
  const region = country && /^[A-Z]{2}$/.test(country) ? country : undefined;
  const p = parsePhoneNumberFromString(phone, region as Parameters<typeof parsePhoneNumberFromString>[1]);
  if (!p?.country || !p.isPossible()) return null;
  return {
    field: 'country',
    value: p.country,
    confidence: p.isValid() ? OFFLINE_CONFIDENCE.countryFromValidPhone : OFFLINE_CONFIDENCE.countryFromPossiblePhone,
  };
}

/**
 * The built-in provider: no network, no account. For a contact: the company from a corporate email
 * domain (not from free-mail or disposable addresses, which say nothing about an employer), the
 * country from the phone number or else from a country-code email domain. For an account: the name
 * from its domain and the country from a country-code domain.
 */
export const offlineProvider: EnrichmentProvider = {
  kind: 'offline',
  async enrichContact(input: ContactInput): Promise<ProviderAnswer> {
    const values: EnrichedValue[] = [];
    const facts: Record<string, unknown> = {};
    const domain = domainOf(input.email);
    let corporate = false;
    if (domain && input.email) {
      const f = emailFacts(input.email);
      facts.freeEmail = f.free;
      facts.disposableEmail = f.disposable;
      corporate = !f.free && !f.disposable;
      const company = corporate ? companyNameFromDomain(domain) : null;
      if (company) values.push({ field: 'company', value: company, confidence: OFFLINE_CONFIDENCE.companyFromDomain });
    }
    const byPhone = countryFromPhone(input.phone, input.country);
    // A free-mail address's country-code domain (gmail.de, yahoo.co.uk) still says where the person
    // signed up; a disposable one says nothing.
    const byDomain = domain && facts.disposableEmail !== true ? countryFromDomain(domain) : null;
    if (byPhone) values.push(byPhone);
    else if (byDomain) values.push({ field: 'country', value: byDomain, confidence: OFFLINE_CONFIDENCE.countryFromDomain });
    return ok(values, facts);
  },
  async enrichAccount(input: AccountInput): Promise<ProviderAnswer> {
    const values: EnrichedValue[] = [];
    if (input.domain) {
      const name = companyNameFromDomain(input.domain);
      if (name) values.push({ field: 'name', value: name, confidence: OFFLINE_CONFIDENCE.companyFromDomain });
      const country = countryFromDomain(input.domain);
      if (country) values.push({ field: 'country', value: country, confidence: OFFLINE_CONFIDENCE.countryFromDomain });
    }
    return ok(values);
  },
};
