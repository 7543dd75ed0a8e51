// The segments benchmark's data set, written with set-based SQL (INSERT ... SELECT over
// generate_series, in chunks): a workspace with accounts, contacts, profiles, identities, events
// over `days` days and touchpoints. The point is the data the segment queries read, not the path
// it came in by (the import and ingestion paths have their own benchmarks). Every choice comes from
// PostgreSQL's random() after setseed(), so one seed gives the same distributions on both back ends
// (ids come from gen_random_uuid and differ).
import { cliActor } from '../../src/platform/actor.js';
import { systemClock } from '../../src/platform/clock.js';
import type { Db } from '../../src/platform/db/database.js';
import { createCustomField } from '../../src/modules/crm/custom-fields.service.js';
import { createSource } from '../../src/modules/tracking/sources.service.js';
import { createWorkspace } from '../../src/modules/workspaces/workspaces.service.js';

export const SEG_WORKSPACE = 'Bench Segments';
export const SEED_SOURCE = 'Bench seed';

/** Runs SQL on one session (the seeding uses temp tables and session settings). */
export type Exec = (text: string) => Promise<Array<Record<string, unknown>>>;

export interface SeedSize {
  contacts: number;
  accounts: number;
  events: number;
  days: number;
  seed: number;
}

export const COUNTRIES = [
  ...Array<string>(6).fill('United States'),
  ...Array<string>(2).fill('Germany'),
  ...Array<string>(2).fill('United Kingdom'),
  'France',
  'Canada',
  'Netherlands',
  'Spain',
  'Italy',
  'Brazil',
  'India',
  'Australia',
  'Japan',
  'Sweden',
];
const INDUSTRIES = ['Software', 'Financial services', 'Healthcare', 'Retail', 'Manufacturing', 'Education', 'Media', 'Logistics'];
const STAGES = [
  ...Array<string>(5).fill('subscriber'),
  ...Array<string>(4).fill('lead'),
  'mql',
  'mql',
  'sql',
  'opportunity',
  'customer',
  'customer',
];
const TITLES = [
  'Engineer',
  'Senior Engineer',
  'Marketing Manager',
  'Product Manager',
  'Director of Marketing',
  'VP Sales',
  'CTO',
  'Analyst',
  'Designer',
  'Account Executive',
  'Head of Growth',
  'Founder',
];
const FIRST = [
  'Maya',
  'Liam',
  'Sofia',
  'Noah',
  'Emma',
  'Lucas',
  'Aisha',
  'Mateo',
  'Yuki',
  'Omar',
  'Chloe',
  'Ravi',
  'Elena',
  'Jonas',
  'Zoe',
  'Ivan',
];
const LAST = [
  'Raman',
  'Smith',
  'Garcia',
  'Müller',
  'Kim',
  'Rossi',
  'Dubois',
  'Silva',
  'Tanaka',
  'Nowak',
  'Jensen',
  'Okafor',
  'Patel',
  'Lopez',
];
const PLANS = ['free', 'free', 'free', 'pro', 'pro', 'business', 'enterprise'];

/** Track events and their weights (out of 64): `Demo Requested` is rare, `Signed In` common. */
export const TRACK_EVENTS: Array<[string, number]> = [
  ['Signed In', 20],
  ['Feature Used', 14],
  ['Report Exported', 6],
  ['Pricing Viewed', 5],
  ['Invite Sent', 4],
  ['Support Ticket Opened', 3],
  ['Webinar Registered', 3],
  ['Trial Started', 3],
  ['Plan Upgraded', 2],
  ['Demo Requested', 2],
  ['Integration Connected', 2],
];
const PAGES: Array<[string, number]> = [
  ['/', 10],
  ['/pricing', 5],
  ['/blog/segments-101', 3],
  ['/blog/attribution', 3],
  ['/docs/getting-started', 4],
  ['/docs/api/events', 3],
  ['/docs/segments', 2],
  ['/integrations/salesforce', 2],
  ['/integrations/hubspot', 1],
  ['/customers', 2],
  ['/careers', 1],
  ['/contact', 1],
  ['/app/dashboard', 10],
  ['/app/reports', 6],
  ['/app/settings', 3],
];
const CHANNELS = [
  ['organic search', 'google', 'organic', null],
  ['paid search', 'google', 'cpc', 'spring-launch'],
  ['paid search', 'bing', 'cpc', 'brand'],
  ['email', 'newsletter', 'email', 'spring-newsletter'],
  ['email', 'nurture', 'email', 'trial-nurture'],
  ['paid social', 'linkedin', 'paid_social', 'spring-abm'],
  ['organic social', 'twitter', 'social', null],
  ['referral', 'g2.com', 'referral', null],
  ['direct', null, null, null],
  ['direct', null, null, null],
] as const;

