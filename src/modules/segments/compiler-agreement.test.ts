import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { compileSegment } from './segments.membership.js';
import type { SegmentNode } from './segments.schema.js';

/**
 * The compiled SQL must agree with an in-memory evaluator of the same definition, on random data
 * and random definitions. The evaluator is written from the documented semantics, not from the
 * SQL: a condition on a missing value is unknown; `all`/`any` follow three-valued logic; `not`
 * treats unknown as false; a contact is in the segment only when the whole tree is true.
 */
type B3 = boolean | null;
interface Ev {
  event: string;
  ts: number;
  plan: string | null;
}
interface Person {
  id: string;
  country: string | null;
  firstName: string | null;
  seats: number | null;
  plan: string | null;
  createdAt: number;
  account: number | null;
  events: Ev[];
  /** Visits' sources, at distinct times (first and last are then unambiguous). */
  touches: Array<{ ts: number; source: string | null }>;
}

const DAY = 86_400_000;
const NOW = new Date();
const ACCOUNTS = [5000, 12, null] as const; // employees per account (the third has none)

const and3 = (xs: B3[]): B3 => (xs.some((x) => x === false) ? false : xs.some((x) => x === null) ? null : true);
const or3 = (xs: B3[]): B3 => (xs.some((x) => x === true) ? true : xs.some((x) => x === null) ? null : false);

type Val = string | number | boolean | string[] | number[] | { days: number } | (string | number)[] | undefined;
function cmp(v: string | number | null, op: string, x: Val, kind: 'text' | 'number' | 'time', now: number): B3 {
  switch (op) {
    case 'is_empty':
      return v === null || v === '';
    case 'is_not_empty':
      return !(v === null || v === '');
    case 'neq':
      return v !== x;
    case 'nin':
      return v === null ? true : !(x as (string | number)[]).map(String).includes(String(v));
    default:
      break;
  }
  if (v === null) return null;
  switch (op) {
    case 'eq':
      return v === x;
    case 'in':
      return (x as (string | number)[]).map(String).includes(String(v));
    case 'contains':
      return String(v).toLowerCase().includes(String(x).toLowerCase());
    case 'starts_with':
      return String(v).toLowerCase().startsWith(String(x).toLowerCase());
    case 'gt':
      return (v as number) > (x as number);
    case 'gte':
      return (v as number) >= (x as number);
    case 'lt':
      return (v as number) < (x as number);
    case 'lte':
      return (v as number) <= (x as number);
    case 'between': {
      const [a, b] = x as [number, number];
      return and3([(v as number) >= a, (v as number) <= b]);
    }
    case 'within_last':
      return (v as number) >= now - (x as { days: number }).days * DAY && (v as number) <= now;
    case 'before':
      return kind === 'time' && (v as number) < Date.parse(x as string);
    case 'after':
      return kind === 'time' && (v as number) > Date.parse(x as string);
    default:
      throw new Error(`op ${op}`);
  }
}

