import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cutAt,
  detectDateFormat,
  formatMinorUnits,
  parseBooleanCell,
  parseCurrencyCell,
  parseDateCell,
  parseDateTimeCell,
  parseEmailCell,
  parseMultiSelectCell,
  parseNumberCell,
  parsePhoneCell,
  parseSelectCell,
  parseUrlCell,
  type ParseResult,
} from './value-parsers.js';

const value = <T>(r: ParseResult<T>): T => {
  if (!r.ok) throw new Error(`expected a value, got: ${r.reason}`);
  return r.value;
};
const reason = <T>(r: ParseResult<T>): string => (r.ok ? `(parsed as ${JSON.stringify(r.value)})` : r.reason);

describe('cutAt and the reasons that quote a cell', () => {
  it('never splits an emoji, so a reason stays valid text (it is stored as JSON)', () => {
    expect(cutAt('a😀b', 2)).toBe('a');
    expect(cutAt('a😀b', 3)).toBe('a😀');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.nat(80), (s, n) => {
        const cut = cutAt(s, n);
        expect(s.startsWith(cut)).toBe(true);
        expect(cut.isWellFormed()).toBe(true);
      }),
    );
    const r = parseNumberCell(`${'1'.repeat(39)}😀 apples`);
    expect(r.ok).toBe(false);
    expect(reason(r).isWellFormed()).toBe(true);
  });
});

describe('parseDateCell', () => {
  it('reads ISO, compact and year-first dates in every format', () => {
    for (const format of ['iso', 'us', 'eu', 'auto'] as const) {
      for (const raw of ['2024-03-04', '2024/03/04', '2024.3.4', '20240304', ' 2024-03-04 ']) {
        expect(value(parseDateCell(raw, format))).toBe('2024-03-04');
      }
    }
  });

  it('reads US and EU dates in their formats', () => {
    expect(value(parseDateCell('03/04/2024', 'us'))).toBe('2024-03-04');
    expect(value(parseDateCell('3/4/24', 'us'))).toBe('2024-03-04');
    expect(value(parseDateCell('04.03.2024', 'eu'))).toBe('2024-03-04');
    expect(value(parseDateCell('04/03/2024', 'eu'))).toBe('2024-03-04');
    expect(value(parseDateCell('4-3-2024', 'eu'))).toBe('2024-03-04');
    expect(reason(parseDateCell('25/03/2024', 'us'))).toBe('"25/03/2024" is not a valid US date (MM/DD/YYYY)');
    expect(reason(parseDateCell('03/25/2024', 'eu'))).toBe('"03/25/2024" is not a valid EU date (DD/MM/YYYY)');
    expect(reason(parseDateCell('03/04/2024', 'iso'))).toBe('"03/04/2024" is not a YYYY-MM-DD date');
  });

  it('reads month names in every format', () => {
    for (const format of ['iso', 'us', 'eu', 'auto'] as const) {
      for (const raw of ['Mar 4, 2024', 'March 4 2024', '4 March 2024', '4-Mar-2024', '04-mar-24', 'Mon, Mar 4th, 2024', '2024-Mar-04']) {
        expect(value(parseDateCell(raw, format)), raw).toBe('2024-03-04');
      }
    }
    expect(reason(parseDateCell('4 Foo 2024', 'auto'))).toBe('"4 Foo 2024" is not a valid date');
  });

  it('in auto, takes the only possible reading and refuses a guess', () => {
    expect(value(parseDateCell('25/03/2024', 'auto'))).toBe('2024-03-25');
    expect(value(parseDateCell('03/25/2024', 'auto'))).toBe('2024-03-25');
    expect(value(parseDateCell('07.07.2024', 'auto'))).toBe('2024-07-07');
    expect(reason(parseDateCell('03/04/2024', 'auto'))).toBe('ambiguous date "03/04/2024": choose US or EU date format');
    expect(reason(parseDateCell('13/13/2024', 'auto'))).toBe('"13/13/2024" is not a real calendar date');
  });

  it('refuses dates that are not on the calendar', () => {
    expect(reason(parseDateCell('2024-02-30', 'iso'))).toBe('"2024-02-30" is not a real calendar date');
    expect(value(parseDateCell('2024-02-29', 'iso'))).toBe('2024-02-29');
    expect(parseDateCell('2023-02-29', 'iso').ok).toBe(false);
    expect(parseDateCell('1900-02-29', 'iso').ok).toBe(false);
    expect(value(parseDateCell('2000-02-29', 'iso'))).toBe('2000-02-29');
    expect(parseDateCell('2024-04-31', 'iso').ok).toBe(false);
    expect(parseDateCell('2024-00-10', 'iso').ok).toBe(false);
    expect(parseDateCell('0000-01-01', 'iso').ok).toBe(false);
    for (const raw of ['', 'yesterday', '2024-03', '2024-03-04-05', '1/2/3']) expect(parseDateCell(raw, 'auto').ok).toBe(false);
  });

  it('pivots two-digit years at 70', () => {
    expect(value(parseDateCell('1/2/69', 'us'))).toBe('2069-01-02');
    expect(value(parseDateCell('1/2/70', 'us'))).toBe('1970-01-02');
    expect(value(parseDateCell('1/2/00', 'us'))).toBe('2000-01-02');
  });

  it('round-trips any ISO date', () => {
    const date = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(date, (d) => {
        const iso = d.toISOString().slice(0, 10);
        expect(value(parseDateCell(iso, 'iso'))).toBe(iso);
      }),
    );
  });

  it('reads a US or EU rendering of any date back to the same day', () => {
    const date = fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(date, (d) => {
        const [y, m, day] = d.toISOString().slice(0, 10).split('-');
        const iso = `${y}-${m}-${day}`;
        expect(value(parseDateCell(`${m}/${day}/${y}`, 'us'))).toBe(iso);
        expect(value(parseDateCell(`${day}.${m}.${y}`, 'eu'))).toBe(iso);
      }),
    );
  });
});