const lit = (s: string | null) => (s === null ? 'null' : `'${s.replace(/'/g, "''")}'`);
const arr = (xs: readonly string[]) => `array[${xs.map(lit).join(',')}]::text[]`;
const weighted = (xs: Array<[string, number]>) => arr(xs.flatMap(([v, w]) => Array<string>(w).fill(v)));
/** A random element of a SQL array literal `a` of `n` elements. */
const pick = (a: string, n: number) => `(${a})[1 + floor(random() * ${n})::int]`;

function progress(label: string, done: number, total: number, t0: number): void {
  const s = (performance.now() - t0) / 1000;
  console.log(
    `  ${label}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} (${s.toFixed(1)} s, ${Math.round(done / Math.max(s, 0.001)).toLocaleString('en')}/s)`,
  );
}

export interface SeedResult {
  workspaceId: string;
  seedSourceId: string;
  timings: Array<[string, number]>;
}

/**
 * The workspace, its two custom fields (createCustomField: contact `seats`, account `employees`),
 * and the seed source (createSource), through the app's own services.
 */
export async function createSeedWorkspace(db: Db): Promise<{ workspaceId: string; seedSourceId: string }> {
  const ws = await db.transaction().execute((trx) => createWorkspace(trx, systemClock, { name: SEG_WORKSPACE, slug: 'bench-segments' }));
  const ctx = { db, clock: systemClock };
  const actor = cliActor(ws.id);
  const base = { description: '', required: false, indexed: false } as const;
  await createCustomField(ctx, actor, { object: 'contact', key: 'seats', label: 'Seats', type: 'number', ...base });
  await createCustomField(ctx, actor, { object: 'account', key: 'employees', label: 'Employees', type: 'number', ...base });
  const src = await createSource(ctx, actor, { name: SEED_SOURCE, kind: 'server', retentionDays: null });
  return { workspaceId: ws.id, seedSourceId: src.id };
}

/**
 * Fills the workspace. `chunk` rows per INSERT for contacts and events (progress after each).
 * Events go in with the events indexes dropped and triggers off (session_replication_role =
 * replica: no segment exists yet, so the segment-queue triggers would queue nothing anyway), and
 * the indexes are then rebuilt from their own definitions, as read from the catalogue first.
 */
