import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.js';
import { recordAudit, triggerContext } from '../../platform/audit/audit.service.js';
import { newId } from '../../platform/ids.js';
import { createCustomField } from './custom-fields.service.js';
import { contactDef } from './crm-objects.js';
import { createRecord, updateRecord, type Ctx } from './records.service.js';

/** mulberry32: a tiny seeded generator, so every demo workspace looks the same. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  'Ada',
  'Ben',
  'Chloé',
  'Dmitri',
  'Elif',
  'Farah',
  'Gustavo',
  'Hana',
  'Ivan',
  'Jonas',
  'Kemi',
  'Liam',
  'Mei',
  'Noor',
  'Olivia',
  'Pablo',
  'Quinn',
  'Rosa',
  'Sven',
  'Tariq',
  'Uma',
  'Valentina',
  'Wei',
  'Ximena',
  'Yusuf',
  'Zoë',
];
const LAST = [
  'Okafor',
  'Lindqvist',
  'Raman',
  'Alvarez',
  'Moreau',
  'Schmidt',
  'Nakamura',
  'Kowalski',
  'Haddad',
  'Novak',
  'Silva',
  'Jensen',
  "O'Brien",
  'Rossi',
  'Dubois',
  'Müller',
  'Kim',
  'Patel',
  'Mensah',
  'Costa',
];
const WORDS = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Vandelay',
  'Stark',
  'Wayne',
  'Tyrell',
  'Cyberdyne',
  'Soylent',
  'Wonka',
  'Aperture',
  'Nakatomi',
  'Massive',
  'Pied',
  'Dunder',
  'Gringotts',
  'Oscorp',
  'Monarch',
];
const SUFFIX = [
  'Labs',
  'Systems',
  'Health',
  'Retail',
  'Logistics',
  'Finance',
  'Media',
  'Energy',
  'Foods',
  'Robotics',
  'Cloud',
  'Studio',
  'Partners',
  'Group',
  'Works',
];
const INDUSTRY = ['SaaS', 'Retail', 'Healthcare', 'Finance', 'Manufacturing', 'Education'];
const PLACES: Array<[string, string]> = [
  ['US', 'New York'],
  ['US', 'Austin'],
  ['GB', 'London'],
  ['DE', 'Berlin'],
  ['FR', 'Paris'],
  ['NL', 'Amsterdam'],
  ['SE', 'Stockholm'],
  ['JP', 'Tokyo'],
  ['BR', 'São Paulo'],
  ['IN', 'Bengaluru'],
  ['CA', 'Toronto'],
  ['AU', 'Sydney'],
];
const TITLES = [
  'Marketing Manager',
  'VP Marketing',
  'Demand Gen Lead',
  'Marketing Ops Specialist',
  'CMO',
  'Growth Analyst',
  'Content Lead',
  'Sales Director',
  'CTO',
  'Product Manager',
];
const STAGES = ['subscriber', 'lead', 'mql', 'sql', 'opportunity', 'customer'];
const SOURCES = ['Organic search', 'Paid social', 'Webinar', 'Referral', 'Event', 'Content download', 'Direct'];
const TOPICS = ['Email', 'Ads', 'SEO', 'Events', 'Analytics'];

/**
 * Demo CRM data: 300 accounts and 2,000 contacts with custom fields, owners and a little history,
 * written in a few set-based statements so a first `npm start` stays quick. Returns the emails.
 */
