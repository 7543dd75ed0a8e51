import type { BandConversion, Decile } from './scoring-evaluation.schema.js';

/** One evaluated contact: its score and band as of the period's start, and whether it converted. */
export interface Outcome {
  id: string;
  score: number;
  band: string;
  converted: boolean;
}

const rate = (converted: number, n: number): number | null => (n === 0 ? null : converted / n);

/**
 * Area under the ROC curve as the Mann-Whitney U statistic: the probability that a converted
 * contact scored higher than one that did not, ties counting half. Ranks are taken over all
 * scores ascending, tied scores sharing their average rank; AUC = (R₊ − n₊(n₊+1)/2) / (n₊·n₋).
 * Null when either outcome is missing (the statistic is undefined).
 */
export function aucMannWhitney(outcomes: readonly Pick<Outcome, 'score' | 'converted'>[]): number | null {
  const pos = outcomes.filter((o) => o.converted).length;
  const neg = outcomes.length - pos;
  if (pos === 0 || neg === 0) return null;
  const sorted = [...outcomes].sort((a, b) => a.score - b.score);
  let rankSum = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j]?.score === sorted[i]?.score) j++;
    // Ranks i+1 … j share their average.
    const avg = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (sorted[k]?.converted) rankSum += avg;
    i = j;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Lift by decile: contacts ordered by score, highest first (ties by id, so the split is
 * reproducible), cut into ten groups whose sizes differ by at most one (group d holds positions
 * ⌊(d−1)·n/10⌋ … ⌊d·n/10⌋−1); lift is the group's conversion rate over the overall rate.
 */
export function liftByDecile(outcomes: readonly Outcome[]): Decile[] {
  const sorted = [...outcomes].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = sorted.length;
  const overall = rate(sorted.filter((o) => o.converted).length, n);
  const out: Decile[] = [];
  for (let d = 1; d <= 10; d++) {
    const group = sorted.slice(Math.floor(((d - 1) * n) / 10), Math.floor((d * n) / 10));
    const converted = group.filter((o) => o.converted).length;
    const r = rate(converted, group.length);
    out.push({
      decile: d,
      contacts: group.length,
      converted,
      rate: r,
      lift: r === null || !overall ? null : r / overall,
      minScore: group.length ? (group[group.length - 1]?.score ?? null) : null,
      maxScore: group.length ? (group[0]?.score ?? null) : null,
    });
  }
  return out;
}

/** Conversion per band, in the order given (highest band first), bands without contacts included. */
export function conversionByBand(outcomes: readonly Outcome[], bandOrder: readonly string[]): BandConversion[] {
  const names = [...bandOrder, ...new Set(outcomes.map((o) => o.band).filter((b) => !bandOrder.includes(b)))];
  return names.map((band) => {
    const inBand = outcomes.filter((o) => o.band === band);
    const converted = inBand.filter((o) => o.converted).length;
    return { band, contacts: inBand.length, converted, rate: rate(converted, inBand.length) };
  });
}