describe('detectDateFormat', () => {
  it('decides from the values that only fit one format', () => {
    expect(detectDateFormat(['03/04/2024', '25/03/2024', ''])).toBe('eu');
    expect(detectDateFormat(['03/04/2024', '03/25/2024'])).toBe('us');
    expect(detectDateFormat(['2024-03-04', '2024-12-31', 'n/a'])).toBe('iso');
    expect(detectDateFormat(['03/04/2024', '05/06/2024'])).toBe('ambiguous');
    expect(detectDateFormat(['25/03/2024', '03/25/2024'])).toBe('ambiguous');
    expect(detectDateFormat(['hello', '', '42'])).toBeNull();
    expect(detectDateFormat([])).toBeNull();
  });

  it('looks past a time', () => {
    expect(detectDateFormat(['03/04/2024 10:15', '25/03/2024 09:00'])).toBe('eu');
    expect(detectDateFormat(['2024-03-04T10:15:00Z'])).toBe('iso');
  });
});

describe('parseDateTimeCell', () => {
  it('reads ISO date-times, with or without an offset', () => {
    expect(value(parseDateTimeCell('2024-03-04T10:15:00Z', 'auto'))).toBe('2024-03-04T10:15:00.000Z');
    expect(value(parseDateTimeCell('2024-03-04T10:15:00.123456Z', 'auto'))).toBe('2024-03-04T10:15:00.123Z');
    expect(value(parseDateTimeCell('2024-03-04T12:15:00+02:00', 'auto'))).toBe('2024-03-04T10:15:00.000Z');
    expect(value(parseDateTimeCell('2024-03-04T05:15-0500', 'auto'))).toBe('2024-03-04T10:15:00.000Z');
    expect(value(parseDateTimeCell('2024-03-04 10:15', 'iso'))).toBe('2024-03-04T10:15:00.000Z');
    expect(value(parseDateTimeCell('2024-03-04 10:15:30', 'iso'))).toBe('2024-03-04T10:15:30.000Z');
    expect(value(parseDateTimeCell('2024-03-04', 'iso'))).toBe('2024-03-04T00:00:00.000Z');
    expect(value(parseDateTimeCell('2024-03-04 10:15 UTC', 'iso'))).toBe('2024-03-04T10:15:00.000Z');
  });

  it('reads US and EU date-times with the same ambiguity rules as dates', () => {
    expect(value(parseDateTimeCell('03/04/2024 10:15', 'us'))).toBe('2024-03-04T10:15:00.000Z');
    expect(value(parseDateTimeCell('04.03.2024 10:15', 'eu'))).toBe('2024-03-04T10:15:00.000Z');
    expect(value(parseDateTimeCell('3/4/2024 3:05 PM', 'us'))).toBe('2024-03-04T15:05:00.000Z');
    expect(value(parseDateTimeCell('3/4/2024 12:05 am', 'us'))).toBe('2024-03-04T00:05:00.000Z');
    expect(value(parseDateTimeCell('25/03/2024 10:15', 'auto'))).toBe('2024-03-25T10:15:00.000Z');
    expect(value(parseDateTimeCell('Mar 4, 2024 10:15', 'auto'))).toBe('2024-03-04T10:15:00.000Z');
    expect(reason(parseDateTimeCell('03/04/2024 10:15', 'auto'))).toBe('ambiguous date "03/04/2024 10:15": choose US or EU date format');
  });

  it('reads Unix epoch seconds and milliseconds', () => {
    expect(value(parseDateTimeCell('1709547300', 'auto'))).toBe('2024-03-04T10:15:00.000Z');
    expect(value(parseDateTimeCell('1709547300123', 'auto'))).toBe('2024-03-04T10:15:00.123Z');
  });

  it('refuses impossible times', () => {
    for (const raw of [
      '2024-03-04 24:00',
      '2024-03-04 10:60',
      '2024-03-04 10:15:61',
      '3/4/2024 13:00 PM',
      '2024-03-04T10:15+15:00',
      'now',
    ]) {
      expect(parseDateTimeCell(raw, 'us').ok, raw).toBe(false);
    }
  });

  it('agrees with Date on any instant written in ISO', () => {
    const date = fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(date, (d) => {
        expect(value(parseDateTimeCell(d.toISOString(), 'iso'))).toBe(d.toISOString());
      }),
    );
  });
});