export async function seedCrmDemo(ctx: Ctx, actor: Actor, ownerIds: readonly string[]): Promise<string[]> {
  const rnd = prng(20261123);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  for (const f of [
    { object: 'contact' as const, label: 'Industry segment', type: 'select' as const, options: INDUSTRY, indexed: true },
    { object: 'contact' as const, label: 'Employees', type: 'number' as const },
    { object: 'contact' as const, label: 'Newsletter opt-in', type: 'boolean' as const },
    { object: 'contact' as const, label: 'Signup date', type: 'date' as const },
    { object: 'contact' as const, label: 'Annual budget', type: 'currency' as const, currency: 'USD' },
    { object: 'contact' as const, label: 'Interests', type: 'multiselect' as const, options: TOPICS },
    { object: 'account' as const, label: 'Tier', type: 'select' as const, options: ['Enterprise', 'Mid-market', 'SMB'] },
    { object: 'account' as const, label: 'ARR', type: 'currency' as const, currency: 'USD' },
  ]) {
    await createCustomField(ctx, actor, { description: '', required: false, indexed: false, ...f });
  }

  const now = ctx.clock.now();
  const day = 86_400_000;
  const accounts: Array<{ id: string; name: string; domain: string; country: string; city: string; industry: string }> = [];
  const usedDomains = new Set<string>();
  while (accounts.length < 300) {
    const name = `${pick(WORDS)} ${pick(SUFFIX)}`;
    const domain = `${name.toLowerCase().replace(/[^a-z]+/g, '')}.example`;
    if (usedDomains.has(domain)) continue;
    usedDomains.add(domain);
    const [country, city] = pick(PLACES);
    accounts.push({ id: newId(), name, domain, country, city, industry: pick(INDUSTRY) });
  }
  const accountCustom = accounts.map(() => ({ tier: pick(['Enterprise', 'Mid-market', 'SMB']), arr: Math.round(rnd() * 500_000) * 100 }));
  await sql`insert into accounts (id, workspace_id, name, domain, industry, size, country, city, owner_id, custom, created_at, updated_at)
    select id, ${actor.workspaceId}, name, domain, industry, size, country, city, owner, custom, created, created
    from unnest(${accounts.map((a) => a.id)}::uuid[], ${accounts.map((a) => a.name)}::text[], ${accounts.map((a) => a.domain)}::text[],
      ${accounts.map((a) => a.industry)}::text[], ${accounts.map(() => pick(['1-10', '11-50', '51-200', '201-1000', '1000+']))}::text[],
      ${accounts.map((a) => a.country)}::text[], ${accounts.map((a) => a.city)}::text[], ${accounts.map(() => pick(ownerIds))}::uuid[],
      ${accountCustom.map((c) => JSON.stringify(c))}::jsonb[], ${accounts.map(() => new Date(now.getTime() - Math.floor(rnd() * 700) * day))}::timestamptz[])
      as u(id, name, domain, industry, size, country, city, owner, custom, created)`.execute(ctx.db);

  const contacts: Array<Record<string, unknown>> = [];
  const emails = new Set<string>();
  while (contacts.length < 2000) {
    const account = pick(accounts);
    const first = pick(FIRST);
    const last = pick(LAST);
    const local = `${first}.${last}`
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z.]/g, '');
    const email = emails.has(`${local}@${account.domain}`) ? `${local}${contacts.length}@${account.domain}` : `${local}@${account.domain}`;
    emails.add(email);
    const created = new Date(now.getTime() - Math.floor(rnd() * 600) * day - Math.floor(rnd() * day));
    contacts.push({
      id: newId(),
      email,
      first,
      last,
      phone: `+1 555 ${String(Math.floor(rnd() * 900) + 100)} ${String(Math.floor(rnd() * 9000) + 1000)}`,
      title: pick(TITLES),
      company: account.name,
      country: account.country,
      city: account.city,
      stage: pick(STAGES),
      source: pick(SOURCES),
      owner: rnd() < 0.85 ? pick(ownerIds) : null,
      account: rnd() < 0.9 ? account.id : null,
      custom: JSON.stringify({
        industry_segment: account.industry,
        employees: Math.floor(rnd() * 5000) + 1,
        newsletter_opt_in: rnd() < 0.6,
        signup_date: created.toISOString().slice(0, 10),
        annual_budget: Math.round(rnd() * 200_000) * 100,
        interests: TOPICS.filter(() => rnd() < 0.3),
      }),
      created,
    });
  }
  const col = (k: string) => contacts.map((c) => c[k]);
  // The demo's people come in as an import of an older database would: their stages go to the
  // lifecycle history, and the MQLs among them are not routed.
  await ctx.db.transaction().execute(async (trx) => {
    await triggerContext(trx, { actor, reason: 'demo data (imported)', route: false });
    await sql`insert into contacts (id, workspace_id, email, first_name, last_name, phone, title, company, country, city, lifecycle_stage, source, owner_id, account_id, custom, created_at, updated_at)
    select id, ${actor.workspaceId}, email, first, last, phone, title, company, country, city, stage, source, owner, account, custom, created, created
    from unnest(${col('id')}::uuid[], ${col('email')}::text[], ${col('first')}::text[], ${col('last')}::text[], ${col('phone')}::text[],
      ${col('title')}::text[], ${col('company')}::text[], ${col('country')}::text[], ${col('city')}::text[], ${col('stage')}::text[],
      ${col('source')}::text[], ${col('owner')}::uuid[], ${col('account')}::uuid[], ${col('custom')}::jsonb[], ${col('created')}::timestamptz[])
      as u(id, email, first, last, phone, title, company, country, city, stage, source, owner, account, custom, created)`.execute(trx);
  });
  await ctx.db.transaction().execute((trx) =>
    recordAudit(trx, ctx.clock, actor, {
      action: 'demo.seeded',
      entityType: 'workspace',
      entityId: actor.workspaceId,
      meta: { accounts: 300, contacts: 2000 },
    }),
  );

  // A little history on the first contacts, so record timelines are not empty.
  for (const c of contacts.slice(0, 5)) {
    await updateRecord(ctx, actor, contactDef, String(c.id), { lifecycleStage: 'mql' });
    await updateRecord(ctx, actor, contactDef, String(c.id), { lifecycleStage: 'sql', custom: { newsletter_opt_in: true } });
  }
  await createRecord(ctx, actor, contactDef, {
    email: 'ada.lovelace@analytical-engines.example',
    firstName: 'Ada',
    lastName: 'Lovelace',
    title: 'Head of Marketing Operations',
    company: 'Analytical Engines',
    country: 'GB',
    city: 'London',
    lifecycleStage: 'customer',
    source: 'Referral',
    externalIds: { crm_id: '0035g00000AdaLov' },
    custom: {
      industry_segment: 'SaaS',
      employees: 42,
      newsletter_opt_in: true,
      signup_date: '2024-05-02',
      annual_budget: 4_200_000,
      interests: ['Email', 'Analytics'],
    },
  });
  return contacts.map((c) => String(c.email));
}