function evaluate(n: SegmentNode, p: Person, now: number): B3 {
  if ('all' in n) return and3(n.all.map((c) => evaluate(c, p, now)));
  if ('any' in n) return or3(n.any.map((c) => evaluate(c, p, now)));
  if ('not' in n) return !(evaluate(n.not, p, now) === true);
  if ('account' in n) {
    if (p.account === null) return null;
    return cmp(ACCOUNTS[p.account] ?? null, n.account.op, n.account.value as Val, 'number', now) === true;
  }
  if ('event' in n) {
    const matching = p.events.filter((e) => e.event === n.event && (n.where ?? []).every((w) => e.plan !== null && e.plan === w.value));
    const count = matching.filter((e) => !n.within || e.ts >= now - n.within.days * DAY).length;
    // first/last: when the contact first (last) did it, regardless of `within`; never did it: false.
    const times = matching.map((e) => e.ts);
    const timeOk = (t: NonNullable<typeof n.first>, at: number | undefined): boolean =>
      at !== undefined &&
      ('within_last' in t ? at >= now - t.within_last.days * DAY : 'before' in t ? at < Date.parse(t.before) : at > Date.parse(t.after));
    if (n.first && !timeOk(n.first, times.length ? Math.min(...times) : undefined)) return false;
    if (n.last && !timeOk(n.last, times.length ? Math.max(...times) : undefined)) return false;
    if (!n.count && (n.first || n.last)) return true;
    const c = n.count ?? { gte: 1 };
    return (
      (c.eq === undefined || count === c.eq) &&
      (c.gte === undefined || count >= c.gte) &&
      (c.gt === undefined || count > c.gt) &&
      (c.lte === undefined || count <= c.lte) &&
      (c.lt === undefined || count < c.lt)
    );
  }
  if ('touchpoint' in n) {
    const inWindow = p.touches.filter((t) => !n.within || t.ts >= now - n.within.days * DAY).sort((a, b) => a.ts - b.ts);
    const which = n.which ?? 'any';
    const pool = which === 'any' ? inWindow : which === 'first' ? inWindow.slice(0, 1) : inWindow.slice(-1);
    const x = n.touchpoint.value;
    return pool.some((t) => {
      switch (n.touchpoint.op) {
        case 'eq':
          return t.source === x;
        case 'neq':
          return t.source !== x;
        case 'is_empty':
          return !t.source;
        case 'is_not_empty':
          return !!t.source;
        case 'starts_with':
          return t.source !== null && t.source.toLowerCase().startsWith(String(x).toLowerCase());
        default:
          throw new Error(`op ${n.touchpoint.op}`);
      }
    });
  }
  if ('field' in n) {
    const v =
      n.field === 'country'
        ? p.country
        : n.field === 'firstName'
          ? p.firstName
          : n.field === 'seats'
            ? p.seats
            : n.field === 'traits.plan'
              ? p.plan
              : p.createdAt;
    return cmp(v, n.op, n.value as Val, n.field === 'createdAt' ? 'time' : n.field === 'seats' ? 'number' : 'text', now);
  }
  throw new Error(`node ${JSON.stringify(n)}`);
}

// Random definitions over the fields above, every operator that fits each type.
const texts = ['DE', 'de', 'FR', '', 'Ann', 'an', 'Bob', 'pro', 'team', 'free'];
const textCond = (field: string) =>
  fc.oneof(
    fc.record({ field: fc.constant(field), op: fc.constantFrom('eq', 'neq', 'contains', 'starts_with'), value: fc.constantFrom(...texts) }),
    fc.record({ field: fc.constant(field), op: fc.constantFrom('in', 'nin'), value: fc.subarray(texts, { minLength: 1 }) }),
    fc.record({ field: fc.constant(field), op: fc.constantFrom('is_empty', 'is_not_empty') }),
  );
