import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, json, makeApiKey, makeWorkspace, type TestApp } from '../../test/app.js';
import { loadFrequencies, processDedupeQueue, saveFrequencies } from './detect.service.js';
import {
  DEFAULT_MODELS,
  FREQUENCY_MIN_RECORDS,
  FREQUENCY_WEIGHT_MIN,
  compare,
  comparePrepared,
  countFrequencies,
  frequencyBonus,
  frequencyValues,
  frequencyWeight,
  levelWeight,
  prepare,
  type MatchRecord,
  type Prepared,
} from './matching.js';

/** `n` prepared contacts named `first last` in `city` (emails made unique). */
function people(n: number, first: string, last: string, city = 'Berlin'): Prepared[] {
  return Array.from({ length: n }, (_, i) =>
    prepare({ id: `${first}${last}${i}`, email: `x${i}.${first}.${last}@example.com`, firstName: first, lastName: last, city }),
  );
}

/** A workspace-sized population: a common name, a rare one, and a long tail of unique names. */
function population(): Prepared[] {
  const tail = Array.from({ length: FREQUENCY_MIN_RECORDS }, (_, i) => people(1, `given${i}`, `family${i}`, `town${i % 50}`)).flat();
  return [...people(200, 'Maria', 'Rossi', 'Rome'), ...people(2, 'Ottilie', 'Quenneville'), ...tail];
}

describe('term frequencies (how common a name is)', () => {
  it('counts values of two or more records per field, and nothing below FREQUENCY_MIN_RECORDS records', () => {
    const f = countFrequencies('contact', population());
    expect(f.firstName?.counts.get('maria')).toBe(200);
    expect(f.lastName?.counts.get('quenneville')).toBe(2);
    expect(f.fullName?.counts.get('maria rossi')).toBe(200);
    // Values of one record are not kept.
    expect(f.lastName?.counts.has('family7')).toBe(false);
    expect(f.lastName?.total).toBe(200 + 2 + FREQUENCY_MIN_RECORDS);
    // Σ share² is how often two random records agree.
    const total = 200 + 2 + FREQUENCY_MIN_RECORDS;
    expect(f.lastName?.agree).toBeCloseTo((200 / total) ** 2 + (2 / total) ** 2 + FREQUENCY_MIN_RECORDS / total ** 2, 12);
    expect(countFrequencies('contact', people(FREQUENCY_MIN_RECORDS - 1, 'Ann', 'Lee'))).toEqual({});
  });

  it('weighs agreement on a common value down, never a rare one up, and no further than FREQUENCY_WEIGHT_MIN', () => {
    const f = countFrequencies('contact', population());
    const last = f.lastName;
    if (!last) throw new Error('no lastName frequencies');
    expect(frequencyWeight(last, 'rossi')).toBeLessThan(0);
    expect(frequencyWeight(last, 'quenneville')).toBe(0);
    // A value not counted (one record so far) is rare.
    expect(frequencyWeight(last, 'nobody')).toBe(0);
    expect(frequencyWeight({ total: 1000, agree: 0.001, counts: new Map([['x', 1000]]) }, 'x')).toBe(FREQUENCY_WEIGHT_MIN);
  });

  it('uses the full name when both names agree, each name alone otherwise, and the city', () => {
    const pop = population();
    const f = countFrequencies('contact', pop);
    const [a, b] = pop as [Prepared, Prepared];
    const levels = comparePrepared('contact', a, b);
    const bonus = frequencyBonus('contact', f, a, b, levels) ?? {};
    const full = frequencyWeight(f.fullName as NonNullable<typeof f.fullName>, 'maria rossi');
    expect(full).toBeLessThan(0);
    expect(bonus.firstName).toBeCloseTo(full / 2, 12);
    expect(bonus.lastName).toBeCloseTo(full / 2, 12);
    expect(bonus.city).toBeLessThan(0);
    // Another Maria: the first name alone.
    const other = prepare({ id: 'o', email: 'maria.b@example.com', firstName: 'Maria', lastName: 'Bianchi' });
    const l2 = comparePrepared('contact', a, other);
    expect(frequencyBonus('contact', f, a, other, l2)).toEqual({
      firstName: frequencyWeight(f.firstName as NonNullable<typeof f.firstName>, 'maria'),
    });
    // The rare pair keeps the built-in weights; no frequencies, nothing to add.
    const rare = pop.filter((p) => p.last === 'quenneville') as [Prepared, Prepared];
    expect(frequencyBonus('contact', f, rare[0], rare[1], comparePrepared('contact', rare[0], rare[1]))).toBeUndefined();
    expect(frequencyBonus('contact', undefined, a, b, levels)).toBeUndefined();
  });

  it('lists the values to load for the records compared', () => {
    const v = frequencyValues('contact', [prepare({ id: 'a', email: 'a@x.com', firstName: 'Bob', lastName: 'Smith' })]);
    // First names through the nickname table, as compared.
    expect(v).toEqual({ firstName: ['robert'], lastName: ['smith'], fullName: ['robert smith'] });
  });
});

