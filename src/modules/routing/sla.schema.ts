import { z } from 'zod';
import { stageKeySchema } from './lifecycle.schema.js';
import { isTimeZone, workingHoursSchema } from './routing.schema.js';
import { officeHours } from './working-time.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'A holiday is a date, YYYY-MM-DD');

export const workCalendarSchema = z
  .object({
    timeZone: z.string().refine(isTimeZone, 'Not an IANA time zone (such as Europe/Berlin)'),
    workingHours: workingHoursSchema,
    holidays: z.array(isoDate).max(400).default([]).describe('Local dates with no working time'),
  })
  .strict();

export const slaRuleSchema = z
  .object({
    stage: stageKeySchema.describe('The lifecycle stage the lead was assigned in (e.g. mql)'),
    withinMinutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 30)
      .describe('Working minutes the rep has to accept or reject the lead (240: four working hours)'),
    remindBeforeMinutes: z
      .number()
      .int()
      .min(0)
      .max(60 * 24 * 30)
      .default(60)
      .describe('The lead is at risk, and the rep reminded, this many working minutes before the SLA is due'),
    escalateTo: z.uuid().nullable().default(null).describe("The manager told when it is breached (null: the settings' escalateTo)"),
  })
  .strict()
  .refine((r) => r.remindBeforeMinutes < r.withinMinutes, {
    message: 'remindBeforeMinutes must be less than withinMinutes',
    path: ['remindBeforeMinutes'],
  });
export type SlaRule = z.infer<typeof slaRuleSchema>;

export const slaSettingsSchema = z
  .object({
    calendar: z
      .enum(['rep', 'workspace'])
      .default('rep')
      .describe(
        "rep: each rep's own working hours and time zone (reps without hours use the workspace calendar); workspace: one calendar for all",
      ),
    workspaceCalendar: workCalendarSchema.default({ timeZone: 'UTC', workingHours: officeHours, holidays: [] }),
    escalateTo: z.uuid().nullable().default(null).describe('The manager told about breaches when an SLA names no one'),
    slas: z
      .array(slaRuleSchema)
      .max(20)
      .refine((s) => new Set(s.map((r) => r.stage)).size === s.length, 'One SLA per stage'),
  })
  .strict()
  .meta({ id: 'RoutingSlaSettings' });
export type SlaSettings = z.infer<typeof slaSettingsSchema>;
export type SlaSettingsInput = z.input<typeof slaSettingsSchema>;

export const slaStates = ['on_track', 'at_risk', 'breached'] as const;
export type SlaState = (typeof slaStates)[number];

export const slaQuerySchema = z
  .object({
    state: z
      .enum([...slaStates, 'all'])
      .default('all')
      .describe('at_risk: reminder time passed; breached: due time passed'),
    ownerId: z.uuid().optional().describe("Only this rep's leads"),
    stage: stageKeySchema.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
export type SlaQuery = z.infer<typeof slaQuerySchema>;

export const slaLeadSchema = z
  .object({
    assignmentId: z.string(),
    contactId: z.string(),
    contactName: z.string(),
    contactEmail: z.string().nullable(),
    ownerId: z.string(),
    ownerName: z.string(),
    stage: z.string(),
    assignedAt: z.string(),
    remindAt: z.string().nullable(),
    dueAt: z.string().nullable().describe('null: the calendar has no working time'),
    state: z.enum(slaStates),
    remindedAt: z.string().nullable(),
    escalatedAt: z.string().nullable(),
    escalatedTo: z.string().nullable(),
  })
  .meta({ id: 'RoutingSlaLead' });
export type SlaLead = z.infer<typeof slaLeadSchema>;

export const slaRepSummarySchema = z.object({
  ownerId: z.string(),
  ownerName: z.string(),
  open: z.number(),
  onTrack: z.number(),
  atRisk: z.number(),
  breached: z.number(),
});

export const slaOverviewSchema = z.object({
  summary: z.object({ open: z.number(), onTrack: z.number(), atRisk: z.number(), breached: z.number() }),
  perRep: z.array(slaRepSummarySchema),
  data: z.array(slaLeadSchema),
  nextCursor: z.string().nullable(),
});

export const slaEventSchema = z
  .object({
    id: z.string(),
    assignmentId: z.string(),
    contactId: z.string(),
    kind: z.enum(['reminder', 'escalation']),
    recipientId: z.string().nullable(),
    stage: z.string(),
    dueAt: z.string(),
    at: z.string(),
  })
  .meta({ id: 'RoutingSlaEvent' });
export const slaEventsQuerySchema = z
  .object({
    kind: z.enum(['reminder', 'escalation']).optional(),
    recipientId: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
