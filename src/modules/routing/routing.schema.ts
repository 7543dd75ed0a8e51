import { z } from 'zod';
import { segmentNode } from '../segments/segments.schema.js';

export const defaultFallbackQueue = 'unassigned';
export const defaultRejectReasons = ['Not a fit', 'Already in contact', 'Duplicate', 'Bad contact data', 'Not the right territory'];

const queueName = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'A queue name is lower-case letters, digits, - and _ (such as "inbound" or "enterprise-sdr")');

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'A time is HH:MM (24-hour)');
export const workingHoursSchema = z
  .partialRecord(z.enum(weekdays), z.array(z.tuple([hhmm, hhmm]).refine(([a, b]) => a < b, 'A working period ends after it starts')).max(6))
  .describe('Working periods per weekday in the rep\'s time zone, e.g. {"mon": [["09:00", "17:00"]]}; a day not listed is off');
export type WorkingHours = z.infer<typeof workingHoursSchema>;

export const repInputSchema = z
  .object({
    userId: z.uuid(),
    weight: z.number().int().min(0).max(1000).default(1).describe('Share of round-robin leads (0: never picked)'),
    capacity: z
      .number()
      .int()
      .min(0)
      .max(100000)
      .nullable()
      .default(null)
      .describe('Most leads waiting for the rep at once (open, not yet accepted, the contact not moved on since); null: no cap'),
    workingHours: workingHoursSchema.nullable().default(null).describe('null: always working'),
    timeZone: z.string().default('UTC').refine(isTimeZone, 'Not an IANA time zone (such as Europe/Berlin)'),
    available: z.boolean().default(true).describe('false: skipped (holiday, sick), keeps their leads'),
  })
  .strict();
export type RepInput = z.infer<typeof repInputSchema>;
export const putRepsSchema = z.object({ reps: z.array(repInputSchema).max(1000) }).strict();

export const repSchema = z
  .object({
    userId: z.string(),
    name: z.string(),
    email: z.string(),
    active: z.boolean(),
    weight: z.number(),
    capacity: z.number().nullable(),
    workingHours: z.unknown(),
    timeZone: z.string(),
    available: z.boolean(),
    openLeads: z.number(),
  })
  .meta({ id: 'RoutingRep' });
export type Rep = z.infer<typeof repSchema>;

const repIds = z.array(z.uuid()).min(1).max(200);

/** Built-in regions for territories, by ISO 3166-1 alpha-2 country code. */
export const regions: Record<string, readonly string[]> = {
  NA: ['US', 'CA', 'MX'],
  LATAM: ['AR', 'BR', 'CL', 'CO', 'PE', 'UY', 'MX', 'CR', 'EC', 'VE'],
  EMEA: [
    'GB',
    'IE',
    'DE',
    'FR',
    'NL',
    'BE',
    'LU',
    'ES',
    'PT',
    'IT',
    'CH',
    'AT',
    'SE',
    'NO',
    'DK',
    'FI',
    'PL',
    'CZ',
    'HU',
    'RO',
    'GR',
    'TR',
    'IL',
    'AE',
    'SA',
    'ZA',
    'NG',
    'EG',
    'KE',
  ],
  APAC: ['AU', 'NZ', 'JP', 'CN', 'HK', 'SG', 'IN', 'KR', 'TW', 'MY', 'TH', 'ID', 'PH', 'VN'],
};

export const territorySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    match: z
      .object({
        countries: z
          .array(z.string().regex(/^[A-Z]{2}$/, 'A country is an ISO code such as DE'))
          .max(300)
          .optional(),
        regions: z
          .array(z.enum(Object.keys(regions) as [string, ...string[]]))
          .max(10)
          .optional(),
        segmentId: z.uuid().optional(),
        accountSizes: z.array(z.string().min(1).max(50)).max(20).optional().describe("The account's size values, e.g. 51-200"),
      })
      .strict()
      .refine((m) => Object.keys(m).length > 0, 'A territory matches on countries, regions, segmentId or accountSizes'),
    reps: repIds,
  })
  .strict();

