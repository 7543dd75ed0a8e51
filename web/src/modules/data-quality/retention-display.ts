import { retentionTypes, type RetentionDataType } from './retention-queries.js';

/** "1 day", "1,095 days". */
export function formatDays(n: number): string {
  return `${n.toLocaleString()} ${n === 1 ? 'day' : 'days'}`;
}

/** A rough reading of a number of days: "3 years", "about 13 months"; nothing under two months. */
export function approxDuration(n: number): string | null {
  if (n >= 365 && n % 365 === 0) return n === 365 ? '1 year' : `${n / 365} years`;
  if (n >= 60) return `about ${Math.round(n / 30.44)} months`;
  return null;
}

/** "Kept for good", "Deleted after 400 days (about 13 months)". */
export function policyText(keepDays: number | null): string {
  if (keepDays === null) return 'Kept for good';
  const approx = approxDuration(keepDays);
  return `Deleted after ${formatDays(keepDays)}${approx ? ` (${approx})` : ''}`;
}

/** The data type's name as the API gives it; the raw key for one it no longer knows. */
export function dataTypeLabel(dataType: string): string {
  return dataType in retentionTypes ? retentionTypes[dataType as RetentionDataType].label : dataType;
}
