import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeenKeys } from './seen-keys.js';

describe('SeenKeys', () => {
  it('answers like a Map of first lines, through growth', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 12, unit: 'grapheme' }), fc.nat(1e9)), { maxLength: 400 }), (ops) => {
        const seen = new SeenKeys(16);
        const ref = new Map<string, number>();
        for (const [k, line] of ops) {
          expect(seen.get(k)).toBe(ref.get(k));
          seen.set(k, line);
          if (!ref.has(k)) ref.set(k, line);
        }
        for (const [k, line] of ref) expect(seen.get(k)).toBe(line);
        expect(seen.size).toBe(ref.size);
        expect(seen.has('never-set-\u0000')).toBe(ref.has('never-set-\u0000'));
      }),
      { numRuns: 300 },
    );
  });

  it('tells a hundred thousand similar emails apart', () => {
    const seen = new SeenKeys();
    for (let i = 0; i < 100_000; i++) seen.set(`person${i}@example.com`, i + 2);
    expect(seen.size).toBe(100_000);
    for (let i = 0; i < 100_000; i++) expect(seen.get(`person${i}@example.com`)).toBe(i + 2);
    for (let i = 100_000; i < 110_000; i++) expect(seen.get(`person${i}@example.com`)).toBeUndefined();
    expect(seen.get('PERSON1@example.com')).toBeUndefined();
  });
});
