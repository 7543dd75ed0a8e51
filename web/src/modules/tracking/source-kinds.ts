import type { CardOption } from './OptionCards.js';
import type { SourceKind } from './tracking-queries.js';

export const kindLabels: Record<SourceKind, string> = {
  website: 'Website',
  server: 'Server',
  mobile: 'Mobile app',
  other: 'Other',
};

export const kindOptions: ReadonlyArray<CardOption<SourceKind>> = [
  { value: 'website', label: 'Website', description: 'Page views and clicks from a browser, with a script tag.' },
  { value: 'server', label: 'Server', description: 'Sign-ups, purchases and other facts your backend knows.' },
  { value: 'mobile', label: 'Mobile app', description: 'Screens and events from an iOS or Android app.' },
  { value: 'other', label: 'Other', description: 'Anything else that speaks the Segment HTTP API.' },
];

/** How long a source keeps its events, as the add and settings dialogs offer it ('' is for ever). */
export const retentionChoices = [
  { value: '', label: 'Until deleted' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: '730', label: '2 years' },
];

/** "Keeps 90 days of events", "Keeps all events". */
export function retentionLabel(days: number | null): string {
  if (days === null) return 'Keeps all events';
  if (days % 365 === 0) return `Keeps ${days === 365 ? 'a year' : `${days / 365} years`} of events`;
  return `Keeps ${days} ${days === 1 ? 'day' : 'days'} of events`;
}

/** How a write key begins (`wk_<prefix>_…`, see newWriteKey in sources.service.ts): enough to recognise it. */
export function keyStart(prefix: string): string {
  return `wk_${prefix}…`;
}