describe('email and names rules', () => {
  const c = (x: Partial<MatchRecord>, y: Partial<MatchRecord>) => compare('contact', { id: 'a', ...x }, { id: 'b', ...y });

  it('the same mailbox at a domain one letter off is a typo of one address, names mailbox or not', () => {
    expect(c({ email: 'rebecca.allen@gmx.de', firstName: 'Rebecca', lastName: 'Allen' }, { email: 'rebecca.allen@gmmx.de' }).email).toBe(
      'close',
    );
    expect(c({ email: 'harris.anna@gmail.com', firstName: 'Anna', lastName: 'Harris' }, { email: 'harris.anna@gnail.com' }).email).toBe(
      'close',
    );
    // Another provider altogether is still no evidence (namesakes have it everywhere).
    expect(
      c(
        { email: 'maria.garcia@gmail.com', firstName: 'Maria', lastName: 'Garcia' },
        { email: 'maria.garcia@yahoo.com', firstName: 'Maria', lastName: 'Garcia' },
      ).email,
    ).toBe('missing');
  });

  it("colleagues' names mailboxes differ because their names do: evidence against, not none", () => {
    const l = c(
      { email: 'kimberlym@fernpoint.io', firstName: 'Kimberly', lastName: 'Marez' },
      { email: 'kimberlyt@fernpoint.io', firstName: 'Kimberly', lastName: 'Takahashi' },
    );
    expect(l.email).toBe('diff');
    // A typo in the names and the mailbox alike is still counted once, by the names.
    expect(
      c(
        { email: 'james.baker@acme.com', firstName: 'James', lastName: 'Baker' },
        { email: 'james.bakker@acme.com', firstName: 'James', lastName: 'Bakker' },
      ).email,
    ).toBe('missing');
  });

  it('compares first names as written when that agrees better than through the nickname table', () => {
    // Hannah goes to johanna through the table; its typo Hannnah is not in it.
    expect(c({ firstName: 'Hannah', lastName: 'Torham' }, { firstName: 'Hannnah', lastName: 'Torham' }).firstName).toBe('close');
    expect(c({ firstName: 'Bob', lastName: 'Smith' }, { firstName: 'Robert', lastName: 'Smith' }).firstName).toBe('exact');
    expect(c({ firstName: 'Hannah', lastName: 'Torham' }, { firstName: 'Oliver', lastName: 'Torham' }).firstName).toBe('diff');
  });

  it('reads a missing name from a mailbox of two names, one of them the name the record has', () => {
    expect(prepare({ id: 'a', email: 'maria.chen84@outlook.com', lastName: 'Chen' }).first).toBe('maria');
    expect(prepare({ id: 'a', email: 'harris.anna@gmail.com', firstName: 'Anna' }).last).toBe('harris');
    // Not when the mailbox does not hold the name given, nor when both names are there or both missing.
    expect(prepare({ id: 'a', email: 'sales.team@acme.com', lastName: 'Chen' }).first).toBe('');
    expect(prepare({ id: 'a', email: 'maria.chen@acme.com' }).first).toBe('');
    const l = c(
      { email: 'maria.chen@yahoo.com', firstName: 'Maria', lastName: 'Chen' },
      { email: 'maria.chen@outlook.com', lastName: 'Chen' },
    );
    expect(l.firstName).toBe('exact');
  });
});

describe('term frequencies in the database', () => {
  let t: TestApp;
  let ws: string;
  let key: string;
  beforeAll(async () => {
    t = await createTestApp();
    const w = await makeWorkspace(t);
    ws = w.id;
    key = await makeApiKey(t, w, 'admin');
  });
  afterAll(async () => t?.close());

  it('stores a scan’s counts as hashes and gives back those asked for; none before a scan', async () => {
    const db = t.db.handle.db;
    expect(await loadFrequencies(db, ws, 'contact', { lastName: ['rossi'] })).toBeUndefined();
    const f = countFrequencies('contact', population());
    await saveFrequencies(db, ws, 'contact', f, t.clock.now());
    const names = await db.selectFrom('dedupe_value_counts').select('value_hash').where('workspace_id', '=', ws).execute();
    expect(names.length).toBeGreaterThan(0);
    const back = await loadFrequencies(db, ws, 'contact', { lastName: ['rossi', 'quenneville', 'nobody'], fullName: ['maria rossi'] });
    expect(back?.lastName?.total).toBe(f.lastName?.total);
    expect(back?.lastName?.agree).toBeCloseTo(f.lastName?.agree ?? NaN, 12);
    expect([...(back?.lastName?.counts ?? [])]).toEqual(
      expect.arrayContaining([
        ['rossi', 200],
        ['quenneville', 2],
      ]),
    );
    expect(back?.lastName?.counts.has('nobody')).toBe(false);
    expect(back?.fullName?.counts.get('maria rossi')).toBe(200);
    // Saving again replaces.
    await saveFrequencies(db, ws, 'contact', {}, t.clock.now());
    expect(await loadFrequencies(db, ws, 'contact', { lastName: ['rossi'] })).toBeUndefined();
  });

  it('the incremental matcher weighs a common name down with the stored counts', async () => {
    const db = t.db.handle.db;
    await saveFrequencies(db, ws, 'contact', countFrequencies('contact', population()), t.clock.now());
    for (const email of ['maria.rossi@firm-one.com', 'maria.rossi77@mail-two.com']) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/contacts',
        headers: bearer(key),
        payload: { email, firstName: 'Maria', lastName: 'Rossi', city: 'Rome', phone: '+390612345678' },
      });
      expect(r.statusCode, r.body).toBe(201);
    }
    for (;;) if (!(await processDedupeQueue({ db, clock: t.clock })).more) break;
    const list = json<{ data: Array<{ reasons: Array<{ field: string; weight: number }> }> }>(
      await t.app.inject({ method: 'GET', url: '/api/v1/duplicates?object=contact', headers: bearer(key) }),
    );
    const reasons = list.data[0]?.reasons ?? [];
    const weight = (f: string) => reasons.find((r) => r.field === f)?.weight;
    const builtIn = (f: string) => Math.round(levelWeight(DEFAULT_MODELS.contact, f, 'exact') * 100) / 100;
    expect(weight('lastName')).toBeLessThan(builtIn('lastName'));
    expect(weight('firstName')).toBeLessThan(builtIn('firstName'));
    expect(weight('phone')).toBe(builtIn('phone'));
  });
});