export async function seedData(exec: Exec, db: Db, size: SeedSize, chunk: number, embedded: boolean): Promise<SeedResult> {
  const timings: Array<[string, number]> = [];
  const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await fn();
    timings.push([label, performance.now() - t0]);
    console.log(`  ${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  };
  const { workspaceId: ws, seedSourceId } = await step('workspace, custom fields, source (services)', () => createSeedWorkspace(db));
  await exec(`select setseed(${((size.seed % 1000) + 1) / 1001})`);
  // UUIDv7-shaped ids (time first, as newId() makes them) from a time and random bits.
  await exec(`create or replace function pg_temp.bench_uuid7(t timestamptz) returns uuid language sql volatile as $$
    select (lpad(to_hex(floor(extract(epoch from t) * 1000)::bigint), 12, '0') || '7' ||
            substr(replace(gen_random_uuid()::text, '-', ''), 14, 3) || '8' ||
            substr(replace(gen_random_uuid()::text, '-', ''), 18, 15))::uuid $$`);
  const wsLit = `'${ws}'::uuid`;

  await step(`accounts (${size.accounts.toLocaleString('en')})`, async () => {
    await exec(`create temp table bench_accounts as
      select g as n, pg_temp.bench_uuid7(now() - random() * interval '1000 days') as id, g as k,
        ${pick(arr(INDUSTRIES), INDUSTRIES.length)} as industry, ${pick(arr(COUNTRIES), COUNTRIES.length)} as country,
        floor(power(10, 0.7 + random() * 4.3))::int as employees
      from generate_series(1, ${size.accounts}) g`);
    await exec(`create unique index on bench_accounts (n)`);
    await exec(`insert into accounts (id, workspace_id, name, domain, industry, size, country, custom, version, created_at, updated_at)
      select id, ${wsLit}, 'Company ' || k, 'company' || k || '.example', industry,
        case when employees < 50 then '1-49' when employees < 1000 then '50-999' else '1000+' end, country,
        jsonb_build_object('employees', employees), 1, now(), now()
      from bench_accounts`);
  });

  await step(`contacts (${size.contacts.toLocaleString('en')})`, async () => {
    const t0 = performance.now();
    for (let from = 1; from <= size.contacts; from += chunk) {
      const to = Math.min(size.contacts, from + chunk - 1);
      await exec(`insert into contacts (id, workspace_id, email, first_name, last_name, title, company, country, city,
          lifecycle_stage, source, account_id, traits, custom, version, created_at, updated_at)
        select pg_temp.bench_uuid7(x.created), ${wsLit}, 'person' || x.g || '@' || coalesce(a.k::text, 'mail' || (x.g % 97)) || '.example',
          x.fn, x.ln, x.title, 'Company ' || a.k, coalesce(a.country, x.country), null, x.stage, 'bench', a.id,
          jsonb_build_object('plan', x.plan), case when x.seats_set then jsonb_build_object('seats', x.seats) else '{}'::jsonb end,
          1, x.created, x.created
        from (select g, now() - random() * interval '730 days' as created, ${pick(arr(FIRST), FIRST.length)} as fn,
                ${pick(arr(LAST), LAST.length)} as ln, ${pick(arr(TITLES), TITLES.length)} as title,
                ${pick(arr(COUNTRIES), COUNTRIES.length)} as country, ${pick(arr(STAGES), STAGES.length)} as stage,
                ${pick(arr(PLANS), PLANS.length)} as plan, random() < 0.9 as seats_set, floor(power(10, random() * 3))::int as seats,
                case when random() < 0.9 then 1 + floor(power(random(), 1.5) * ${size.accounts})::int end as an
              from generate_series(${from}, ${to}) g) x
        left join bench_accounts a on a.n = x.an`);
      progress('contacts', to, size.contacts, t0);
    }
  });

  await step('profiles and identities', async () => {
    // 85% of contacts are known to tracking; as many again as 15% of contacts are anonymous
    // visitors. `n` shuffles them, and events pick profiles by n with a skew (below).
    await exec(`create temp table bench_profiles as
      select row_number() over (order by random())::int as n, id, contact_id from (
        select pg_temp.bench_uuid7(c.created_at) as id, c.id as contact_id from contacts c
          where c.workspace_id = ${wsLit} and random() < 0.85
        union all
        select pg_temp.bench_uuid7(now() - random() * interval '90 days'), null from generate_series(1, ${Math.round(size.contacts * 0.15)})
      ) s`);
    await exec(`create unique index on bench_profiles (n)`);
    await exec(`analyze bench_profiles`);
    await exec(`insert into profiles (id, workspace_id, contact_id, traits, first_seen_at, last_seen_at)
      select id, ${wsLit}, contact_id, '{}'::jsonb, now() - interval '${size.days} days', now() from bench_profiles`);
    await exec(`insert into identities (workspace_id, kind, value, profile_id, first_seen_at)
      select ${wsLit}, case when contact_id is null then 'anonymous_id' else 'user_id' end,
        case when contact_id is null then 'a-' || id else 'c-' || contact_id end, id, now() - interval '${size.days} days'
      from bench_profiles`);
  });
  const profiles = Number((await exec(`select count(*) as n from bench_profiles`))[0]?.n ?? 0);

  await exec(`select keel_ensure_event_partitions((now() - interval '${size.days + 1} days')::date, ${Math.ceil(size.days / 28) + 3})`);
  const indexDefs = (await exec(
    `select indexname, indexdef from pg_indexes where schemaname = 'public' and tablename = 'events'`,
  )) as Array<{
    indexname: string;
    indexdef: string;
  }>;
  const pk = (await exec(
    `select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'events'::regclass and contype = 'p'`,
  )) as Array<{
    conname: string;
    def: string;
  }>;
  await step(`events (${size.events.toLocaleString('en')})`, async () => {
    for (const p of pk) await exec(`alter table events drop constraint ${p.conname}`);
    for (const i of indexDefs) if (!pk.some((p) => p.conname === i.indexname)) await exec(`drop index ${i.indexname}`);
    await exec(`set session_replication_role = replica`);
    const t0 = performance.now();
    const ua = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';
    const tracks = weighted(TRACK_EVENTS);
    const trackN = TRACK_EVENTS.reduce((s, [, w]) => s + w, 0);
    const pages = weighted(PAGES);
    const pageN = PAGES.reduce((s, [, w]) => s + w, 0);
    for (let from = 1; from <= size.events; from += chunk) {
      const to = Math.min(size.events, from + chunk - 1);
      // power(random(), 3): the first 1% of profiles (by n) get about a fifth of all events,
      // the second half about a fifth too (around 5 each at 20 per profile on average).
      await exec(`insert into events (id, workspace_id, source_id, profile_id, type, event, name, message_id, anonymous_id, user_id,
          ts, sent_at, received_at, properties, traits, context)
        select pg_temp.bench_uuid7(x.ts), ${wsLit}, '${seedSourceId}'::uuid, p.id, x.type,
          case when x.type = 'track' then x.ev end, null, 'seed-' || x.g,
          case when p.contact_id is null then 'a-' || p.id end, case when p.contact_id is not null then 'c-' || p.contact_id end,
          x.ts, x.ts, x.ts,
          case when x.type = 'track' then jsonb_build_object('plan', x.plan)
               else jsonb_build_object('url', 'https://www.example.com' || x.path, 'path', x.path, 'title', 'Example ' || x.path) end,
          '{}'::jsonb,
          case when x.type = 'track' then '{"library": {"name": "analytics-node", "version": "6.2.0"}}'::jsonb
               else jsonb_build_object('library', jsonb_build_object('name', 'keel.js', 'version', '1.0.0'), 'userAgent', ${lit(ua)},
                      'locale', 'en-US', 'page', jsonb_build_object('path', x.path, 'url', 'https://www.example.com' || x.path)) end
        from (select g, 1 + floor(power(random(), 3) * ${profiles})::int as pn,
                now() - random() * interval '${size.days} days' as ts,
                case when random() < 0.65 then 'track' else 'page' end as type,
                ${pick(tracks, trackN)} as ev, ${pick(pages, pageN)} as path, ${pick(arr(PLANS), PLANS.length)} as plan
              from generate_series(${from}, ${to}) g) x
        join bench_profiles p on p.n = x.pn`);
      progress('events', to, size.events, t0);
    }
    await exec(`set session_replication_role = origin`);
  });
  await step('events indexes rebuilt', async () => {
    if (!embedded) await exec(`set maintenance_work_mem = '512MB'`);
    for (const p of pk) await exec(`alter table events add constraint ${p.conname} ${p.def}`);
    // pg_indexes shows a partitioned table's index as `ON ONLY events`, which would index no partition.
    for (const i of indexDefs) if (!pk.some((p) => p.conname === i.indexname)) await exec(i.indexdef.replace(' ON ONLY ', ' ON '));
  });

  await step('touchpoints', async () => {
    const ch = CHANNELS.length;
    const chan = (k: number) => arr(CHANNELS.map((c) => c[k] as string | null).map((v) => v ?? '') as string[]);
    await exec(`insert into touchpoints (id, workspace_id, profile_id, event_id, ts, channel, source, medium, campaign, landing_page)
      select pg_temp.bench_uuid7(x.ts), ${wsLit}, x.id, gen_random_uuid(), x.ts, (${chan(0)})[x.c], nullif((${chan(1)})[x.c], ''),
        nullif((${chan(2)})[x.c], ''), nullif((${chan(3)})[x.c], ''), 'https://www.example.com/'
      from (select p.id, now() - random() * interval '${size.days} days' as ts, 1 + floor(random() * ${ch})::int as c
            from bench_profiles p, generate_series(1, 2) k where random() < 0.4) x`);
  });
  await exec(`drop table bench_profiles`);
  await exec(`drop table bench_accounts`);
  await step('VACUUM ANALYZE', async () => {
    for (const t of ['accounts', 'contacts', 'profiles', 'identities', 'events', 'touchpoints', 'custom_fields'])
      await exec(`vacuum analyze ${t}`);
  });
  return { workspaceId: ws, seedSourceId, timings };
}
