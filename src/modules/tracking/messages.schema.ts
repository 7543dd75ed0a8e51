import { z } from 'zod';

/**
 * Segment HTTP Tracking API messages (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/).
 * Libraries add fields of their own (`_metadata`, `integrations`, `channel`, `version`…): unknown
 * fields are allowed and ignored, as Segment does, so stock clients work unchanged.
 */
const id = z.union([z.string().min(1).max(500), z.number().transform(String)]);
const obj = z.record(z.string(), z.unknown());
const time = z.union([z.string().max(64), z.number()]).optional();

const common = {
  messageId: z.string().min(1).max(200).optional(),
  anonymousId: id.optional().nullable(),
  userId: id.optional().nullable(),
  timestamp: time,
  originalTimestamp: time,
  sentAt: time,
  context: obj.optional(),
  integrations: obj.optional(),
};

export const identifyMessage = z.looseObject({ type: z.literal('identify'), ...common, traits: obj.optional() });
export const trackMessage = z.looseObject({
  type: z.literal('track'),
  ...common,
  event: z.string().min(1).max(500),
  properties: obj.optional(),
});
export const pageMessage = z.looseObject({
  type: z.literal('page'),
  ...common,
  name: z.string().max(500).optional().nullable(),
  category: z.string().max(500).optional().nullable(),
  properties: obj.optional(),
});
export const screenMessage = z.looseObject({
  type: z.literal('screen'),
  ...common,
  name: z.string().max(500).optional().nullable(),
  properties: obj.optional(),
});
export const groupMessage = z.looseObject({ type: z.literal('group'), ...common, groupId: id, traits: obj.optional() });
export const aliasMessage = z.looseObject({ type: z.literal('alias'), ...common, previousId: id, userId: id });

export const messageSchema = z.discriminatedUnion('type', [
  identifyMessage,
  trackMessage,
  pageMessage,
  screenMessage,
  groupMessage,
  aliasMessage,
]);
export type Message = z.infer<typeof messageSchema>;
export const messageTypes = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type MessageType = (typeof messageTypes)[number];

export const batchSchema = z.looseObject({
  batch: z.array(z.unknown()).max(10_000),
  context: obj.optional(),
  sentAt: time,
  writeKey: z.string().optional(),
});

export const eventSchema = z
  .object({
    id: z.string(),
    type: z.enum(messageTypes),
    event: z.string().nullable(),
    name: z.string().nullable(),
    messageId: z.string(),
    anonymousId: z.string().nullable(),
    userId: z.string().nullable(),
    timestamp: z.string(),
    receivedAt: z.string(),
    sourceId: z.string(),
    properties: z.record(z.string(), z.unknown()),
    traits: z.record(z.string(), z.unknown()),
    context: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'TrackedEvent' });
export type TrackedEvent = z.infer<typeof eventSchema>;

export const identitySchema = z
  .object({ kind: z.enum(['anonymousId', 'userId']), value: z.string(), firstSeenAt: z.string(), profileId: z.string() })
  .meta({ id: 'Identity' });
export const touchpointSchema = z
  .object({
    id: z.string(),
    timestamp: z.string(),
    channel: z.string(),
    source: z.string().nullable(),
    medium: z.string().nullable(),
    campaign: z.string().nullable(),
    term: z.string().nullable(),
    content: z.string().nullable(),
    clickId: z.string().nullable(),
    referrer: z.string().nullable(),
    landingPage: z.string().nullable(),
  })
  .meta({ id: 'Touchpoint' });