const numCond = fc.oneof(
  fc.record({
    field: fc.constant('seats'),
    op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'),
    value: fc.integer({ min: 0, max: 10 }),
  }),
  fc.record({
    field: fc.constant('seats'),
    op: fc.constantFrom('in', 'nin'),
    value: fc.uniqueArray(fc.integer({ min: 0, max: 10 }), { minLength: 1 }),
  }),
  fc.record({
    field: fc.constant('seats'),
    op: fc.constant('between'),
    value: fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)]),
  }),
  fc.record({ field: fc.constant('seats'), op: fc.constantFrom('is_empty', 'is_not_empty') }),
);
const timeCond = fc.oneof(
  fc.record({
    field: fc.constant('createdAt'),
    op: fc.constant('within_last'),
    value: fc.integer({ min: 1, max: 60 }).map((days) => ({ days })),
  }),
  fc.record({
    field: fc.constant('createdAt'),
    op: fc.constantFrom('before', 'after'),
    value: fc.integer({ min: 0, max: 60 }).map((d) => new Date(NOW.getTime() - d * DAY - 3_600_000).toISOString()),
  }),
);
const accountCond = fc.record({
  account: fc.oneof(
    fc.record({ field: fc.constant('employees'), op: fc.constantFrom('eq', 'neq', 'gte', 'lt'), value: fc.constantFrom(12, 1000, 5000) }),
    fc.record({ field: fc.constant('employees'), op: fc.constantFrom('is_empty', 'is_not_empty') }),
  ),
});
const timeTest = fc.oneof(
  fc.record({ within_last: fc.integer({ min: 1, max: 45 }).map((days) => ({ days })) }),
  fc.record({ before: fc.integer({ min: 0, max: 45 }).map((d) => new Date(NOW.getTime() - d * DAY - 1_800_000).toISOString()) }),
  fc.record({ after: fc.integer({ min: 0, max: 45 }).map((d) => new Date(NOW.getTime() - d * DAY - 1_800_000).toISOString()) }),
);
const eventCond = fc.record(
  {
    event: fc.constantFrom('Demo Requested', 'Pricing Viewed'),
    count: fc.oneof(
      fc.record({ gte: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ eq: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ lt: fc.integer({ min: 1, max: 3 }) }),
    ),
    within: fc.integer({ min: 1, max: 45 }).map((days) => ({ days })),
    where: fc.constantFrom([{ property: 'plan', op: 'eq' as const, value: 'pro' }]),
    first: timeTest,
    last: timeTest,
  },
  { requiredKeys: ['event'] },
);
const sources = ['google', 'news', '', null] as const;
const touchCond = fc.record(
  {
    touchpoint: fc.oneof(
      fc.record({
        field: fc.constant('source' as const),
        op: fc.constantFrom('eq' as const, 'neq' as const),
        value: fc.constantFrom('google', 'news'),
      }),
      fc.record({ field: fc.constant('source' as const), op: fc.constant('starts_with' as const), value: fc.constantFrom('goo', 'n') }),
      fc.record({ field: fc.constant('source' as const), op: fc.constantFrom('is_empty' as const, 'is_not_empty' as const) }),
    ),
    which: fc.constantFrom('any' as const, 'first' as const, 'last' as const),
    within: fc.integer({ min: 1, max: 45 }).map((days) => ({ days })),
  },
  { requiredKeys: ['touchpoint', 'which'] },
);
const leaf = fc.oneof(
  textCond('country'),
  textCond('firstName'),
  textCond('traits.plan'),
  numCond,
  timeCond,
  accountCond,
  eventCond,
  touchCond,
);
const { tree } = fc.letrec<{ tree: SegmentNode }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf as fc.Arbitrary<SegmentNode>,
    fc.record({ all: fc.array(tie('tree'), { maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('tree'), { maxLength: 3 }) }),
    fc.record({ not: tie('tree') }),
  ),
}));

const person = fc.record({
  country: fc.constantFrom('DE', 'de', 'FR', '', null),
  firstName: fc.constantFrom('Ann', 'anna', 'Bob', null),
  seats: fc.option(fc.integer({ min: 0, max: 10 })),
  plan: fc.constantFrom('pro', 'team', 'free', null),
  ageHours: fc.integer({ min: 1, max: 60 * 24 }),
  account: fc.constantFrom(0, 1, 2, null),
  events: fc.array(
    fc.record({
      event: fc.constantFrom('Demo Requested', 'Pricing Viewed'),
      ageHours: fc.integer({ min: 1, max: 40 * 24 }),
      plan: fc.constantFrom('pro', 'free', null),
    }),
    { maxLength: 4 },
  ),
  touches: fc.uniqueArray(fc.record({ ageHours: fc.integer({ min: 1, max: 40 * 24 }), source: fc.constantFrom(...sources) }), {
    maxLength: 3,
    selector: (t) => t.ageHours,
  }),
});

let t: TestApp;
let ws: string;
const accountIds: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  const w = await makeWorkspace(t);
  ws = w.id;
  const key = await makeApiKey(t, w, 'admin');
  const post = async (url: string, payload: object) =>
    json<{ id: string }>(await t.app.inject({ method: 'POST', url, headers: bearer(key), payload }));
  await post('/api/v1/custom-fields', { object: 'contact', label: 'Seats', type: 'number' });
  await post('/api/v1/custom-fields', { object: 'account', label: 'Employees', type: 'number' });
  for (const [i, n] of ACCOUNTS.entries()) {
    accountIds.push((await post('/api/v1/accounts', { name: `Acc ${i}`, ...(n !== null && { custom: { employees: n } }) })).id);
  }
});
afterAll(async () => t?.close());

