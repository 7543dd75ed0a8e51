import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import { eventSchema, identitySchema, messageTypes, touchpointSchema } from '../../../../src/modules/tracking/messages.schema.js';
// The source schemas are declared in the service (the web build keeps only these zod objects).
import { createSourceSchema, rotateKeySchema, sourceKinds, sourceSchema } from '../../../../src/modules/tracking/sources.schema.js';
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
