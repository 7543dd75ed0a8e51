import { emailFacts, normaliseCountry, normaliseName, normalisePhone } from './normalise.js';
import { DEFAULT_NORMALISE_RULES, type NormaliseRules } from './normalise-rules.js';
import { stageFromText } from '../routing/lifecycle.schema.js';
import { classifyTitle } from './title-rules.js';

/**
 * Normalisation of a contact's or account's core values on their way in, for every write path:
 * the values to store, the raw values that changed (kept readable next to them), and what the
 * values told about their quality. The input keys are the API's (firstName, phone, country...).
 */
export type RawValues = Record<string, string>;

export interface Quality {
  emailSuggestion?: string | null;
  freeEmail?: boolean;
  disposableEmail?: boolean;
  phoneProblem?: string | null;
  countryProblem?: string | null;
  /** The lifecycle stage given names no stage (stored as given). */
  stageProblem?: string | null;
}

export interface NormalisedInput<T extends Record<string, unknown>> {
  input: T;
  /** Per key: the raw value (it changed) or null (stored as given: forget an older raw value). */
  raw: Record<string, string | null>;
  quality: Quality;
}

const NAME_KEYS: Record<'contact' | 'account', readonly string[]> = { contact: ['firstName', 'lastName'], account: [] };

export function normaliseRecordInput<T extends Record<string, unknown>>(
  object: 'contact' | 'account',
  input: T,
  current?: { country?: unknown },
  rules: NormaliseRules = DEFAULT_NORMALISE_RULES,
): NormalisedInput<T> {
  const out: Record<string, unknown> = { ...input };
  const raw: Record<string, string | null> = {};
  const quality: Quality = {};
  const take = (key: string, n: { value: string; changed: boolean }) => {
    out[key] = n.value;
    raw[key] = n.changed ? (input[key] as string) : null;
  };
  const str = (key: string) => {
    const v = input[key];
    return typeof v === 'string' && v !== '' ? v : null;
  };
  const country = str('country');
  if (country !== null && !rules.country.enabled) take('country', { value: country.trim(), changed: country.trim() !== country });
  else if (country !== null) {
    const n = normaliseCountry(country);
    take('country', n);
    quality.countryProblem = n.problem ?? null;
  } else if (input.country === null || input.country === '') {
    raw.country = null;
    quality.countryProblem = null;
  }
  if (object === 'contact') {
    for (const key of NAME_KEYS.contact) {
      const v = str(key);
      if (v !== null) take(key, rules.names.enabled ? normaliseName(v) : { value: v.trim(), changed: v.trim() !== v });
      else if (input[key] === null || input[key] === '') raw[key] = null;
    }
    const phone = str('phone');
    if (phone !== null) {
      const inCountry =
        typeof out.country === 'string' ? out.country : typeof current?.country === 'string' ? current.country : rules.phone.defaultCountry;
      const n = rules.phone.enabled ? normalisePhone(phone, inCountry) : { value: phone.trim(), changed: phone.trim() !== phone };
      take('phone', n);
      quality.phoneProblem = n.problem ?? null;
    } else if (input.phone === null || input.phone === '') {
      raw.phone = null;
      quality.phoneProblem = null;
    }
    // Seniority and department follow the job title (title-rules.ts), into traits, unless the
    // same write sets them itself.
    const title = str('title');
    if (rules.titles.enabled && (title !== null || input.title === null || input.title === '')) {
      const c = title ? classifyTitle(title, rules.titles) : { seniority: null, department: null };
      const given = (input.traits as Record<string, unknown> | undefined) ?? {};
      out.traits = { seniority: c.seniority, department: c.department, ...given };
    }
    // Lifecycle stages as other tools export them ("Marketing Qualified Lead") to their keys.
    const stage = str('lifecycleStage');
    if (stage !== null) {
      const key = stageFromText(stage);
      take('lifecycleStage', { value: key ?? stage.trim(), changed: (key ?? stage.trim()) !== stage });
      quality.stageProblem = key ? null : `"${stage.trim()}" is not a lifecycle stage`;
    } else if (input.lifecycleStage === null || input.lifecycleStage === '') {
      raw.lifecycleStage = null;
      quality.stageProblem = null;
    }
    const email = str('email');
    if (email !== null) {
      const f = emailFacts(email);
      quality.emailSuggestion = rules.email.typoSuggestions ? f.suggestion : null;
      quality.freeEmail = f.free;
      quality.disposableEmail = f.disposable;
    }
  }
  return { input: out as T, raw, quality };
}

/** The stored raw values after a change: changed keys recorded, unchanged ones forgotten. */
export function mergeRaw(before: unknown, delta: Record<string, string | null>): RawValues {
  const next: RawValues = { ...((before as RawValues | null) ?? {}) };
  for (const [k, v] of Object.entries(delta)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

/** The stored quality facts after a change: only the facts about the changed values are replaced. */
export function mergeQuality(before: unknown, delta: Quality): Quality {
  const next: Record<string, unknown> = { ...((before as Quality | null) ?? {}) };
  for (const [k, v] of Object.entries(delta)) {
    if (v === null || v === false) delete next[k];
    else next[k] = v;
  }
  return next as Quality;
}
