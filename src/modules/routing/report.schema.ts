import { z } from 'zod';

export const reportQuerySchema = z
  .object({
    from: z.iso.datetime({ offset: true }).describe('Start of the period (inclusive): leads assigned from then'),
    to: z.iso.datetime({ offset: true }).describe('End of the period (exclusive)'),
    modelId: z
      .uuid()
      .optional()
      .describe('The scoring model whose bands to break conversion down by (default: the oldest published model)'),
  })
  .strict()
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'from must be before to', path: ['to'] });
export type ReportQuery = z.infer<typeof reportQuerySchema>;

const touchSchema = z.object({
  decided: z.number().describe('Leads the rep accepted or rejected'),
  avgMinutes: z.number().nullable(),
  medianMinutes: z.number().nullable(),
  p90Minutes: z.number().nullable(),
});

const conversionRow = z.object({
  key: z.string(),
  label: z.string(),
  leads: z.number(),
  converted: z.number(),
  rate: z.number().nullable(),
});

export const routingReportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    modelId: z.string().nullable(),
    totals: z.object({
      assigned: z.number().describe('Assignments to a rep made in the period'),
      accepted: z.number(),
      rejected: z.number(),
      open: z.number().describe('Open and the contact still in the stage it was assigned in: waiting for the rep'),
      movedOn: z
        .number()
        .describe(
          'Open, but the contact has moved to another stage since (sal, sql, recycled, disqualified...): handled without a decision',
        ),
      released: z.number().describe('Released before the rep decided (rep disabled, reassigned)'),
      acceptanceRate: z.number().nullable().describe('accepted / (accepted + rejected)'),
    }),
    rejectionReasons: z.array(z.object({ reason: z.string(), count: z.number() })),
    timeToFirstTouch: touchSchema.describe('Minutes from assignment to the rep accepting or rejecting the lead'),
    byRep: z.array(
      conversionRow.extend({
        assigned: z.number(),
        accepted: z.number(),
        rejected: z.number(),
        acceptanceRate: z.number().nullable(),
        medianMinutesToFirstTouch: z.number().nullable(),
      }),
    ),
    bySource: z.array(conversionRow),
    byBand: z.array(conversionRow),
  })
  .meta({ id: 'RoutingReport' });
export type RoutingReport = z.infer<typeof routingReportSchema>;
