import { z } from 'zod';
import { lifecycleRuleSchema, stagesSettingsSchema } from '../../../../src/modules/routing/lifecycle.schema.js';
import { routingReportSchema } from '../../../../src/modules/routing/report.schema.js';
import {
  createRoutingRuleSchema,
  queueEntrySchema,
  repSchema,
  routingActionSchema,
  routingRuleSchema,
  routingSettingsSchema,
  workingHoursSchema,
  type QueueEntry,
  type RepInput,
  type RoutingAction,
  type WorkingHours,
} from '../../../../src/modules/routing/routing.schema.js';
import {
  slaOverviewSchema,
  slaSettingsSchema,
  type SlaLead,
  type SlaSettings,
  type SlaState,
} from '../../../../src/modules/routing/sla.schema.js';
import { api } from '../../lib/api.js';

// routing.schema.ts, sla.schema.ts and report.schema.ts are zod alone: the browser checks every
// answer with the API's own schemas.
export { createRoutingRuleSchema, routingActionSchema, routingSettingsSchema, slaSettingsSchema, workingHoursSchema };
export type { QueueEntry, RepInput, RoutingAction, SlaLead, SlaSettings, SlaState, WorkingHours };
export type Rep = z.infer<typeof repSchema>;
export type RoutingRule = z.infer<typeof routingRuleSchema>;
export type RoutingReport = z.infer<typeof routingReportSchema>;
export type RoutingSettingsValue = z.infer<typeof routingSettingsSchema>;
export type SlaOverview = z.infer<typeof slaOverviewSchema>;
export type LifecycleRule = z.infer<typeof lifecycleRuleSchema>;

export const queueSchema = z.object({ data: z.array(queueEntrySchema) });
export const repsSchema = z.object({ data: z.array(repSchema) });
export const rulesSchema = z.object({ data: z.array(routingRuleSchema) });
export const lifecycleRulesSchema = z.object({ data: z.array(lifecycleRuleSchema) });
export { lifecycleRuleSchema, repSchema, routingReportSchema, routingRuleSchema, slaOverviewSchema, stagesSettingsSchema };

/** `modelId` left out: the API's default, the workspace's oldest published scoring model. */
export const fetchQueue = (ownerId: string | undefined, modelId?: string) => api.get('/routing/queue', queueSchema, { ownerId, modelId });
export const fetchReps = () => api.get('/routing/reps', repsSchema);
export const fetchRules = () => api.get('/routing/rules', rulesSchema);
export const fetchRoutingSettings = () => api.get('/routing/settings', routingSettingsSchema);
export const fetchSlaSettings = () => api.get('/routing/sla/settings', slaSettingsSchema);

export const slaStateLabel: Record<SlaState, string> = { on_track: 'On track', at_risk: 'At risk', breached: 'Breached' };
export const slaTone = { on_track: 'success', at_risk: 'warning', breached: 'danger' } as const;

/** "in 2h 5m", "3h 10m overdue": working-time due dates read as wall-clock distance. */
export function dueIn(iso: string | null, now = Date.now()): string {
  if (!iso) return 'no due time';
  const ms = Date.parse(iso) - now;
  const mins = Math.round(Math.abs(ms) / 60_000);
  const d = Math.floor(mins / 1440);
  const h = Math.floor((mins % 1440) / 60);
  const m = mins % 60;
  const span = d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m`;
  return ms >= 0 ? `in ${span}` : `${span} overdue`;
}

/** "just now", "45m ago", "3h 10m ago", "2d 4h ago". */
export function ageOf(iso: string, now = Date.now()): string {
  const mins = Math.max(0, Math.floor((now - Date.parse(iso)) / 60_000));
  if (mins < 1) return 'just now';
  const d = Math.floor(mins / 1440);
  const h = Math.floor((mins % 1440) / 60);
  return `${d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${mins % 60}m` : `${mins}m`} ago`;
}

export function minutesLabel(m: number | null): string {
  if (m === null) return '—';
  if (m < 60) return `${Math.round(m)} min`;
  if (m < 1440) return `${(m / 60).toFixed(1)} h`;
  return `${(m / 1440).toFixed(1)} d`;
}

export const pct = (r: number | null) => (r === null ? '—' : `${Math.round(r * 1000) / 10}%`);
