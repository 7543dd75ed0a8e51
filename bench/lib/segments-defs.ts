// What the segments benchmark asks: the mixed segment and hand-written SQL for the same
// question, the 20 segments it rebuilds, and the segment a single event puts a contact into.
import { sql, type RawBuilder } from 'kysely';
import type { SegmentNode } from '../../src/modules/segments/segments.schema.js';

export const MIXED_COUNTRIES = ['Germany', 'United Kingdom', 'France', 'Netherlands'];
export const MIXED_SEATS = 10;
export const MIXED_EMPLOYEES = 1000;
export const MIXED_EVENT = 'Demo Requested';
export const MIXED_MIN_COUNT = 2;
export const MIXED_DAYS = 30;

/** The mixed segment: 2 field conditions, 1 account condition, 1 event count in a window. */
export const MIXED: SegmentNode = {
  all: [
    { field: 'country', op: 'in', value: MIXED_COUNTRIES },
    { field: 'seats', op: 'gte', value: MIXED_SEATS },
    { account: { field: 'employees', op: 'gte', value: MIXED_EMPLOYEES } },
    { event: MIXED_EVENT, count: { gte: MIXED_MIN_COUNT }, within: { days: MIXED_DAYS } },
  ],
};

export interface HandForm {
  name: string;
  /** The WHERE condition over `contacts r` (joined to `accounts a`) for the same answer. */
  where: (ws: string, since: Date) => RawBuilder<unknown>;
}

/** The field and account part, written by hand (the account as a join in `from`). */
const fieldPart = (ws: string) =>
  sql`r.workspace_id = ${ws} and r.deleted_at is null and r.country = any(${MIXED_COUNTRIES}::text[])
    and (r.custom->>'seats')::numeric >= ${MIXED_SEATS}
    and a.workspace_id = ${ws} and a.deleted_at is null and (a.custom->>'employees')::numeric >= ${MIXED_EMPLOYEES}`;
const demoEvents = (since: Date) => sql`e.type = 'track' and e.event = ${MIXED_EVENT} and e.ts >= ${since}`;

/**
 * Hand-written forms of the mixed segment's question. The first is the form the compiler emitted
 * before this benchmark (a correlated count per contact), the others the usual alternatives.
 */
export const HAND_FORMS: HandForm[] = [
  {
    name: 'correlated count(*) per contact',
    where: (ws, since) =>
      sql`${fieldPart(ws)} and (select count(*) from events e join profiles p on p.id = e.profile_id
        where p.contact_id = r.id and ${demoEvents(since)}) >= ${MIXED_MIN_COUNT}`,
  },
  {
    name: 'semi-join: r.id in (grouped events, HAVING count)',
    where: (ws, since) =>
      sql`${fieldPart(ws)} and r.id in (select p.contact_id from events e join profiles p on p.id = e.profile_id
        where ${demoEvents(since)} group by p.contact_id having count(*) >= ${MIXED_MIN_COUNT})`,
  },
  {
    name: 'EXISTS (... OFFSET n-1): stops at the n-th event',
    where: (ws, since) =>
      sql`${fieldPart(ws)} and exists (select 1 from events e join profiles p on p.id = e.profile_id
        where p.contact_id = r.id and ${demoEvents(since)} offset ${MIXED_MIN_COUNT - 1})`,
  },
];

export function handCount(form: HandForm, ws: string, since: Date): RawBuilder<{ n: string }> {
  return sql<{
    n: string;
  }>`select count(*)::text as n from contacts r join accounts a on a.id = r.account_id where ${form.where(ws, since)}`;
}

export function handPage(form: HandForm, ws: string, since: Date, select: RawBuilder<unknown>, limit: number): RawBuilder<{ id: string }> {
  return sql<{ id: string }>`select ${select} from contacts r join accounts a on a.id = r.account_id
    where ${form.where(ws, since)} order by r.id limit ${limit}`;
}

export interface NamedSegment {
  name: string;
  /** Built once the segments it refers to exist (their ids, by name). */
  definition: (ids: Record<string, string>) => SegmentNode;
}

