import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { filtersSchema } from '../../../../src/modules/crm/records.schema.js';
import {
  dedupeSettingsPatchSchema,
  dedupeSettingsSchema,
  duplicatePairSchema,
  matchObjectSchema,
  mergePreviewSchema,
  mergeSchema,
  pairStatusSchema,
  scanSchema,
  survivorshipRuleSchema,
  type DedupeSettings,
  type DuplicatePair,
  type MergeView,
  type ScanView,
} from '../../../../src/modules/dedupe/dedupe.schema.js';
import type { ProblemKey } from '../../../../src/modules/quality/quality-rules.js';
import type {
  qualityHistorySchema as serverHistorySchema,
  qualitySummarySchema as serverSummarySchema,
} from '../../../../src/modules/quality/quality.schema.js';
import { api } from '../../lib/api.js';

// Duplicates: dedupe.schema.ts is zod alone, so the browser checks answers with the API's own schemas.
export { dedupeSettingsPatchSchema, dedupeSettingsSchema, matchObjectSchema, mergeSchema, pairStatusSchema, survivorshipRuleSchema };
export type { DedupeSettings, DuplicatePair, MergeView, ScanView };
export type MatchObject = z.infer<typeof matchObjectSchema>;
export type PairStatus = z.infer<typeof pairStatusSchema>;
export type SurvivorshipRule = z.infer<typeof survivorshipRuleSchema>;
export type Reason = DuplicatePair['reasons'][number];
export type MergePreview = z.infer<typeof mergePreviewSchema>;
export type MergeField = MergePreview['fields'][number];

export const pairsPageSchema = z.object({
  data: z.array(duplicatePairSchema),
  nextCursor: z.string().nullable(),
  counts: z.record(z.string(), z.number()),
});
export type PairsPage = z.infer<typeof pairsPageSchema>;
export const pairListSchema = z.object({ data: z.array(duplicatePairSchema) });
export const scansSchema = z.object({ data: z.array(scanSchema) });
export const mergesPageSchema = z.object({ data: z.array(mergeSchema), nextCursor: z.string().nullable() });
export const undoResultSchema = mergeSchema.extend({ kept: z.array(z.string()) });
export type UndoResult = z.infer<typeof undoResultSchema>;
export { duplicatePairSchema, mergePreviewSchema, scanSchema };

/** Which API path merges records of an object: /contacts/:id/merge or /accounts/:id/merge. */
export const pluralOf = (object: MatchObject) => (object === 'contact' ? 'contacts' : 'accounts');

// Data quality: quality.schema.ts imports the SQL of the quality rules (and with it Kysely), which
// the web build should not carry. Its shapes are declared again here, and the type checks at the
// end fail the build the day the two drift apart.
const problemSchema = z.object({
  key: z.custom<ProblemKey>((v) => typeof v === 'string'),
  label: z.string(),
  kind: z.enum(['completeness', 'validity', 'stale']),
  field: z.string().nullable(),
  count: z.number().int(),
  share: z.number(),
  filter: filtersSchema,
});
export type QualityProblem = z.infer<typeof problemSchema>;

const fillRateSchema = z.object({
  field: z.string(),
  label: z.string(),
  custom: z.boolean(),
  filled: z.number().int(),
  rate: z.number(),
});
export type FillRate = z.infer<typeof fillRateSchema>;

export const qualitySummarySchema = z.object({
  at: z.string(),
  contacts: z.number().int(),
  accounts: z.number().int(),
  score: z.number().nullable(),
  completeness: z.number().nullable(),
  validity: z.number().nullable(),
  bands: z.array(z.object({ from: z.number().int(), to: z.number().int(), contacts: z.number().int(), filter: filtersSchema })),
  stale: z.object({ contacts: z.number().int(), staleDays: z.number().int(), jobChangeDays: z.number().int() }),
  problems: z.array(problemSchema),
  fillRates: z.object({ contacts: z.array(fillRateSchema), accounts: z.array(fillRateSchema) }),
});
export type QualitySummary = z.infer<typeof qualitySummarySchema>;

export const qualitySnapshotSchema = z.object({
  day: z.string(),
  contacts: z.number().int(),
  score: z.number().nullable(),
  completeness: z.number().nullable(),
  validity: z.number().nullable(),
  counts: z.record(z.string(), z.number()),
  takenAt: z.string(),
});
export type QualitySnapshot = z.infer<typeof qualitySnapshotSchema>;
export const qualityHistorySchema = z.object({ data: z.array(qualitySnapshotSchema) });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type SchemasMatchTheServer = [
  Assert<Same<QualitySummary, z.infer<typeof serverSummarySchema>>>,
  Assert<Same<z.infer<typeof qualityHistorySchema>, z.infer<typeof serverHistorySchema>>>,
];

/** The trend chart's window (days). */
export const HISTORY_DAYS = 90;

export const qualitySummaryQuery = queryOptions({
  queryKey: ['quality', 'summary'],
  queryFn: () => api.get('/quality/summary', qualitySummarySchema),
  staleTime: 0,
});

export const qualityHistoryQuery = queryOptions({
  queryKey: ['quality', 'history', HISTORY_DAYS],
  queryFn: async () => (await api.get('/quality/history', qualityHistorySchema, { days: HISTORY_DAYS })).data,
});

export const scansQuery = (object: MatchObject) =>
  queryOptions({
    queryKey: ['duplicates', 'scans', object],
    queryFn: async () => (await api.get('/duplicates/scans', scansSchema, { object })).data,
  });

export const scanQuery = (id: string) =>
  queryOptions({
    queryKey: ['duplicates', 'scan', id],
    queryFn: () => api.get(`/duplicates/scans/${id}`, scanSchema),
    // Followed until it ends: twice a second while it runs.
    refetchInterval: (q) => (q.state.data && q.state.data.status !== 'running' ? false : 500),
  });

export const settingsQuery = (object: MatchObject) =>
  queryOptions({
    queryKey: ['duplicates', 'settings', object],
    queryFn: () => api.get('/duplicates/settings', dedupeSettingsSchema, { object }),
  });

export const recordDuplicatesQuery = (object: MatchObject, id: string) =>
  queryOptions({
    queryKey: ['duplicates', 'record', object, id],
    queryFn: async () => (await api.get(`/${pluralOf(object)}/${id}/duplicates`, pairListSchema)).data,
  });
