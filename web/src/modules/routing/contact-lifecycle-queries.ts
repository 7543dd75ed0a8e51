import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { contactLifecycleSchema, historyEntrySchema, setStageSchema } from '../../../../src/modules/routing/lifecycle.schema.js';
import {
  contactAssignmentResponseSchema,
  routingLogEntrySchema,
  type ContactAssignment,
  type RoutingLogKind,
  type Skipped,
} from '../../../../src/modules/routing/routing.schema.js';
import { api } from '../../lib/api.js';
import type { Page } from '../../lib/use-cursor-list.js';
import { lifecycleRulesSchema, stagesSettingsSchema } from './routing-queries.js';

// A contact's Lifecycle tab reads the API's own schemas (lifecycle.schema.ts, routing.schema.ts are zod alone).
export { setStageSchema };
export type { ContactAssignment, RoutingLogKind, Skipped };
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

/** The contact's live assignment (null: nobody has the lead), under 'routing' like the log. */
export const contactAssignmentQuery = (contactId: string) =>
  queryOptions({
    queryKey: ['routing', 'assignment', contactId],
    queryFn: async () => (await api.get(`/contacts/${contactId}/assignment`, contactAssignmentResponseSchema)).assignment,
  });

export const setContactStage = (contactId: string, input: z.infer<typeof setStageSchema>) =>
  api.post(`/contacts/${contactId}/lifecycle`, contactLifecycleSchema, input);

/** Each routing log entry's `kind` (set by the API) as a badge. */
export const logKindLabel: Record<RoutingLogKind, string> = {
  routed: 'Routed',
  queued: 'Queued',
  accepted: 'Accepted',
  rejected: 'Rejected',
  released: 'Released',
  sla_reminder: 'SLA reminder',
  sla_escalation: 'SLA breached',
};

export const logKindTone = {
  routed: 'accent',
  queued: 'accent',
  accepted: 'success',
  rejected: 'danger',
  released: 'neutral',
  sla_reminder: 'warning',
  sla_escalation: 'danger',
} as const satisfies Record<RoutingLogKind, string>;

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
