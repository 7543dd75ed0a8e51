import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { listSchema } from '../../../../src/modules/segments/lists.schema.js';
import { createSegmentSchema, segmentSchema } from '../../../../src/modules/segments/segments.schema.js';
import { api, ApiError } from '../../lib/api.js';
import { contactKind } from '../records/record-kinds.js';

export { createSegmentSchema };

export { segmentSchema };
export type Segment = z.infer<typeof segmentSchema>;

export const segmentsPageSchema = z.object({ data: z.array(segmentSchema), nextCursor: z.string().nullable() });

const contactsSchema = z.array(contactKind.schema);
export const previewResultSchema = z.object({ count: z.number(), sample: contactsSchema, estimated: z.boolean().optional() });
export type PreviewResult = z.infer<typeof previewResultSchema>;

export const explainSchema = z.object({ sql: z.string(), parameters: z.array(z.unknown()).optional(), plan: z.array(z.string()) });
export type Explain = z.infer<typeof explainSchema>;

export const membersPageSchema = z.object({ data: contactsSchema, nextCursor: z.string().nullable() });

// The shapes below are declared inline in segments.routes.ts (not exported from a schema module),
// so the browser reads the fields it shows with schemas of its own.
export const historyEntrySchema = z.object({
  contactId: z.string(),
  email: z.string().nullable(),
  change: z.enum(['entered', 'exited']),
  reason: z.string(),
  at: z.string(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;
export const historyPageSchema = z.object({ data: z.array(historyEntrySchema), nextCursor: z.string().nullable() });

export const sizesSchema = z.object({ data: z.array(z.object({ day: z.string(), size: z.number() })) });
export type SizePoint = z.infer<typeof sizesSchema>['data'][number];

/** POST /segments/:id/rebuild answers 202: the membership worker picks the segment up. */
export const rebuildSchema = z.object({ state: z.literal('building') });

export const segmentQuery = (id: string) =>
  queryOptions({
    queryKey: ['segments', 'one', id],
    queryFn: () => api.get(`/segments/${id}`, segmentSchema),
  });

/** Every segment (for pickers and names of references): the first 200 are plenty for a picker. */
export const segmentChoicesQuery = queryOptions({
  queryKey: ['segments', 'choices'],
  queryFn: async () => (await api.get('/segments', segmentsPageSchema, { limit: 200 })).data,
  staleTime: 30_000,
});

const listChoiceSchema = z.object({ data: z.array(listSchema) });

/**
 * Static lists for "is in list" conditions; null where the API has no lists (an older server),
 * so the builder leaves the option out rather than offering something that cannot work.
 */
export const listChoicesQuery = queryOptions({
  queryKey: ['lists', 'choices'],
  queryFn: async () => {
    try {
      return (await api.get('/lists', listChoiceSchema, { limit: 200 })).data;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return null;
      throw err;
    }
  },
  staleTime: 30_000,
  retry: false,
});

/**
 * Event names people have sent, for suggestions in event conditions: GET /tracking-plan lists the
 * planned events and those seen. Only the names are read here (the plan's full schemas live in
 * the tracking service, which the browser does not load).
 */
const trackingPlanNamesSchema = z.object({
  planned: z.array(z.object({ event: z.string() }).loose()),
  events: z.array(z.object({ event: z.string() }).loose()),
});

export const eventNamesQuery = queryOptions({
  queryKey: ['tracking-plan', 'names'],
  queryFn: async () => {
    const plan = await api.get('/tracking-plan', trackingPlanNamesSchema);
    return [...new Set([...plan.planned, ...plan.events].map((e) => e.event))].sort((a, b) => a.localeCompare(b));
  },
  staleTime: 60_000,
  retry: false,
});
