import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { candidatePairs, hash40 } from './detect.service.js';

/** The same pairs the slow way: records sharing a key whose block has 2..max records. */
function naive(keysOf: string[][], max: number): number[] {
  const blocks = new Map<string, Set<number>>();
  keysOf.forEach((ks, i) => ks.forEach((k) => blocks.set(k, (blocks.get(k) ?? new Set()).add(i))));
  const out = new Set<number>();
  for (const members of blocks.values()) {
    const m = [...members].sort((a, b) => a - b);
    if (m.length < 2 || m.length > max) continue;
    for (let a = 0; a < m.length; a++) for (let b = a + 1; b < m.length; b++) out.add((m[a] as number) * keysOf.length + (m[b] as number));
  }
  return [...out].sort((a, b) => a - b);
}

function pack(keysOf: string[][]): BigUint64Array {
  const packed: bigint[] = [];
  keysOf.forEach((ks, i) => new Set(ks).forEach((k) => packed.push((BigInt(hash40(k)) << 24n) | BigInt(i))));
  return BigUint64Array.from(packed);
}

describe('full-scan blocking in memory', () => {
  it('finds every pair sharing a block within the size limit, each once, ascending', () => {
    const keysOf = [['e:a', 'p:1'], ['p:1', 'n:x'], ['n:x', 'e:a'], ['big'], ['big'], ['big'], ['lonely']];
    const codes = [...candidatePairs(pack(keysOf), keysOf.length, 2).codes];
    // Records 0-1 (p:1), 1-2 (n:x), 0-2 (e:a); the block "big" has 3 records, over the limit of 2.
    expect(codes).toEqual([0 * 7 + 1, 0 * 7 + 2, 1 * 7 + 2]);
  });

  it('agrees with the obvious algorithm on random key sets (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'ü', '漢'), { maxLength: 4 }), { maxLength: 40 }),
        fc.integer({ min: 2, max: 6 }),
        (keysOf, max) => {
          expect([...candidatePairs(pack(keysOf), keysOf.length, max).codes]).toEqual(naive(keysOf, max));
        },
      ),
    );
  });

  it('leaves out the largest blocks when the pairs would pass the budget', () => {
    // Blocks: "s" of 2 records (1 pair), "m" of 3 (3 pairs), "l" of 5 (10 pairs).
    const keysOf = [['s', 'm', 'l'], ['s', 'm', 'l'], ['m', 'l'], ['l'], ['l']];
    expect(candidatePairs(pack(keysOf), 5, 100).blockLimit).toBe(100);
    const within = candidatePairs(pack(keysOf), 5, 100, 4);
    // Sizes 2 and 3 fit in 4 pairs (no block has 4 records); the block of 5 is left out.
    expect(within.blockLimit).toBe(4);
    expect([...within.codes]).toEqual(naive(keysOf, 3));
    expect(candidatePairs(pack(keysOf), 5, 100, 0)).toMatchObject({ blockLimit: 1, codes: new Float64Array(0) });
  });

  it('spreads hashes over 40 bits', () => {
    const hs = Array.from({ length: 10_000 }, (_, i) => hash40(`e:person${i}@example.com`));
    expect(new Set(hs).size).toBe(hs.length);
    expect(hs.every((h) => Number.isInteger(h) && h >= 0 && h < 2 ** 40)).toBe(true);
  });
});
