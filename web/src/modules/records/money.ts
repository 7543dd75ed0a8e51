// Currency values travel as integer minor units (cents) with the field's ISO 4217 currency; people
// read and type them in major units ("1,234.50").

const digitsCache = new Map<string, number>();

/** How many minor-unit digits a currency has: 2 for EUR, 0 for JPY, 3 for KWD. */
export function currencyDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    try {
      d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      d = 2;
    }
    digitsCache.set(currency, d);
  }
  return d;
}

export function formatMoney(minor: number, currency: string | null): string {
  const cur = currency ?? 'USD';
  const d = currencyDigits(cur);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: cur }).format(minor / 10 ** d);
  } catch {
    return `${(minor / 10 ** d).toFixed(d)} ${cur}`;
  }
}

/** Minor units as the plain text an input shows: 123450 EUR -> "1234.50". */
export function minorToInput(minor: number, currency: string | null): string {
  const d = currencyDigits(currency ?? 'USD');
  const negative = minor < 0;
  const abs = String(Math.abs(minor)).padStart(d + 1, '0');
  const text = d === 0 ? abs : `${abs.slice(0, -d)}.${abs.slice(-d)}`;
  return negative ? `-${text}` : text;
}

/**
 * What a person typed ("1234.50", "1,234.5", "€ 99", "1.234,50") as minor units, or an error.
 * The last "." or "," is the decimal point, except a lone comma before three digits ("1,234"), which groups.
 */
export function parseMoney(text: string, currency: string | null): { minor: number } | { error: string } {
  const d = currencyDigits(currency ?? 'USD');
  // Spaces, currency signs and a currency code may surround the number: "€ 1 234,50", "99 USD".
  const cleaned = text.replace(/[\s\u00a0\u202f'’\p{Sc}]/gu, '').replace(/^[A-Za-z]{3}|[A-Za-z]{3}$/g, '');
  const m = /^(-?)([\d.,]*)$/.exec(cleaned);
  if (!m || !/\d/.test(cleaned)) return { error: 'Enter an amount, e.g. 1234.50' };
  const sign = m[1] ? -1 : 1;
  const body = m[2] ?? '';
  const lastSep = Math.max(body.lastIndexOf('.'), body.lastIndexOf(','));
  let whole = body;
  let frac = '';
  if (lastSep >= 0) {
    const after = body.slice(lastSep + 1);
    const grouping = body[lastSep] === ',' && after.length === 3 && !body.includes('.');
    if (!grouping) {
      whole = body.slice(0, lastSep);
      frac = after;
    }
  }
  whole = whole.replace(/[.,]/g, '');
  if (frac.length > d) return { error: d === 0 ? 'This currency has no decimals' : `At most ${d} decimals` };
  const minor = sign * (Number(whole || '0') * 10 ** d + Number(frac.padEnd(d, '0') || '0'));
  if (!Number.isSafeInteger(minor)) return { error: 'The amount is too large' };
  return { minor };
}
