import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidEmail } from './field-types.js';

/** The domain part as it was checked before the ASCII fast path: always through the URL parser's IDNA step. */
function domainThroughUrl(domain: string): boolean {
  let ascii: string;
  try {
    ascii = new URL(`http://${domain}`).hostname;
  } catch {
    return false;
  }
  const labels = ascii.split('.');
  return (
    !domain.split('.').includes('') &&
    ascii.length <= 253 &&
    labels.length >= 2 &&
    labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) &&
    /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(labels.at(-1) ?? '')
  );
}

describe('isValidEmail', () => {
  it('decides plain ASCII domains as the IDNA step would', () => {
    const label = fc.stringMatching(/^[a-z0-9-]{0,8}$/);
    const domain = fc
      .array(fc.oneof(label, fc.constantFrom('xn--bcher-kva', '0x10', '127', 'com', 'de')), { minLength: 1, maxLength: 4 })
      .map((l) => l.join('.'));
    fc.assert(
      fc.property(domain, (d) => {
        expect(isValidEmail(`ann@${d}`)).toBe(domainThroughUrl(d));
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps known answers', () => {
    for (const ok of ['ann@example.com', 'a.b+tag@sub.example.co.uk', 'ann@bücher.de', 'ann@xn--bcher-kva.de', 'josé@example.com'])
      expect(isValidEmail(ok), ok).toBe(true);
    for (const bad of [
      'ann@example',
      'ann@1.2.3.4',
      'ann@-example.com',
      'ann@example.c',
      'ann@exa_mple.com',
      'ann@0x10',
      'ann@example.123',
      'ann@xn--.com',
    ])
      expect(isValidEmail(bad), bad).toBe(false);
  });
});
