import { cyrb64 } from '../../platform/hash.js';

/**
 * The match keys an import has already read, with the line each was first read on: the in-file
 * duplicate check. A million emails in a `Map<string, number>` kept 100 to 200 MB live until the
 * end of an import (measured in BENCHMARKS.md, import-contacts); here a key is a 64-bit hash
 * (cyrb53's two 32-bit halves) in an open-addressing table of typed arrays, 12 bytes a slot at
 * most half full: about 25 MB for a million keys. Two different keys share a hash with a
 * probability of about n²/2⁶⁵ (3 in 100 million for a million-row file); the row would then be
 * reported as a duplicate of the other line, never silently merged.
 */
export class SeenKeys {
  private hi = new Uint32Array(0);
  private lo = new Uint32Array(0);
  /** The line, plus one (0 marks an empty slot). */
  private lines = new Uint32Array(0);
  private count = 0;
  private h1 = 0;
  private h2 = 0;
  private readonly out = new Uint32Array(2);

  constructor(capacity = 1 << 12) {
    this.alloc(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The line the key was first seen on, or undefined. */
  get(key: string): number | undefined {
    this.hash(key);
    const i = this.find();
    return this.lines[i] ? (this.lines[i] ?? 1) - 1 : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Remembers the key's first line; a key already there keeps its line. */
  set(key: string, line: number): void {
    this.hash(key);
    const i = this.find();
    if (this.lines[i]) return;
    this.hi[i] = this.h1;
    this.lo[i] = this.h2;
    this.lines[i] = line + 1;
    if (++this.count * 2 > this.lines.length) this.grow();
  }

  private hash(s: string): void {
    cyrb64(s, this.out);
    this.h1 = this.out[0] ?? 0;
    this.h2 = this.out[1] ?? 0;
  }

  /** The slot holding the current hash, or the empty slot where it would go (linear probing). */
  private find(): number {
    const mask = this.lines.length - 1;
    let i = this.h2 & mask;
    while (this.lines[i] && (this.hi[i] !== this.h1 || this.lo[i] !== this.h2)) i = (i + 1) & mask;
    return i;
  }

  private alloc(capacity: number): void {
    let n = 16;
    while (n < capacity) n *= 2;
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.lines = new Uint32Array(n);
  }

  private grow(): void {
    const { hi, lo, lines } = this;
    this.alloc(lines.length * 2);
    for (let j = 0; j < lines.length; j++) {
      if (!lines[j]) continue;
      this.h1 = hi[j] ?? 0;
      this.h2 = lo[j] ?? 0;
      const i = this.find();
      this.hi[i] = this.h1;
      this.lo[i] = this.h2;
      this.lines[i] = lines[j] ?? 0;
    }
  }
}
