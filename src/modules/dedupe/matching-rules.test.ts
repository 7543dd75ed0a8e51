import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { doubled, oneSlip } from './edits.js';
import { blockingKeys, compare, DEFAULT_MODELS, score, type MatchRecord } from './matching.js';
import { canonicalFirstName, nicknamesAgree, nicknamesNear } from './nicknames.js';

const c = (x: Partial<MatchRecord>, y: Partial<MatchRecord>) => compare('contact', { id: 'a', ...x }, { id: 'b', ...y });
const p = (x: Partial<MatchRecord>, y: Partial<MatchRecord>) => score(DEFAULT_MODELS.contact, c(x, y)).probability;

describe('edits', () => {
  it('one slip: a letter dropped, inserted, replaced, or two neighbours swapped; nothing more', () => {
    for (const [a, b] of [
      ['hugo', 'huho'],
      ['mia', 'mai'],
      ['jaems', 'james'],
      ['anna', 'ana'],
      ['anna', 'annna'],
      ['hotmail.com', 'hotmial.com'],
    ])
      expect(oneSlip(a as string, b as string), `${a} ${b}`).toBe(true);
    for (const [a, b] of [
      ['anna', 'anna'],
      ['seegei', 'serggei'],
      ['mia', 'ami'],
      ['ab', 'abcd'],
      ['maria', 'mario1'],
    ])
      expect(oneSlip(a as string, b as string), `${a} ${b}`).toBe(false);
  });

  it('one slip is symmetric and matches a brute-force distance (property)', () => {
    const osa = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) =>
        Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
      );
      for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++) {
          const row = d[i] as number[];
          const prev = d[i - 1] as number[];
          row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
            row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
        }
      return (d[a.length] as number[])[b.length] as number;
    };
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 6 });
    fc.assert(
      fc.property(word, word, (a, b) => {
        expect(oneSlip(a, b)).toBe(oneSlip(b, a));
        expect(oneSlip(a, b)).toBe(osa(a, b) === 1);
      }),
      { numRuns: 2000 },
    );
  });

  it('doubled: one letter written twice, also in other scripts', () => {
    expect(doubled('lee', 'le')).toBe(true);
    expect(doubled('伊藤藤', '伊藤')).toBe(true);
    expect(doubled('lea', 'le')).toBe(false);
    expect(doubled('le', 'lee')).toBe(false);
  });
});

describe('nicknames', () => {
  it('short forms of two names agree with both, and names of other languages have theirs', () => {
    expect(nicknamesAgree('alex', 'alexandra')).toBe(true);
    expect(nicknamesAgree('alex', 'alexander')).toBe(true);
    expect(nicknamesAgree('alexander', 'alexandra')).toBe(false);
    expect(nicknamesAgree('paco', 'francisco')).toBe(true);
    expect(nicknamesAgree('sasha', 'aleksandr')).toBe(true);
    expect(canonicalFirstName('pepe')).toBe('jose');
    expect(c({ firstName: 'Eddie', lastName: 'Hartington' }, { firstName: 'Eduardo', lastName: 'Hartington' }).firstName).toBe('exact');
  });

  it('a short form with a slip in it is close to its full name, not to another name', () => {
    expect(nicknamesNear('vikcy', 'victoria')).toBe(true);
    expect(nicknamesNear('tny', 'anthony')).toBe(true);
    expect(nicknamesNear('vikcy', 'veronica')).toBe(false);
    expect(c({ firstName: 'Miike', lastName: 'Brooks' }, { firstName: 'Michael', lastName: 'Brooks' }).firstName).toBe('close');
  });
});

