import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { neutraliseFormula, restoreFormula } from './csv-safety.js';

const HAND_PICKED = [
  `=cmd|' /C calc'!A0`,
  '=HYPERLINK("http://evil.example","click")',
  '+SUM(1,2)',
  '-2+3+cmd|x',
  '@SUM(A1)',
  '\t=1+1',
  '\r=1+1',
  "'=x",
  "''@y",
  "'''+z",
  "'",
  "'hello",
  '+1 555',
  '+1 (555) 123-4567',
  '-12.5',
  '-',
  '+',
  '@',
  '=',
  '',
  'plain text',
  'a=b',
  ' =1',
];

describe('neutraliseFormula', () => {
  it('quotes cells a spreadsheet would run as a formula', () => {
    expect(neutraliseFormula(`=cmd|' /C calc'!A0`)).toBe(`'=cmd|' /C calc'!A0`);
    expect(neutraliseFormula('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(neutraliseFormula('+SUM(1,2)')).toBe("'+SUM(1,2)");
    expect(neutraliseFormula('-2+3+cmd|x')).toBe("'-2+3+cmd|x");
    expect(neutraliseFormula('\t=1')).toBe("'\t=1");
    expect(neutraliseFormula('-')).toBe("'-");
    expect(neutraliseFormula('@')).toBe("'@");
  });

  it('adds one more quote to a value that is already quoted before a trigger', () => {
    expect(neutraliseFormula("'=x")).toBe("''=x");
    expect(neutraliseFormula("''@y")).toBe("'''@y");
  });

  it('leaves numbers, phone numbers and ordinary text alone', () => {
    for (const v of ['+1 555', '+1 (555) 123-4567', '-12.5', '42', "'hello", "'", 'a=b', '', 'José']) {
      expect(neutraliseFormula(v)).toBe(v);
    }
  });

  it('never leaves a cell starting with a formula trigger, unless it is a number or phone', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (x) => {
        const out = neutraliseFormula(x);
        expect(/^[=+\-@\t\r]/.test(out) && !/^[+-]?[0-9][0-9 ().-]*$/.test(out)).toBe(false);
      }),
    );
  });
});

describe('restoreFormula', () => {
  it('removes exactly the quote neutraliseFormula added', () => {
    expect(restoreFormula("'=x")).toBe('=x');
    expect(restoreFormula("'''@y")).toBe("''@y");
    expect(restoreFormula("'hello")).toBe("'hello");
    expect(restoreFormula("'+1 555")).toBe("'+1 555");
    expect(restoreFormula('=x')).toBe('=x');
  });

  it('undoes neutraliseFormula for hand-picked values', () => {
    for (const x of HAND_PICKED) expect(restoreFormula(neutraliseFormula(x)), JSON.stringify(x)).toBe(x);
  });

  it('undoes neutraliseFormula for every string', () => {
    const triggerish = fc.string({ unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', '1', ' ', '(', 'a'), maxLength: 8 });
    for (const arb of [fc.string(), fc.string({ unit: 'binary' }), triggerish]) {
      fc.assert(
        fc.property(arb, (x) => {
          expect(restoreFormula(neutraliseFormula(x))).toBe(x);
        }),
        { numRuns: 1000 },
      );
    }
  });
});