describe('parseNumberCell', () => {
  it('reads the usual ways of writing a number', () => {
    const cases: Array<[string, number]> = [
      ['1234', 1234],
      ['-1,234.5', -1234.5],
      ['1,234,567', 1234567],
      ['1 234.5', 1234.5],
      ['1.234,50', 1234.5],
      ['1.234.567', 1234567],
      ['12,5', 12.5],
      ['1,23', 1.23],
      ['1.234', 1.234],
      ['.5', 0.5],
      ['+7', 7],
      ['-0', 0],
      ['1.5E+3', 1500],
      [' 42 ', 42],
    ];
    for (const [raw, n] of cases) expect(value(parseNumberCell(raw)), raw).toBe(n);
  });

  it('refuses what is not a finite number', () => {
    for (const raw of ['', ' ', 'NaN', 'Infinity', '1e999', 'abc', '1,2,3', '1.2.3,4,5', '12-', '--1', '0x10', '$5']) {
      expect(parseNumberCell(raw).ok, raw).toBe(false);
    }
    expect(reason(parseNumberCell('abc'))).toBe('"abc" is not a number');
  });

  it('reads back any finite number JavaScript writes', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(value(parseNumberCell(String(n)))).toBe(n === 0 ? 0 : n);
      }),
    );
  });
});

describe('parseBooleanCell', () => {
  it('reads yes and no in their usual spellings', () => {
    for (const raw of ['true', 'Yes', 'Y', '1', 'on', 'CHECKED', ' yes ']) expect(value(parseBooleanCell(raw)), raw).toBe(true);
    for (const raw of ['false', 'No', 'n', '0', 'OFF', 'unchecked']) expect(value(parseBooleanCell(raw)), raw).toBe(false);
    expect(reason(parseBooleanCell('maybe'))).toBe('"maybe" is not yes or no');
    expect(parseBooleanCell('').ok).toBe(false);
  });
});