export const routingActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('round_robin'), reps: repIds }).strict(),
  z.object({ type: z.literal('territory'), territories: z.array(territorySchema).min(1).max(100) }).strict(),
  z.object({ type: z.literal('account_owner') }).strict(),
  z.object({ type: z.literal('queue'), queue: queueName }).strict(),
]);
export type RoutingAction = z.infer<typeof routingActionSchema>;

export const createRoutingRuleSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    condition: segmentNode.nullable().optional().describe('A segment definition the lead must match (omitted: every lead)'),
    action: routingActionSchema,
    enabled: z.boolean().default(true),
    position: z.number().int().min(0).max(1000).optional().describe('Place in the order (default: last)'),
  })
  .strict();
export type CreateRoutingRuleInput = z.infer<typeof createRoutingRuleSchema>;
export const updateRoutingRuleSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    condition: segmentNode.nullable().optional(),
    action: routingActionSchema.optional(),
    enabled: z.boolean().optional(),
    position: z.number().int().min(0).max(1000).optional(),
  })
  .strict();
export type UpdateRoutingRuleInput = z.infer<typeof updateRoutingRuleSchema>;

export const routingRuleSchema = z
  .object({
    id: z.string(),
    position: z.number(),
    name: z.string(),
    condition: z.unknown(),
    action: z.unknown(),
    enabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'RoutingRule' });
export type RoutingRule = z.infer<typeof routingRuleSchema>;

export const routingSettingsSchema = z
  .object({
    fallbackQueue: queueName,
    rejectReasons: z.array(z.string().trim().min(1).max(100)).min(1).max(50),
  })
  .strict()
  .meta({ id: 'RoutingSettings' });
export type RoutingSettings = z.infer<typeof routingSettingsSchema>;

export const routeRequestSchema = z
  .object({
    contactId: z.uuid(),
    reassign: z.boolean().default(false).describe('Route again even when the lead is assigned (the old assignment is kept as released)'),
  })
  .strict();

export const skippedSchema = z.object({
  ruleId: z.string().nullable(),
  rule: z.string().nullable(),
  repId: z.string().optional(),
  reason: z.string(),
});
export type Skipped = z.infer<typeof skippedSchema>;

export const assignmentSchema = z
  .object({
    id: z.string(),
    contactId: z.string(),
    ownerId: z.string().nullable(),
    queue: z.string().nullable(),
    ruleId: z.string().nullable(),
    status: z.enum(['open', 'accepted', 'rejected', 'released']),
    assignedAt: z.string(),
    acceptedAt: z.string().nullable(),
    rejectedAt: z.string().nullable(),
    rejectReason: z.string().nullable(),
  })
  .meta({ id: 'LeadAssignment' });
export type Assignment = z.infer<typeof assignmentSchema>;

export const routeResultSchema = z.object({
  assignment: assignmentSchema,
  alreadyAssigned: z.boolean(),
  reason: z.string(),
  skipped: z.array(skippedSchema),
});

/**
 * What a routing log entry records: a rule gave the lead to a rep (`routed`) or a queue rule or the
 * fallback queue took it (`queued`); the rep accepted or rejected it; it was taken from its rep or
 * queue (`released`: reassigned, or the rep was disabled); the SLA job reminded the rep or escalated.
 */
export const routingLogKinds = ['routed', 'queued', 'accepted', 'rejected', 'released', 'sla_reminder', 'sla_escalation'] as const;
export type RoutingLogKind = (typeof routingLogKinds)[number];

export const routingLogEntrySchema = z
  .object({
    id: z.string(),
    contactId: z.string(),
    kind: z
      .enum(routingLogKinds)
      .describe(
        'routed (to a rep), queued (a queue rule or the fallback queue), accepted, rejected, released, sla_reminder, sla_escalation',
      ),
    ruleId: z.string().nullable(),
    rule: z.string().nullable().describe('The name of the rule that fired (null: fallback, release or a rep decision)'),
    contactName: z.string().nullable().describe("The contact's name (null: none recorded)"),
    contactEmail: z.string().nullable(),
    assignedTo: z.string().nullable(),
    assignedToName: z.string().nullable().describe("The rep's name (null: a queue, or no rep)"),
    queue: z.string().nullable(),
    reason: z.string(),
    skipped: z.array(skippedSchema),
    at: z.string(),
  })
  .meta({ id: 'RoutingLogEntry' });