describe('segment compiler', () => {
  it('agrees with an in-memory evaluator on random data and random definitions (property)', async () => {
    const db = t.db.handle.db;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(person, { minLength: 1, maxLength: 12 }), tree, async (people, def) => {
        const tag = `run-${++run}-${newId()}`;
        const now = NOW.getTime();
        const ps: Person[] = people.map((x) => ({
          id: newId(),
          country: x.country,
          firstName: x.firstName,
          seats: x.seats,
          plan: x.plan,
          createdAt: now - x.ageHours * 3_600_000,
          account: x.account,
          events: x.events.map((e) => ({ event: e.event, ts: now - e.ageHours * 3_600_000, plan: e.plan })),
          touches: x.touches.map((v) => ({ ts: now - v.ageHours * 3_600_000, source: v.source })),
        }));
        await db
          .insertInto('contacts')
          .values(
            ps.map((p, i) => ({
              id: p.id,
              workspace_id: ws,
              email: `${tag}-${i}@example.com`,
              first_name: p.firstName,
              country: p.country,
              source: tag,
              account_id: p.account === null ? null : (accountIds[p.account] ?? null),
              traits: JSON.stringify(p.plan === null ? {} : { plan: p.plan }),
              custom: JSON.stringify(p.seats === null ? {} : { seats: p.seats }),
              version: 1,
              created_at: new Date(p.createdAt),
              updated_at: new Date(p.createdAt),
            })),
          )
          .execute();
        const withEvents = ps.filter((p) => p.events.length > 0 || p.touches.length > 0);
        if (withEvents.length) {
          const profiles = withEvents.map((p) => ({ p, profile: newId() }));
          await db
            .insertInto('profiles')
            .values(
              profiles.map(({ p, profile }) => ({
                id: profile,
                workspace_id: ws,
                contact_id: p.id,
                traits: '{}',
                first_seen_at: NOW,
                last_seen_at: NOW,
              })),
            )
            .execute();
          const eventRows = profiles.flatMap(({ p, profile }) =>
            p.events.map((e) => ({
              id: newId(),
              workspace_id: ws,
              source_id: ws,
              profile_id: profile,
              type: 'track' as const,
              event: e.event,
              message_id: newId(),
              ts: new Date(e.ts),
              received_at: NOW,
              name: null,
              anonymous_id: null,
              user_id: null,
              sent_at: null,
              properties: JSON.stringify(e.plan === null ? {} : { plan: e.plan }),
              traits: '{}',
              context: '{}',
            })),
          );
          if (eventRows.length) await db.insertInto('events').values(eventRows).execute();
          const touches = profiles.flatMap(({ p, profile }) =>
            p.touches.map((v) => ({
              id: newId(),
              workspace_id: ws,
              profile_id: profile,
              event_id: newId(),
              ts: new Date(v.ts),
              channel: v.source ? 'referral' : 'direct',
              source: v.source,
            })),
          );
          if (touches.length) await db.insertInto('touchpoints').values(touches).execute();
        }
        const wrapped: SegmentNode = { all: [{ field: 'source', op: 'eq', value: tag }, def] };
        let c: Awaited<ReturnType<typeof compileSegment>>;
        try {
          c = await compileSegment(db, ws, NOW, wrapped);
        } catch (err) {
          // Groups that can never be true are refused before saving (tested elsewhere): skip them.
          if (err instanceof AppError && /can never be true|at once|first bound is above/.test(err.message)) {
            fc.pre(false);
          }
          throw err;
        }
        const got = await sql<{ id: string }>`select r.id from contacts r
          where r.workspace_id = ${ws} and r.deleted_at is null and ${c.cond} order by r.id`.execute(db);
        const want = ps
          .filter((p) => evaluate(def, p, now) === true)
          .map((p) => p.id)
          .sort();
        expect(
          got.rows.map((r) => r.id),
          JSON.stringify(def),
        ).toEqual(want);
        // Compiled for a chunk of the contacts (as the queue does), it says the same of each of them.
        const chunk = ps.filter((_, i) => i % 2 === 0).map((p) => p.id);
        const cc = await compileSegment(db, ws, NOW, wrapped, undefined, { contacts: chunk });
        const gotChunk = await sql<{ id: string }>`select r.id from contacts r
          where r.workspace_id = ${ws} and r.deleted_at is null and r.id = any(${chunk}::uuid[]) and ${cc.cond} order by r.id`.execute(db);
        expect(
          gotChunk.rows.map((r) => r.id),
          `chunk: ${JSON.stringify(def)}`,
        ).toEqual(want.filter((id) => chunk.includes(id)));
      }),
      { numRuns: 300 },
    );
  });
});