/** Twenty segments of every kind the builder offers, in an order where references come first. */
export const REBUILD_SEGMENTS: NamedSegment[] = [
  { name: 'mixed: EU, 10+ seats, 1000+ employees, 2+ demo requests in 30 days', definition: () => MIXED },
  { name: 'country Germany', definition: () => ({ field: 'country', op: 'eq', value: 'Germany' }) },
  {
    name: 'MQL or SQL with 50+ seats',
    definition: () => ({
      all: [
        { field: 'lifecycleStage', op: 'in', value: ['mql', 'sql'] },
        { field: 'seats', op: 'gte', value: 50 },
      ],
    }),
  },
  { name: 'account industry Software', definition: () => ({ account: { field: 'industry', op: 'eq', value: 'Software' } }) },
  { name: 'account 10,000+ employees', definition: () => ({ account: { field: 'employees', op: 'gte', value: 10000 } }) },
  { name: 'signed in 10+ times in 30 days', definition: () => ({ event: 'Signed In', count: { gte: 10 }, within: { days: 30 } }) },
  { name: 'upgraded in 14 days', definition: () => ({ event: 'Plan Upgraded', within: { days: 14 } }) },
  { name: 'never started a trial', definition: () => ({ event: 'Trial Started', count: { eq: 0 } }) },
  {
    name: '3+ enterprise-plan report exports',
    definition: () => ({ event: 'Report Exported', count: { gte: 3 }, where: [{ property: 'plan', op: 'eq', value: 'enterprise' }] }),
  },
  { name: 'last viewed pricing in 7 days', definition: () => ({ event: 'Pricing Viewed', last: { within_last: { days: 7 } } }) },
  { name: 'pricing page in 30 days', definition: () => ({ page: { url: '*/pricing*' }, within: { days: 30 } }) },
  { name: '5+ docs pages', definition: () => ({ page: { url: '*/docs/*' }, count: { gte: 5 } }) },
  {
    name: 'first touch paid search',
    definition: () => ({ touchpoint: { field: 'channel', op: 'eq', value: 'paid search' }, which: 'first' }),
  },
  {
    name: 'spring campaign touch in 60 days',
    definition: () => ({ touchpoint: { field: 'campaign', op: 'starts_with', value: 'spring' }, which: 'any', within: { days: 60 } }),
  },
  {
    name: 'VP or Director',
    definition: () => ({
      any: [
        { field: 'title', op: 'contains', value: 'VP' },
        { field: 'title', op: 'contains', value: 'Director' },
      ],
    }),
  },
  { name: 'dormant: no sign-in in 30 days', definition: () => ({ not: { event: 'Signed In', within: { days: 30 } } }) },
  {
    name: 'German power users (segment ref)',
    definition: (ids) => ({
      all: [{ segment: ids['country Germany'] ?? '' }, { event: 'Feature Used', count: { gte: 5 }, within: { days: 7 } }],
    }),
  },
  {
    name: 'pro plan, invited or looked at integrations',
    definition: () => ({
      all: [
        { field: 'traits.plan', op: 'eq', value: 'pro' },
        { any: [{ event: 'Invite Sent', within: { days: 30 } }, { page: { url: '*/integrations/*' } }] },
      ],
    }),
  },
  {
    name: 'leads created in 90 days',
    definition: () => ({
      all: [
        { field: 'createdAt', op: 'within_last', value: { days: 90 } },
        { field: 'lifecycleStage', op: 'eq', value: 'lead' },
      ],
    }),
  },
  {
    name: 'big accounts, active, outside the US (nested refs)',
    definition: (ids) => ({
      all: [
        { segment: ids['account 10,000+ employees'] ?? '' },
        { not: { segment: ids['dormant: no sign-in in 30 days'] ?? '' } },
        { field: 'country', op: 'nin', value: ['United States'] },
      ],
    }),
  },
];

/** The segment one `Demo Requested` event puts a contact into (incremental membership). */
export const INCREMENTAL: { name: string; definition: SegmentNode } = {
  name: 'requested a demo today',
  definition: { event: 'Demo Requested', within: { days: 1 } },
};