export const logQuerySchema = z
  .object({
    contactId: z.uuid().optional(),
    kind: z.enum(routingLogKinds).optional().describe('Only entries of this kind'),
    assignedTo: z
      .uuid()
      .optional()
      .describe('Only entries naming this rep as assignedTo (routed to them, accepted by them, their SLA reminders and escalations)'),
    from: z.iso.datetime({ offset: true }).optional().describe('Only entries at or after this time'),
    to: z.iso.datetime({ offset: true }).optional().describe('Only entries before this time'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict()
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { message: 'from must be before to', path: ['to'] });
export type LogQuery = z.infer<typeof logQuerySchema>;
export const queueQuerySchema = z
  .object({
    ownerId: z.uuid().optional().describe("A rep's user id (default: you)"),
    modelId: z.uuid().optional().describe('The published scoring model whose scores to show (default: the oldest published model)'),
  })
  .strict();
export const decisionParamsSchema = z.object({ contactId: z.uuid('Not a valid id') }).strict();
export const rejectSchema = z.object({ reason: z.string().trim().min(1).max(100), note: z.string().max(1000).optional() }).strict();
export const acceptSchema = z.object({ note: z.string().max(1000).optional() }).strict();

/** A lead's SLA as the SLA service computes it when read (sla.service.ts, `slaDueFor`). */
export const leadSlaSchema = z.object({
  dueAt: z.string().nullable(),
  state: z.enum(['on_track', 'at_risk', 'breached']),
});

export const queueEntrySchema = z.object({
  assignment: assignmentSchema,
  status: z
    .enum(['waiting', 'accepted', 'moved_on'])
    .describe(
      'waiting: open, the contact still in the stage it was assigned in (its SLA runs); accepted; moved_on: open, but the contact has moved to another stage since (sal, sql, recycle, disqualified...): handled, no SLA, listed after the waiting leads',
    ),
  contact: z.object({
    id: z.string(),
    email: z.string().nullable(),
    name: z.string(),
    company: z.string().nullable(),
    lifecycleStage: z.string().nullable(),
  }),
  score: z
    .object({ model: z.string(), score: z.number(), band: z.string() })
    .nullable()
    .describe("The contact's score in the chosen published scoring model (default: the workspace's oldest published one)"),
  sla: leadSlaSchema.nullable().describe('When the rep must accept or reject the lead (null: no SLA for its stage, or already accepted)'),
});
export type QueueEntry = z.infer<typeof queueEntrySchema>;

/** A contact's live assignment (`GET /api/v1/contacts/:id/assignment`). */
export const contactAssignmentSchema = assignmentSchema
  .pick({ id: true, contactId: true, ownerId: true, queue: true, ruleId: true, assignedAt: true, acceptedAt: true })
  .extend({
    status: z.enum(['open', 'accepted']),
    ownerName: z.string().nullable().describe("The rep's name (null: a queue)"),
    rule: z.string().nullable().describe('The name of the rule that assigned the lead (null: the fallback queue)'),
    stage: z
      .string()
      .nullable()
      .describe("The lead's lifecycle stage when assigned, which decides its SLA (older assignments: the contact's stage now)"),
    sla: leadSlaSchema
      .nullable()
      .describe('When the rep must accept or reject the lead (null: accepted, in a queue, no SLA for its stage, or a deleted contact)'),
  })
  .meta({ id: 'ContactAssignment' });
export type ContactAssignment = z.infer<typeof contactAssignmentSchema>;
export const contactAssignmentResponseSchema = z.object({
  assignment: contactAssignmentSchema.nullable().describe('null: nobody has the lead (never routed, or no live assignment)'),
});