describe('names', () => {
  it('a slip past the first letter is close, also in short names; another first letter is not', () => {
    expect(c({ firstName: 'Hugo' }, { firstName: 'Huho' }).firstName).toBe('close');
    expect(c({ firstName: 'Mia' }, { firstName: 'Mai' }).firstName).toBe('close');
    expect(c({ lastName: 'Lee' }, { lastName: 'Le' }).lastName).toBe('close');
    expect(c({ lastName: '伊藤' }, { lastName: '伊藤藤' }).lastName).toBe('close');
    expect(c({ firstName: 'Serggei' }, { firstName: 'Seegei' }).firstName).toBe('close');
    expect(c({ firstName: 'Mia' }, { firstName: 'Tia' }).firstName).toBe('diff');
    expect(c({ firstName: 'Jan' }, { firstName: 'Jon' }).firstName).toBe('close');
    expect(c({ firstName: 'Ann' }, { firstName: 'Ian' }).firstName).toBe('diff');
  });

  it('swapped names with a short form on either side still agree', () => {
    // Both swapped: the given names are in the last-name fields.
    expect(c({ firstName: 'Karlsson', lastName: 'Ben' }, { firstName: 'Karlsson', lastName: 'Benjamin' }).lastName).toBe('close');
    // One swapped: compared crosswise, through the nickname table.
    const l = c({ firstName: 'Jim', lastName: 'Spencer' }, { firstName: 'Spencer', lastName: 'James' });
    expect([l.firstName, l.lastName]).toEqual(['exact', 'exact']);
  });

  it('reads a missing name from a mailbox of the two names, also one word and with the known name mistyped', () => {
    expect(c({ email: 'carlos.lopez@icloud.com', lastName: 'Looez' }, { firstName: 'Carlos', lastName: 'Lopez' }).firstName).toBe('exact');
    expect(c({ email: 'samuelallen@gmail.com', lastName: 'Allen' }, { firstName: 'Samuel', lastName: 'Allen' }).firstName).toBe('exact');
    expect(c({ email: 'allensamuel@gmail.com', lastName: 'Allen' }, { firstName: 'Samuel', lastName: 'Allen' }).firstName).toBe('exact');
    // Not read when the mailbox does not hold the known name.
    expect(c({ email: 'samuel@gmail.com', lastName: 'Allen' }, { firstName: 'Samuel', lastName: 'Allen' }).firstName).toBe('missing');
  });
});

describe('mailboxes a company gives namesakes', () => {
  const rt = { firstName: 'Robert', lastName: 'Thomas', company: 'Terngate', city: 'Madrid' };
  it('the same names with another number, initial or tag at one company domain count strongly against', () => {
    for (const other of ['robert.thomas2', 'robert.k.thomas', 'robertkthomas', 'robert.thomas.uk', 'rkthomas']) {
      const l = c({ ...rt, email: 'robert.thomas@terngate.es' }, { ...rt, email: `${other}@terngate.es` });
      expect(l.mailboxTag, other).toBe('diff');
      expect(l.email, other).toBe('diff');
    }
    // Also at a mistyped company domain.
    expect(c({ ...rt, email: 'robert.thomas@terngate.es' }, { ...rt, email: 'robert.k.thomas@tenrgate.es' }).mailboxTag).toBe('diff');
    expect(p({ ...rt, email: 'robert.thomas@terngate.es' }, { ...rt, email: 'robert.thomas2@terngate.es' })).toBeLessThan(0.75);
  });

  it("one person's aliases (the plain forms of their names) and free-mail accounts are not read so", () => {
    for (const [x, y] of [
      ['robert.thomas@terngate.es', 'rthomas@terngate.es'],
      ['robert.thomas@terngate.es', 'robert@terngate.es'],
      ['robert.thomas@terngate.es', 'robert_thomas@terngate.es'],
      ['robert.thomas@gmail.com', 'robert.thomas2@gmail.com'],
      // Digits longer than one are not a company's numbering (a year, or added to be unique).
      ['robert.thomas@terngate.es', 'robert.thomas84@terngate.es'],
    ])
      expect(c({ ...rt, email: x }, { ...rt, email: y }).mailboxTag, `${x} ${y}`).toBe('missing');
    expect(p({ ...rt, email: 'robert.thomas@terngate.es' }, { ...rt, email: 'rthomas@terngate.es' })).toBeGreaterThan(0.9);
  });

  it('two mailboxes of two different names at one company are two colleagues', () => {
    const l = c(
      { firstName: 'Elizabeth', lastName: 'Schulz', email: 'elizabeth_schulz@juno.es' },
      { firstName: 'Elizabeth', lastName: 'Nielsen', email: 'enielsen@juno.es' },
    );
    expect(l.mailboxTag).toBe('diff');
  });
});

