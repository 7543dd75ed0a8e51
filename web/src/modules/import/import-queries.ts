import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { objectDefs } from '../../../../src/modules/crm/crm-objects.js';
import type { ObjectName } from '../../../../src/modules/crm/field-types.js';
import { importMappingSchema, importSchema, importTargetSchema, type ImportView } from '../../../../src/modules/imports/imports.schema.js';
import { api } from '../../lib/api.js';

export type { ImportView };
export type ImportTarget = z.infer<typeof importTargetSchema>;
export type SavedMapping = z.infer<typeof importMappingSchema>;
export type ImportStatus = ImportView['status'];

/** While an import is in one of these states the server is working on it: poll. */
export const busyStatuses: ReadonlySet<ImportStatus> = new Set(['dry_running', 'queued', 'running', 'undoing']);

export const importQuery = (id: string) =>
  queryOptions({
    queryKey: ['imports', 'one', id],
    queryFn: () => api.get(`/imports/${id}`, importSchema),
    refetchInterval: (q) => (q.state.data && busyStatuses.has(q.state.data.status) ? 500 : false),
    staleTime: 0,
  });

const targetsSchema = z.object({ data: z.array(importTargetSchema) });
export const importFieldsQuery = (object: ObjectName) =>
  queryOptions({
    queryKey: ['import-fields', object],
    queryFn: async () => (await api.get('/import-fields', targetsSchema, { object })).data,
  });

const mappingsSchema = z.object({ data: z.array(importMappingSchema) });
export const savedMappingsQuery = (object: ObjectName) =>
  queryOptions({
    queryKey: ['import-mappings', object],
    queryFn: async () => (await api.get('/import-mappings', mappingsSchema, { object })).data,
  });

export const objectWords: Record<ObjectName, { one: string; many: string; Many: string; listPath: string }> = {
  contact: { one: 'contact', many: 'contacts', Many: 'Contacts', listPath: '/contacts' },
  account: { one: 'account', many: 'accounts', Many: 'Accounts', listPath: '/accounts' },
};

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

export const statusLabels: Record<ImportStatus, string> = {
  uploaded: 'Mapping',
  dry_running: 'Checking',
  ready: 'Checked',
  queued: 'Starting',
  running: 'Importing',
  completed: 'Completed',
  failed: 'Failed',
  undoing: 'Undoing',
  undone: 'Undone',
};

export const statusTones: Record<ImportStatus, 'neutral' | 'accent' | 'success' | 'warning' | 'danger'> = {
  uploaded: 'neutral',
  dry_running: 'accent',
  ready: 'neutral',
  queued: 'accent',
  running: 'accent',
  completed: 'success',
  failed: 'danger',
  undoing: 'warning',
  undone: 'warning',
};

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.max(ms, 1)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s % 60);
  if (m < 60) return rest ? `${m} min ${rest} s` : `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Rows per second over the whole run, or null when it was too short to say. */
export function rowsPerSecond(imp: ImportView): number | null {
  if (imp.progress.rowsPerSecond !== null) return imp.progress.rowsPerSecond;
  if (!imp.durationMs || imp.durationMs < 1) return null;
  return Math.round((imp.progress.rowsDone / imp.durationMs) * 1000);
}

/** The label of a target key, for the preview and result tables. */
export function targetLabel(targets: readonly ImportTarget[] | undefined, key: string): string {
  const t = targets?.find((x) => x.key === key);
  if (t) return t.label;
  if (key.startsWith('traits.')) return `${key.slice(7)} (trait)`;
  if (key.startsWith('externalIds.')) return `External id: ${key.slice(12)}`;
  return key;
}

/**
 * The target key of a value in a dry-run preview. Core fields come keyed by their database
 * column (first_name), everything else by target key (custom.tier): map columns back to keys.
 */
export function previewKey(object: ObjectName, key: string): string {
  const f = objectDefs[object].fields.find((x) => x.column === key);
  if (!f) return key;
  return f.key === 'ownerId' ? 'ownerEmail' : f.key;
}

// The server's suggested mapping, as it was before anyone changed it: the mapping screen shows
// how sure each suggestion is, which only means something for the untouched suggestion. Kept for
// the browser tab (an import is usually mapped in the tab it was uploaded in).
const suggestionKey = (id: string) => `keel.import.suggested.${id}`;

export function rememberSuggestion(imp: ImportView): void {
  try {
    sessionStorage.setItem(suggestionKey(imp.id), JSON.stringify(imp.mapping));
  } catch {
    /* storage full or disabled: the screen simply shows no confidence */
  }
}

export function suggestionFor(id: string): Array<string | null> | null {
  try {
    const raw = sessionStorage.getItem(suggestionKey(id));
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    return Array.isArray(parsed) && parsed.every((x) => x === null || typeof x === 'string') ? (parsed as Array<string | null>) : null;
  } catch {
    return null;
  }
}
