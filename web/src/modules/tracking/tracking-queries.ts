import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { eventSchema, identitySchema, messageTypes, touchpointSchema } from '../../../../src/modules/tracking/messages.schema.js';
// The source schemas are declared in the service (the web build keeps only these zod objects).
import { createSourceSchema, rotateKeySchema, sourceKinds, sourceSchema } from '../../../../src/modules/tracking/sources.schema.js';
import type { ChannelRulesView as ServerChannelRulesView } from '../../../../src/modules/tracking/channel-rules.service.js';
import { CLICK_IDS, channelRuleSchema, type ChannelRule } from '../../../../src/modules/tracking/channels.js';
import type { contactMerges } from '../../../../src/modules/tracking/profile.service.js';
import type {
  planEventSchema as serverPlanEventSchema,
  seenEventSchema as serverSeenEventSchema,
} from '../../../../src/modules/tracking/tracking-plan.service.js';
import { api } from '../../lib/api.js';

export { createSourceSchema, messageTypes, rotateKeySchema, sourceKinds, sourceSchema };

export type Source = z.infer<typeof sourceSchema>;
export type SourceKey = Source['keys'][number];
export type SourceKind = Source['kind'];
export type MessageType = (typeof messageTypes)[number];

export const sourcesResponseSchema = z.object({ data: z.array(sourceSchema) });
/** POST /sources and POST /sources/:id/rotate: the source, with its new write key (shown this once). */
export const sourceWithKeySchema = sourceSchema.extend({ writeKey: z.string() });
export type SourceWithKey = z.infer<typeof sourceWithKeySchema>;

/** An event in the workspace stream (GET /events), which knows the contact it belongs to. */
export const streamEventSchema = eventSchema.extend({ contactId: z.string().nullable() });
export type StreamEvent = z.infer<typeof streamEventSchema>;
export type TrackedEvent = z.infer<typeof eventSchema>;
export const streamPageSchema = z.object({ data: z.array(streamEventSchema), nextCursor: z.string().nullable() });
export const contactEventsPageSchema = z.object({ data: z.array(eventSchema), nextCursor: z.string().nullable() });

export const identitiesSchema = z.object({ data: z.array(identitySchema) });
export type Identity = z.infer<typeof identitySchema>;
export const touchpointsPageSchema = z.object({ data: z.array(touchpointSchema), nextCursor: z.string().nullable() });
export type Touchpoint = z.infer<typeof touchpointSchema>;

export const sourcesQuery = queryOptions({
  queryKey: ['sources'],
  queryFn: async () => (await api.get('/sources', sourcesResponseSchema)).data,
});

/** Filters of the live debugger, as GET /events takes them. */
export interface StreamFilters {
  sourceId?: string | undefined;
  type?: MessageType | undefined;
  event?: string | undefined;
  user?: string | undefined;
}

// The tracking plan's schemas are declared in tracking-plan.service.ts, next to ajv and the
// database: importing them would pull both into the web build. They are declared again here,
// and the type checks below fail the build the day the two drift apart.
export const planEventSchema = z.object({
  event: z.string(),
  description: z.string(),
  schema: z.record(z.string(), z.unknown()),
  block: z.boolean(),
  updatedAt: z.string(),
});
export type PlanEvent = z.infer<typeof planEventSchema>;
export const seenEventSchema = z.object({
  event: z.string(),
  planned: z.boolean(),
  block: z.boolean(),
  seen: z.number(),
  violations: z.number(),
  blocked: z.number(),
  firstSeenAt: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
  lastViolationAt: z.string().nullable(),
  examples: z.array(z.object({ at: z.string(), messageId: z.string(), errors: z.array(z.string()), properties: z.unknown() })),
});
export type SeenEvent = z.infer<typeof seenEventSchema>;
export const trackingPlanSchema = z.object({ planned: z.array(planEventSchema), events: z.array(seenEventSchema) });
export type TrackingPlan = z.infer<typeof trackingPlanSchema>;

/** Counts move while events arrive: fetched on every visit, and again every 15 seconds on screen. */
export const trackingPlanQuery = queryOptions({
  queryKey: ['tracking-plan'],
  queryFn: () => api.get('/tracking-plan', trackingPlanSchema),
  staleTime: 0,
  refetchInterval: 15_000,
});

/** GET/PUT/DELETE /channel-rules (the view schema is declared inline in tracking.routes.ts). */
export const channelRulesViewSchema = z.object({
  rules: z.array(channelRuleSchema),
  isDefault: z.boolean(),
  updatedAt: z.string().nullable(),
});
export type ChannelRulesView = z.infer<typeof channelRulesViewSchema>;
export { CLICK_IDS, channelRuleSchema, type ChannelRule };

export const channelRulesQuery = queryOptions({
  queryKey: ['channel-rules'],
  queryFn: () => api.get('/channel-rules', channelRulesViewSchema),
});

/** GET /contacts/:id/merges (declared inline in tracking.routes.ts). */
export const mergeSchema = z.object({
  fromProfile: z.string(),
  intoProfile: z.string(),
  reason: z.string(),
  messageId: z.string().nullable(),
  at: z.string(),
});
export type Merge = z.infer<typeof mergeSchema>;
export const mergesSchema = z.object({ data: z.array(mergeSchema) });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type SchemasMatchTheServer = [
  Assert<Same<PlanEvent, z.infer<typeof serverPlanEventSchema>>>,
  Assert<Same<SeenEvent, z.infer<typeof serverSeenEventSchema>>>,
  Assert<Same<ChannelRulesView, ServerChannelRulesView>>,
  Assert<Same<Merge, Awaited<ReturnType<typeof contactMerges>>['data'][number]>>,
];
