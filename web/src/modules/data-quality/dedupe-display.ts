import type { MatchObject, Reason, SurvivorshipRule } from './quality-queries.js';

/** The fields matching compares (matching.ts), as a person reads them. */
const matchFieldLabels: Record<string, string> = {
  email: 'Email',
  emailDomain: 'Email domain',
  mailboxTag: 'Mailbox number or initial',
  firstName: 'First name',
  lastName: 'Last name',
  phone: 'Phone',
  title: 'Job title',
  company: 'Company',
  city: 'City',
  country: 'Country',
  name: 'Name',
  domain: 'Domain',
};

export function matchFieldLabel(field: string): string {
  return matchFieldLabels[field] ?? field;
}

/** Agreement levels in words: "Email same", "First name close". */
export const levelWords: Record<Reason['level'], string> = {
  exact: 'same',
  close: 'close',
  partial: 'partly',
  diff: 'different',
  missing: 'missing',
};

/** A match weight with its sign: "+9.1", "−3.2". */
export function formatWeight(w: number): string {
  const r = Math.round(w * 10) / 10;
  if (r === 0) return '0';
  return r > 0 ? `+${r}` : `−${Math.abs(r)}`;
}

export function formatPercent(p: number): string {
  const pct = p * 100;
  // 99.6% should not read as a certain 100%.
  if (pct >= 99.5 && pct < 100) return '>99%';
  return `${Math.round(pct)}%`;
}

export const ruleLabels: Record<SurvivorshipRule, string> = {
  survivor: 'Kept record',
  most_recent: 'Most recent',
  most_complete: 'Most complete',
  oldest: 'Oldest',
  trusted_source: 'Trusted source',
  crm_wins: 'CRM wins',
};

export const ruleDescriptions: Record<SurvivorshipRule, string> = {
  survivor: 'The kept record’s value, unless it is empty',
  most_recent: 'From the record changed last',
  most_complete: 'The longest value',
  oldest: 'From the record created first',
  trusted_source: 'From the record whose source ranks first among the trusted sources',
  crm_wins: 'From a record with a CRM id, else the most recent',
};

export function ruleLabel(rule: string): string {
  if (rule === 'chosen') return 'Your choice';
  return (ruleLabels as Record<string, string>)[rule] ?? rule;
}

/** What a merge moved, by the keys merge.service.ts records (counts after the API's summary). */
const movedLabels: Record<string, [string, string]> = {
  profiles: ['tracking profile (with its events)', 'tracking profiles (with their events)'],
  lists: ['list membership', 'list memberships'],
  listsDropped: ['list membership already held', 'list memberships already held'],
  accounts: ['account link', 'account links'],
  accountsDropped: ['account link already held', 'account links already held'],
  consentEvents: ['consent change', 'consent changes'],
  externalIds: ['external id', 'external ids'],
  contacts: ['contact', 'contacts'],
  links: ['contact link', 'contact links'],
  linksDropped: ['contact link already held', 'contact links already held'],
};

/** The moves worth telling, in words: "2 tracking profiles", "1 list membership". Internal snapshots are left out. */
export function movedItems(moved: Record<string, unknown>): Array<{ key: string; count: number; text: string }> {
  const out: Array<{ key: string; count: number; text: string }> = [];
  for (const [key, [one, many]] of Object.entries(movedLabels)) {
    if (!(key in moved)) continue;
    const v = moved[key];
    const count = typeof v === 'number' ? v : Array.isArray(v) ? v.length : 0;
    out.push({ key, count, text: `${count.toLocaleString()} ${count === 1 ? one : many}` });
  }
  return out;
}

export function objectNoun(object: MatchObject, plural = false): string {
  if (object === 'contact') return plural ? 'contacts' : 'contact';
  return plural ? 'accounts' : 'account';
}
