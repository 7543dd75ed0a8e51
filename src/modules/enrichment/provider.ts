/**
 * What an enrichment provider is: something that, given what we know of a contact (email, phone)
 * or an account (domain, name), answers field values, each with its own confidence (0..1).
 * Providers never throw for a record they cannot help with: a failure is an answer
 * (`status: 'error'`), so one bad record or one slow service never stops the others.
 */

/** What a contact gives a provider to go on. */
export interface ContactInput {
  email: string | null;
  phone: string | null;
  country: string | null;
  company: string | null;
}

/** What an account gives a provider to go on. */
export interface AccountInput {
  domain: string | null;
  name: string | null;
  country: string | null;
}

/** One value a provider found, for a field by its API name ("company", "custom.employees"). */
export interface EnrichedValue {
  field: string;
  value: string | number | boolean;
  confidence: number;
}

export const providerErrorCodes = [
  'missing_input',
  'http_status',
  'timeout',
  'network',
  'invalid_json',
  'response_too_large',
  'redirect',
  'internal',
] as const;
export type ProviderErrorCode = (typeof providerErrorCodes)[number];

export type ProviderAnswer =
  | {
      status: 'ok';
      values: EnrichedValue[];
      /** Things learnt that are not field values (e.g. `freeEmail: true`). */
      facts: Record<string, unknown>;
    }
  | { status: 'error'; error: { code: ProviderErrorCode; message: string } }
  /** The provider does not enrich this kind of record (an account provider asked about a contact). */
  | { status: 'not_applicable'; reason: string };

export interface EnrichmentProvider {
  readonly kind: 'offline' | 'http';
  enrichContact(input: ContactInput): Promise<ProviderAnswer>;
  enrichAccount(input: AccountInput): Promise<ProviderAnswer>;
}

export const ok = (values: EnrichedValue[], facts: Record<string, unknown> = {}): ProviderAnswer => ({ status: 'ok', values, facts });
export const failed = (code: ProviderErrorCode, message: string): ProviderAnswer => ({ status: 'error', error: { code, message } });