describe('email levels', () => {
  it('a mailbox with other separators at one free-mail provider is another account, not a typo', () => {
    expect(
      c({ firstName: 'Elizabeth', lastName: 'Thompson', email: 'elizabeth.thompson@yahoo.com' }, { email: 'elizabeth_thompson@yahoo.com' })
        .email,
    ).toBe('missing');
  });

  it('a number on one side and letters changed too is not a typo', () => {
    expect(c({ email: 'alexander2@iris.fr' }, { email: 'alexandra@iris.fr' }).email).toBe('diff');
    expect(c({ email: 'alexander@iris.fr' }, { email: 'alexandre@iris.fr' }).email).toBe('close');
  });

  it('a domain one slip off (two letters swapped) is a typo of one address', () => {
    expect(c({ email: 'omar.evans@hotmial.com' }, { email: 'omar.evans@hotmail.com' }).email).toBe('close');
    expect(c({ email: 'k@delta-sotfware.com' }, { email: 'j@delta-software.com' }).emailDomain).toBe('close');
  });
});

describe('job title, and evidence counted once', () => {
  it('compares job titles as written (folded)', () => {
    expect(c({ title: 'VP of Sales' }, { title: 'vp of sales' }).title).toBe('exact');
    expect(c({ title: 'VP of Sales' }, { title: 'CMO' }).title).toBe('diff');
    expect(c({ title: 'VP of Sales' }, {}).title).toBe('missing');
  });

  it('company, its email domain, city and country together count as much as the strongest of them', () => {
    const base = { firstName: 'Anna', lastName: 'Berg', email: 'anna.berg@acme.com' };
    const some = score(DEFAULT_MODELS.contact, c({ ...base, company: 'Acme' }, { ...base, email: 'aberg@acme.com', company: 'Acme' }));
    const more = score(
      DEFAULT_MODELS.contact,
      c(
        { ...base, company: 'Acme', city: 'Oslo', country: 'NO' },
        { ...base, email: 'aberg@acme.com', company: 'Acme', city: 'Oslo', country: 'NO' },
      ),
    );
    expect(more.probability).toBeCloseTo(some.probability, 10);
    expect(more.reasons.filter((r) => ['company', 'city', 'country'].includes(r.field)).every((r) => r.weight === 0)).toBe(true);
  });
});

describe('blocking keys', () => {
  it('a work address stands in for a missing company, and a mailbox with a slip keeps a key', () => {
    const shared = (x: Partial<MatchRecord>, y: Partial<MatchRecord>) => {
      const kx = new Set(blockingKeys('contact', { id: 'a', ...x }));
      return blockingKeys('contact', { id: 'b', ...y }).filter((k) => kx.has(k));
    };
    expect(
      shared(
        { email: 'rebecca@riverstonewoodsoftware.com', firstName: 'Rebecca', lastName: 'Carvalho', company: 'Riverstonewood Software' },
        { email: 'rcarvalho@riverstonewoodsoftware.com', firstName: 'Rebeccca', lastName: 'Carvalho' },
      ),
    ).not.toEqual([]);
    expect(
      shared(
        { email: 'happyjames38@outlook.de', firstName: 'James', lastName: 'Sato' },
        { email: 'happyyjames38@outlook.de', firstName: 'Jaes', lastName: 'Ssto' },
      ),
    ).not.toEqual([]);
    // Phones written nationally and internationally share their last eight digits.
    expect(shared({ phone: '(01) 927 3325' }, { phone: '+35319273325' })).not.toEqual([]);
  });
});