describe('parseCurrencyCell / formatMinorUnits', () => {
  it('reads amounts with symbols, codes, groups and signs into minor units', () => {
    const cases: Array<[string, number]> = [
      ['$1,234.50', 123450],
      ['1234.5', 123450],
      ['EUR 1.234,50', 123450],
      ['€12', 1200],
      ['12,50 €', 1250],
      ['-$1,234.50', -123450],
      ['$-0.05', -5],
      ['US$ 5', 500],
      ['100 USD', 10000],
      ['-0', 0],
      ['0.1', 10],
      ['$1,23', 123],
    ];
    for (const [raw, minor] of cases) expect(value(parseCurrencyCell(raw)), raw).toBe(minor);
  });

  it('refuses more than two decimals and anything that is not an amount', () => {
    expect(reason(parseCurrencyCell('12.345'))).toBe('"12.345" has more than 2 decimal places');
    expect(reason(parseCurrencyCell('EUR 1.234'))).toBe('"EUR 1.234" has more than 2 decimal places');
    for (const raw of ['', '$', 'abc', '12 yrs', '--5', '-$-5', '1e3']) expect(parseCurrencyCell(raw).ok, raw).toBe(false);
    expect(reason(parseCurrencyCell('99999999999999999'))).toBe('"99999999999999999" is too large an amount');
  });

  it('formats minor units with two decimals', () => {
    expect(formatMinorUnits(123450)).toBe('1234.50');
    expect(formatMinorUnits(-5)).toBe('-0.05');
    expect(formatMinorUnits(0)).toBe('0.00');
    expect(() => formatMinorUnits(1.5)).toThrow(RangeError);
  });

  it('round-trips any amount up to a trillion minor units', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (minor) => {
        expect(value(parseCurrencyCell(formatMinorUnits(minor)))).toBe(minor);
      }),
    );
  });
});

describe('parseSelectCell / parseMultiSelectCell', () => {
  const tiers = ['Bronze', 'Silver'];

  it('returns the option in its own spelling', () => {
    expect(value(parseSelectCell(' silver ', tiers))).toBe('Silver');
    expect(reason(parseSelectCell('Gold', tiers, 'Tier'))).toBe('"Gold" is not an option of Tier (Bronze, Silver)');
    expect(reason(parseSelectCell('Gold', tiers))).toBe('"Gold" is not an option (Bronze, Silver)');
    const many = Array.from({ length: 12 }, (_, i) => `o${i}`);
    expect(reason(parseSelectCell('x', many))).toBe('"x" is not an option (o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, …)');
  });

  it('splits on ; or, when there is none, on | and ,', () => {
    const options = ['SaaS', 'Retail', 'Acme, Inc'];
    expect(value(parseMultiSelectCell('saas; retail;SaaS', options))).toEqual(['SaaS', 'Retail']);
    expect(value(parseMultiSelectCell('SaaS|Retail', options))).toEqual(['SaaS', 'Retail']);
    expect(value(parseMultiSelectCell('SaaS, Retail', options))).toEqual(['SaaS', 'Retail']);
    expect(value(parseMultiSelectCell('Acme, Inc', options))).toEqual(['Acme, Inc']);
    expect(value(parseMultiSelectCell('Acme, Inc;SaaS', options))).toEqual(['Acme, Inc', 'SaaS']);
    expect(value(parseMultiSelectCell(' ; ', options))).toEqual([]);
    expect(reason(parseMultiSelectCell('SaaS;Gold;Tin', options, 'Segment'))).toBe(
      '"Gold", "Tin" are not options of Segment (SaaS, Retail, Acme, Inc)',
    );
  });
});

describe('parseUrlCell', () => {
  it('accepts http(s) links and gives bare domains https', () => {
    expect(value(parseUrlCell('https://Example.com/Path?q=1'))).toBe('https://example.com/Path?q=1');
    expect(value(parseUrlCell('http://example.com'))).toBe('http://example.com/');
    expect(value(parseUrlCell('example.com/x'))).toBe('https://example.com/x');
    expect(value(parseUrlCell('www.example.co.uk'))).toBe('https://www.example.co.uk/');
    expect(value(parseUrlCell('example.com:8080/x'))).toBe('https://example.com:8080/x');
    expect(value(parseUrlCell('//cdn.example.com/a'))).toBe('https://cdn.example.com/a');
  });

  it('refuses other schemes and things that are not links', () => {
    expect(reason(parseUrlCell('javascript:alert(1)'))).toBe('only http and https links are allowed');
    expect(reason(parseUrlCell('ftp://example.com'))).toBe('only http and https links are allowed');
    for (const raw of [
      '',
      'hello',
      'exa mple.com',
      'https://',
      'https://localhost/',
      'user:pw@example.com',
      'example.com.',
      'https://a..b/',
    ]) {
      expect(parseUrlCell(raw).ok, raw).toBe(false);
    }
  });
});

