/** Small edit-distance checks for names and addresses (pure, no allocation beyond slices). */

/**
 * Whether two strings are one slip apart: one letter dropped, doubled or inserted, one replaced, or
 * two neighbours swapped (optimal string alignment distance 1; Damerau found four in five typing
 * errors are one of these).
 */
export function oneSlip(a: string, b: string): boolean {
  if (a === b) return false;
  const la = a.length;
  const lb = b.length;
  if (la - lb > 1 || lb - la > 1) return false;
  let i = 0;
  while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (la === lb) {
    // One replaced, or two neighbours swapped; the rest equal.
    if (tailsEqual(a, i + 1, b, i + 1)) return true;
    return (
      i + 1 < la && a.charCodeAt(i) === b.charCodeAt(i + 1) && a.charCodeAt(i + 1) === b.charCodeAt(i) && tailsEqual(a, i + 2, b, i + 2)
    );
  }
  return la > lb ? tailsEqual(a, i + 1, b, i) : tailsEqual(a, i, b, i + 1);
}

/** Whether `long` is `short` with one of its letters written twice. */
export function doubled(long: string, short: string): boolean {
  if (long.length !== short.length + 1) return false;
  let i = 0;
  while (i < short.length && long.charCodeAt(i) === short.charCodeAt(i)) i++;
  return i > 0 && long.charCodeAt(i) === long.charCodeAt(i - 1) && tailsEqual(long, i + 1, short, i);
}

/** Whether a from index i and b from index j are the same (without building either tail). */
function tailsEqual(a: string, i: number, b: string, j: number): boolean {
  if (a.length - i !== b.length - j) return false;
  for (; i < a.length; i++, j++) if (a.charCodeAt(i) !== b.charCodeAt(j)) return false;
  return true;
}
