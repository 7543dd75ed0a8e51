import { createHash, timingSafeEqual } from 'node:crypto';

/** Session tokens and API key secrets are 256-bit random: a plain SHA-256 is the right store. */
export function sha256(v: string): string {
  return createHash('sha256').update(v).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