describe('parseEmailCell', () => {
  it('trims and lower-cases valid addresses, unicode and plus-addressing included', () => {
    expect(value(parseEmailCell('  Maya.Ops@Example.COM '))).toBe('maya.ops@example.com');
    expect(value(parseEmailCell('a+tag@x.io'))).toBe('a+tag@x.io');
    expect(value(parseEmailCell('josé@exämple.de'))).toBe('josé@exämple.de');
    expect(value(parseEmailCell('用户@例子.广告'))).toBe('用户@例子.广告');
    expect(value(parseEmailCell("o'brien@sub.example.ie"))).toBe("o'brien@sub.example.ie");
  });

  it('refuses typos', () => {
    const bad = [
      '',
      'maya.example.com',
      'maya ops@example.com',
      'maya..ops@example.com',
      '.maya@example.com',
      'maya.@example.com',
      'maya@example..com',
      'maya@example.com.',
      'maya@example',
      'maya@@example.com',
      'maya@exa mple.com',
      'maya@-example.com',
      'maya@example.c0m1',
      '"maya"@example.com',
      `${'a'.repeat(65)}@example.com`,
      `a@${'b'.repeat(250)}.com`,
    ];
    for (const raw of bad) expect(reason(parseEmailCell(raw)), raw).toBe('not a valid email');
  });

  it('is idempotent on its own output', () => {
    const local = fc.string({ unit: fc.constantFrom(...'abcXYZ09.+_-é用'.split('')), minLength: 1, maxLength: 20 });
    const domain = fc.constantFrom('example.com', 'EXÄMPLE.de', 'x.io', '例子.广告', 'a..b', 'c.d.');
    const address = fc.oneof(
      fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`),
      fc.string({ unit: 'binary' }),
    );
    fc.assert(
      fc.property(address, (raw) => {
        const first = parseEmailCell(raw);
        if (first.ok) expect(parseEmailCell(first.value)).toEqual(first);
      }),
    );
  });
});

describe('parsePhoneCell', () => {
  it('returns E.164 for valid numbers, national ones read in the default country', () => {
    expect(value(parsePhoneCell('+1 (415) 555-0132'))).toBe('+14155550132');
    expect(value(parsePhoneCell('(415) 555-0132', 'US'))).toBe('+14155550132');
    expect(value(parsePhoneCell('030 12345678', 'DE'))).toBe('+493012345678');
    expect(value(parsePhoneCell('+44 20 7946 0123', 'US'))).toBe('+442079460123');
  });

  it('refuses what is not a valid phone number', () => {
    for (const raw of ['', '123', '(415) 555-0132', '+1 555 123 4567', 'call +1 415 555 0132 now', 'n/a']) {
      expect(reason(parsePhoneCell(raw)), raw).toBe('not a valid phone number');
    }
  });
});

describe('every parser', () => {
  const parsers: Array<(raw: string) => unknown> = [
    (s) => parseDateCell(s, 'auto'),
    (s) => parseDateCell(s, 'us'),
    (s) => parseDateCell(s, 'iso'),
    (s) => detectDateFormat([s]),
    (s) => parseDateTimeCell(s, 'auto'),
    (s) => parseDateTimeCell(s, 'eu'),
    parseNumberCell,
    parseBooleanCell,
    parseCurrencyCell,
    (s) => parseSelectCell(s, ['A', 'b']),
    (s) => parseMultiSelectCell(s, ['A', 'b']),
    parseUrlCell,
    parseEmailCell,
    (s) => parsePhoneCell(s, 'US'),
  ];

  it('never throws on any string', () => {
    for (const unit of ['grapheme-ascii', 'binary'] as const) {
      fc.assert(
        fc.property(fc.string({ unit, maxLength: 80 }), (s) => {
          for (const parse of parsers) parse(s);
        }),
      );
    }
  });

  it('stays fast on huge cells', () => {
    const huge = `1${' '.repeat(200_000)}x`;
    const started = performance.now();
    for (const parse of parsers) parse(huge);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
