import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { contactLifecycleSchema, historyEntrySchema, setStageSchema } from '../../../../src/modules/routing/lifecycle.schema.js';
import { routingLogEntrySchema, type Skipped } from '../../../../src/modules/routing/routing.schema.js';
import { api } from '../../lib/api.js';
import type { Page } from '../../lib/use-cursor-list.js';
import { lifecycleRulesSchema, stagesSettingsSchema } from './routing-queries.js';

// A contact's Lifecycle tab reads the API's own schemas (lifecycle.schema.ts, routing.schema.ts are zod alone).
export { setStageSchema };
export type { Skipped };
export type ContactLifecycle = z.infer<typeof contactLifecycleSchema>;
export type StageChange = z.infer<typeof historyEntrySchema>;
export type RoutingLogEntry = z.infer<typeof routingLogEntrySchema>;

const logPageSchema = z.object({ data: z.array(routingLogEntrySchema), nextCursor: z.string().nullable() });

export const contactLifecycleQuery = (contactId: string) =>
  queryOptions({
    queryKey: ['lifecycle', 'contact', contactId],
    queryFn: () => api.get(`/contacts/${contactId}/lifecycle`, contactLifecycleSchema),
  });

export const stagesQuery = queryOptions({
  queryKey: ['lifecycle', 'stages'],
  queryFn: () => api.get('/lifecycle/stages', stagesSettingsSchema),
  staleTime: 60_000,
});

export const lifecycleRulesQuery = queryOptions({
  queryKey: ['lifecycle', 'rules'],
  queryFn: async () => (await api.get('/lifecycle/rules', lifecycleRulesSchema)).data,
  staleTime: 60_000,
});

/** The routing log's query key for one contact (under 'routing', so the routing screens' invalidations reach it). */
export const contactRoutingLogKey = (contactId: string) => ['routing', 'log', contactId] as const;

export const fetchContactRoutingLog = (contactId: string, cursor: string | undefined, limit: number): Promise<Page<RoutingLogEntry>> =>
  api.get('/routing/log', logPageSchema, { contactId, limit, cursor });

export const setContactStage = (contactId: string, input: z.infer<typeof setStageSchema>) =>
  api.post(`/contacts/${contactId}/lifecycle`, contactLifecycleSchema, input);

/**
 * What a routing log entry records. The API gives each entry's reason as text only, so the kind is
 * read from the start of it (the wording routing.service.ts writes); anything else is a note.
 */
export type LogKind = 'routed' | 'accepted' | 'rejected' | 'released' | 'reminder' | 'escalation' | 'note';

export function logKind(e: RoutingLogEntry): LogKind {
  if (e.reason.startsWith('accepted by ')) return 'accepted';
  if (e.reason.startsWith('rejected by ')) return 'rejected';
  if (e.reason.startsWith('released from ')) return 'released';
  if (e.reason.startsWith('SLA reminder')) return 'reminder';
  if (e.reason.startsWith('SLA breached')) return 'escalation';
  if (e.reason.startsWith('rule "') || e.reason.startsWith('fallback queue ') || e.skipped.length > 0) return 'routed';
  return 'note';
}

export const logKindLabel: Record<LogKind, string> = {
  routed: 'Routed',
  accepted: 'Accepted',
  rejected: 'Rejected',
  released: 'Released',
  reminder: 'SLA reminder',
  escalation: 'SLA breached',
  note: 'Note',
};

export const logKindTone = {
  routed: 'accent',
  accepted: 'success',
  rejected: 'danger',
  released: 'neutral',
  reminder: 'warning',
  escalation: 'danger',
  note: 'neutral',
} as const;

/** "3d 4h", "2h 10m", "12m", "under a minute": how long a contact stayed in a stage. */
export function durationLabel(ms: number): string {
  const mins = Math.floor(ms / 60_000);
  if (mins < 1) return 'under a minute';
  const d = Math.floor(mins / 1440);
  const h = Math.floor((mins % 1440) / 60);
  const m = mins % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return `${m}m`;
}
